"""The HTTP edge: one route decorator that authenticates, validates (Pydantic), calls the view, and maps every
domain error to its HTTP status in one place. Each route also records its OpenAPI description."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from ..config import settings
from ..domain.errors import ConcurrentModification, IllegalTransition, InvalidCommand, NotDelivered, NotFound
from .auth import Forbidden, StaffUser, Unauthenticated, authenticate, cognito_authorizer
from .schemas import ErrorResponse

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
HTML = "text/html"
XML = "application/xml"


class RequestInvalid(Exception):
    """Bad input with field-level messages (field -> message)."""

    def __init__(self, fields: dict[str, str], message: str = "The request has invalid fields."):
        super().__init__(message)
        self.fields = fields


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    summary: str
    tag: str
    responses: dict[int, type[BaseModel] | None]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    role: str | None = None
    content_types: tuple[str, ...] = (JSON,)
    html: bool = False
    error_codes: tuple[int, ...] = field(default=())
    text_media: str = HTML  # the media type of a success response that has no model (a page, TwiML)


ROUTES: list[RouteSpec] = []


def route(
    blueprint: Blueprint,
    path: str,
    method: str,
    *,
    summary: str,
    tag: str,
    responses: dict[int, type[BaseModel] | None],
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    role: str | None = None,
    content_types: tuple[str, ...] = (JSON,),
    html: bool = False,
    verify: Callable[[Any], None] | None = None,
    text_media: str = HTML,
    cookie_session: bool = False,
    max_body_bytes: int | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a Chalice route. The view gets path params plus `body`, `query`, `user` as declared, and `request`.
    `verify(request)` runs first and raises Forbidden for a request the route must not trust (e.g. an unsigned
    webhook), before the body is even validated."""
    errors = [404, 400]
    if role or verify:
        errors += [401, 403] if role else [403]
    spec = RouteSpec(path, method, summary, tag, responses, body, query, role, content_types, html, tuple(errors),
                     text_media)
    ROUTES.append(spec)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def handler(**path_params: str) -> Response:
            request = blueprint.current_request
            try:
                kwargs: dict[str, Any] = dict(path_params, request=request)
                if verify is not None:
                    verify(request)
                if role:
                    user = (console_user(request) if cookie_session else None) or \
                        authenticate(request.headers, request.context or {})
                    user.require(role)
                    kwargs["user"] = user
                if query is not None:
                    kwargs["query"] = _validate(query, dict(request.query_params or {}))
                if body is not None:
                    kwargs["body"] = _validate(body, parse_body(request, max_body_bytes))
                result = view(**kwargs)
            except Exception as error:  # noqa: BLE001 - mapped below, unknown errors re-raised
                if cookie_session and isinstance(error, Unauthenticated) and accepts_html(request.headers):
                    return Response(body="", status_code=303, headers={
                        "Location": public_url(request, "/console/sign-in"), "Cache-Control": "no-store"})
                if html and accepts_html(request.headers):
                    from .pages import page_language

                    submitted = _submitted(request, body)
                    return error_response(error, wants_html=True, submitted=submitted,
                                          language=page_language(request, submitted))
                return error_response(error)
            return result if isinstance(result, Response) else json_response(result)

        chalice_options: dict[str, Any] = {"methods": [method], "content_types": list(content_types)}
        if role and cognito_authorizer() is not None:
            chalice_options["authorizer"] = cognito_authorizer()
        blueprint.route(path, **chalice_options)(handler)
        return view

    return decorator


def console_user(request: Any) -> StaffUser | None:
    """The staff member of the console session cookie (a page opened in a browser: the dashboard), when there is
    no bearer header. Tokens never travel in URLs."""
    if request.headers.get("authorization"):
        return None
    from ..wiring import services
    from .sessions import COOKIE, cookie_value

    session = services.sessions.load(cookie_value(request.headers, COOKIE))
    member = services.staff.store.get(session.user_id) if session else None
    if member is None or not member.active:
        return None
    return StaffUser(id=member.id, email=member.email, roles=(member.role,))  # the directory's role, now


