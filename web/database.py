"""One database session per page request, committed once when the page is answered."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, render_template
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def get_session() -> Session:
    """Return this request's session (the app's sessionmaker, committed at the request's end)."""
    if "web_db_session" not in g:
        g.web_db_session = current_app.extensions["sasaeai.sessionmaker"]()
    session: Session = g.web_db_session
    return session


def register(blueprint: Blueprint) -> None:
    """Commit a page's work once if it was answered without an error, else roll it back."""

    @blueprint.after_request
    def _commit(response: Response) -> Response:
        session: Session | None = g.pop("web_db_session", None)
        if session is None:
            return response
        try:
            if response.status_code >= 400:
                session.rollback()
                return response
            try:
                session.commit()
            except IntegrityError as error:
                session.rollback()
                log.info("commit refused: %s", error.orig)
                return _refused(409)
            except OperationalError:
                session.rollback()
                log.exception("commit failed")
                return _refused(503)
            return response
        finally:
            session.close()

    @blueprint.teardown_request
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("web_db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def _refused(status: int) -> Response:
    from web.errors import MESSAGES

    title, text = MESSAGES[status]
    return Response(
        render_template("error.html", status=status, title=title, text=text), status=status
    )
