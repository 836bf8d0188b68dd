"""Error pages in Japanese for the screens (the API keeps its one JSON shape)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from db import Conflict, DomainError, Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)

#: status -> (title, what happened and what to do), in the words a clerk or a volunteer uses
MESSAGES: dict[int, tuple[str, str]] = {
    400: ("送信できませんでした", "入力内容を確かめて、もう一度お試しください。"),
    403: ("このページは使えません", "この操作をする権限がありません。"),
    404: ("ページが見つかりません", "URL が正しいか確かめてください。"),
    405: ("この操作はできません", "前のページに戻って、もう一度お試しください。"),
    409: (
        "保存できませんでした",
        "ほかの人が先に変更したようです。ページを読み込み直して、もう一度お試しください。",
    ),
    413: ("送信した内容が大きすぎます", "内容を減らして、もう一度お試しください。"),
    422: ("受け付けられませんでした", "入力内容を確かめて、もう一度お試しください。"),
    429: (
        "回数が多すぎます",
        "短い時間に何度も送信されました。しばらく待ってから、もう一度お試しください。",
    ),
    500: (
        "エラーが発生しました",
        "変更は保存されていません。しばらくしてから、もう一度お試しください。",
    ),
    503: (
        "混み合っています",
        "変更は保存されていません。少し待ってから、もう一度お試しください。",
    ),
}

_STATUS_OF_DOMAIN_ERROR: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Forbidden: 403,
}


def error_page(
    status: int, *, text: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """Render the error page for a status, with its Japanese title and advice."""
    title, advice = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    body = render_template("error.html", status=status, title=title, text=text or advice)
    return Response(body, status=status, headers=headers)


def retry_headers(error: HTTPException) -> dict[str, str]:
    """Retry-After and the rate limit headers that flask-limiter put on its own answer."""
    return {
        k: v
        for k, v in error.get_response().headers.items()
        if k.lower() not in ("content-type", "content-length")
    }


#: What a sign-in screen says when it stops an address after too many failed tries.
SIGN_IN_STOPPED = (
    "ログインに何度も失敗したため、この端末からのログインを止めています。"
    "{minutes}分ほど待ってから、もう一度お試しください。"
)


def wait_minutes(error: HTTPException) -> int:
    """The Retry-After of flask-limiter's answer in whole minutes, rounded up (at least 1)."""
    retry_after = error.get_response().headers.get("Retry-After")
    seconds = int(retry_after) if retry_after and retry_after.isdigit() else 60
    return max(1, -(-seconds // 60))


def too_many_page(error: HTTPException, text: str) -> Response:
    """The 429 page with the screen's own words ({minutes} filled in) and the limiter's headers."""
    return error_page(
        429, text=text.format(minutes=wait_minutes(error)), headers=retry_headers(error)
    )


def register(blueprint: Blueprint) -> None:
    """Answer every error under the screens with a page, not with the API's JSON."""

    @blueprint.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> Response:
        return error_page(
            400,
            text="画面を開いてから時間がたったか、ほかの画面から送信されました。"
            "ページを読み込み直して、もう一度お試しください。",
        )

    @blueprint.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        headers = retry_headers(error) if error.code == 429 else {}
        if error.code == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(sorted(error.valid_methods))  # type: ignore[attr-defined]
        return error_page(error.code or 500, headers=headers)

    @blueprint.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        status = next(c for k, c in _STATUS_OF_DOMAIN_ERROR.items() if isinstance(error, k))
        return error_page(status)

    @blueprint.errorhandler(Exception)
    def _crash(error: Exception) -> Response:
        log.exception("unhandled error on %s", request.path)
        return error_page(500)