def public_url(request: Any, path: str) -> str:
    """The URL the outside world uses for `path`: PUBLIC_BASE_URL, else API Gateway's domain and stage."""
    base = settings().public_base_url
    context = request.context or {}
    if not base and context.get("domainName"):
        base = f"https://{context['domainName']}/{context.get('stage', 'api')}"
    return f"{base}{path}"


def parse_body(request: Any, limit: int | None = None) -> dict[str, Any]:
    raw: bytes = request.raw_body or b""
    limit = limit or settings().max_body_bytes
    if len(raw) > limit:
        raise RequestInvalid({"body": f"the request body is {len(raw)} bytes; the limit is {limit} bytes"})
    content_type = (request.headers.get("content-type") or JSON).split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestInvalid({"body": "the request body is not valid UTF-8"}) from None
    if content_type == FORM:
        return {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}
    if not text.strip():
        raise RequestInvalid({"body": "a JSON object is required"})
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RequestInvalid({"body": f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}"}) from None
    if not isinstance(data, dict):
        raise RequestInvalid({"body": "the JSON body must be an object"})
    return data


def _submitted(request: Any, body: type[BaseModel] | None) -> dict[str, Any]:
    """What the customer typed, to show again beside the errors (escaped by the page)."""
    try:
        return parse_body(request) if body is not None else {}
    except RequestInvalid:
        return {}


def _validate(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RequestInvalid(field_errors(error)) from None


def field_errors(error: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False):
        name = ".".join(str(part) for part in item["loc"]) or "body"
        message = item["msg"].removeprefix("Value error, ")
        fields.setdefault(name, message)
    return fields


# The one place where errors become HTTP statuses.
_STATUS: list[tuple[type[Exception], int, str]] = [
    (RequestInvalid, 400, "validation_failed"),
    (InvalidCommand, 400, "invalid_command"),
    (Unauthenticated, 401, "unauthenticated"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (IllegalTransition, 409, "illegal_transition"),
    (ConcurrentModification, 409, "conflict"),
    (NotDelivered, 422, "not_delivered"),  # a transient failure is 503 "not_sent" (below): the same request may retry
]


def error_response(error: Exception, wants_html: bool = False, submitted: dict[str, Any] | None = None,
                   language: str = "en") -> Response:
    for kind, status, code in _STATUS:
        if isinstance(error, kind):
            break
    else:
        raise error
    fields = getattr(error, "fields", None)
    if isinstance(error, InvalidCommand) and error.field and not fields:
        fields = {error.field: str(error)}
    headers = {"WWW-Authenticate": 'Bearer realm="staff"'} if status == 401 else {}
    if isinstance(error, NotDelivered) and error.transient:
        status, code, headers = 503, "not_sent", {"Retry-After": "30"}
    payload = ErrorResponse(error=code, message=str(error), fields=fields)
    if wants_html:
        from .pages import error_page

        return html_response(error_page(status, payload, submitted, language), status, headers)
    return json_response(payload, status, headers)


def accepts_html(headers: Any) -> bool:
    accept = (headers.get("accept") or "").lower()
    return HTML in accept and accept.find(HTML) < (accept.find(JSON) if JSON in accept else len(accept) + 1)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    body = json.dumps(payload, ensure_ascii=False)
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})


def html_response(page: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=page, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})})


# Every response (set by secure_headers, from the app's middleware): pages run no script and cannot be framed.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def secure_headers(response: Any) -> Any:
    """nosniff on every HTTP response; CSP (frame-ancestors 'none'), Referrer-Policy and X-Frame-Options on pages.
    Anything else (an event handler's result) passes unchanged."""
    if not isinstance(response, Response):
        return response
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if content_type.startswith(HTML) or content_type.startswith("image/svg"):
        for name, value in PAGE_HEADERS.items():
            headers.setdefault(name, value)
    return response
