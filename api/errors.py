"""One JSON error shape for everything, and the one table from domain errors to statuses."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_smorest import Api
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from api import API_PREFIX
from db import Conflict, DomainError, Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)

#: Domain error -> HTTP status. The only place that decides it.
STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Forbidden: 403,
}


def error_response(
    code: int,
    message: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build the contract's error body: code, status, message and (when known) errors."""
    status = HTTPStatus(code)
    payload: dict[str, Any] = {
        "code": code,
        "status": status.phrase,
        "message": message or status.description or status.phrase,
    }
    if errors:
        payload["errors"] = errors
    response = jsonify(payload)
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class SasaeaiApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with our error body (always a message) and Allow on 405."""

    def handle_http_exception(self, error: HTTPException) -> Response:
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        headers = dict(data.get("headers") or {})
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        if error.code == 429:
            headers.update(dict(error.get_response().headers))
            headers.pop("Content-Type", None)
            headers.pop("Content-Length", None)
        message = data.get("message")
        if message is None and errors:
            message = _summarise(errors)
        if message is None:
            message = error.description
        if error.code and error.code >= 500:
            log.exception("server error", exc_info=error)
        return error_response(error.code or 500, message, errors, headers)


def _summarise(errors: dict[str, Any]) -> str:
    # "json.lat: Must be greater than or equal to -90 ..." reads well enough on a screen
    parts: list[str] = []

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(node, list) and node and all(isinstance(x, str) for x in node):
            parts.append(f"{prefix}: {' '.join(node)}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(f"{prefix}[{i}]", value)

    walk("", errors)
    return "Invalid input: " + "; ".join(parts[:5]) if parts else "Invalid input."


def register_error_handlers(app: Flask) -> None:
    """Map domain errors, integrity conflicts and crashes onto the one JSON shape."""

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        code = next(c for k, c in STATUS_OF.items() if isinstance(error, k))
        errors = {"json": error.errors} if error.errors else None
        return error_response(code, error.message, errors)

    @app.errorhandler(DataError)
    def _data(error: DataError) -> Response:
        # a value the database cannot hold that validation let through: bad input, not a crash
        log.info("data error on %s: %s", request.path, error.orig)
        return error_response(422, "A value is out of the range the database can store.")

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError) -> Response:
        log.info("integrity conflict on %s: %s", request.path, error.orig)
        return error_response(409, "This conflicts with the current state of the data.")

    @app.errorhandler(Exception)
    def _crash(error: Exception) -> Response:
        if isinstance(error, HTTPException):  # pragma: no cover - handled by the Api
            raise error
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "Internal error; nothing was changed.")

    @app.before_request
    def _json_only() -> Response | None:
        # a body that is not JSON is refused before any view reads it (the API's paths only:
        # the screens post forms)
        if not request.path.startswith(f"{API_PREFIX}/"):
            return None
        has_body = request.method in ("POST", "PATCH", "PUT") and request.content_length
        if has_body and not request.is_json:
            return error_response(415, "Send the body as JSON (Content-Type: application/json).")
        bad = _unstorable_text(request.args.to_dict(flat=False))
        if bad is None and has_body:
            bad = _unstorable_text(request.get_json(silent=True))
        if bad is not None:
            return error_response(
                422, "Text may not contain NUL characters or unpaired surrogates.", bad
            )
        return None


def _unstorable_text(value: Any, path: str = "") -> dict[str, Any] | None:
    """Find text no database column can hold (NUL, lone surrogates) anywhere in the input."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return {"input": {path or "body": ["Not valid Unicode text."]}}
        if "\x00" in value:
            return {"input": {path or "body": ["NUL characters are not allowed."]}}
        return None
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        key_problem = _unstorable_text(key, path) if isinstance(key, str) else None
        found = key_problem or _unstorable_text(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def commit_or_error_response(session: Session) -> Response | None:
    """Commit the request's work once; a refusal by the database becomes a 409, not a 500."""
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        log.info("commit refused: %s", error.orig)
        return error_response(409, "This conflicts with the current state of the data.")
    except OperationalError:
        session.rollback()
        log.exception("commit failed")
        return error_response(503, "The database is busy; nothing was changed. Try again.")
    return None
