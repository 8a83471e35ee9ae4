"""The staff console (HTML, no JavaScript needed): sign-in through the identity provider into a cookie session,
the first-password change, sign-out, availability from every page, and the admin pages (configuration, staff).

Every POST carries the CSRF token; every page checks the role on the server (agent < manager < admin).
Pages are not part of /openapi.json: programs use the JSON API with bearer tokens."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import parse_qs

from chalice import Blueprint, Response

from ..domain.errors import ConcurrentModification, IllegalTransition, InvalidCommand, NotFound
from ..wiring import services
from .auth import ROLE_RANK
from .http import html_response, public_url
from ..i18n import N_

console_routes = Blueprint(__name__)

TRANSLATED_WORDS = (N_("agent"), N_("manager"), N_("admin"), N_("imported"), N_("saved"), N_("rolled_back"))
FORM = "application/x-www-form-urlencoded"
# The pages' policy (chalicelib.web.http.PAGE_HEADERS) plus the console's own script and its polling.
CONSOLE_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HOME = "/console"


class Viewer:
    """The signed-in staff member and their session, as a page sees them."""

    def __init__(self, member: Any, session: Any):
        self.member, self.session = member, session
        # The directory's role, not the one at sign-in: a demotion or deactivation applies to open sessions at once.
        self.id, self.role, self.csrf = member.id, member.role, session.csrf

    def can(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


# -- plumbing -------------------------------------------------------------------------------------------------------
def _request() -> Any:
    return console_routes.current_request


def form_lists() -> dict[str, list[str]]:
    """The posted form, every value of each field (a group of checkboxes sends several)."""
    raw = (_request().raw_body or b"")[:256 * 1024].decode("utf-8", "replace")
    return parse_qs(raw, keep_blank_values=True)


def form_fields() -> dict[str, str]:
    return {k: v[-1] for k, v in form_lists().items()}


def absolute_url(path: str) -> str:
    return public_url(_request(), path)


def redirect(path: str, cookie: str | None = None) -> Response:
    headers = {"Location": absolute_url(path), "Cache-Control": "no-store"}
    if cookie:
        headers["Set-Cookie"] = cookie
    return Response(body="", status_code=303, headers=headers)


def language_of(viewer: Viewer | None) -> str:
    from ..i18n import negotiate

    preferred = viewer.member.languages if viewer else ()
    return negotiate(_request().headers.get("accept-language"), preferred)


def show(template: str, viewer: Viewer | None, status: int = 200, cookie: str | None = None, **context: Any):
    from .render import render

    language = language_of(viewer)
    context.setdefault("attention", _attention(viewer))
    body = render(f"console/{template}", language, viewer=viewer, url=absolute_url, now=datetime.now(timezone.utc),
                  timezone=viewer.member.timezone if viewer else "UTC", here=_request().context.get("path", HOME),
                  **context)
    headers = {"Cache-Control": "no-store", "Content-Language": language, "Content-Security-Policy": CONSOLE_CSP}
    if cookie:
        headers["Set-Cookie"] = cookie
    return html_response(body, status, headers)


def _attention(viewer: Viewer | None) -> int:
    """The header's count for pages other than the inbox (which counts from the `mine` page it reads anyway): one
    Query of the member's first page of open complaints, soonest due first."""
    if viewer is None:
        return 0
    return attention_in(services.repository.open_for_assignee(viewer.id, 25).items)


def attention_in(mine: list[Any]) -> int:
    """How many of these complaints have a customer who wrote since our last reply."""
    return sum(1 for complaint in mine if complaint.customer_wrote_at is not None)


def script() -> Response:
    """The console's one script (conveniences only: polling for changes, keys)."""
    from pathlib import Path

    text = (Path(__file__).with_name("static") / "console.js").read_text(encoding="utf-8")
    return Response(body=text, status_code=200, headers={
        "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300"})


def _viewer() -> Viewer | None:
    from .sessions import COOKIE, cookie_value

    session = services.sessions.load(cookie_value(_request().headers, COOKIE))
    if session is None:
        return None
    member = services.staff.store.get(session.user_id)
    if member is None or not member.active:
        return None
    return Viewer(member, session)


def page(role: str, method: str = "GET") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A console view for `role` and above: signed out -> the sign-in page; too low a role -> 403; a POST without
    the session's CSRF token -> 403 and nothing changes."""
    from .sessions import same

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        def handler(**params: str) -> Response:
            viewer = _viewer()
            if viewer is None:
                return redirect("/console/sign-in")
            if not viewer.can(role):
                return show("error.html", viewer, 403, title="forbidden")
            form = form_fields() if method == "POST" else {}
            if method == "POST" and not same(form.get("csrf_token"), viewer.csrf):
                return show("error.html", viewer, 403, title="csrf")
            try:
                return view(viewer, form, **params) if method == "POST" else view(viewer, **params)
            except NotFound:
                return show("error.html", viewer, 404, title="not_found")

        handler.__name__ = f"{view.__name__}_{method.lower()}"
        return handler

    return decorator


def add_route(path: str, method: str, view: Callable[..., Any]) -> None:
    options: dict[str, Any] = {"methods": [method]}
    if method == "POST":
        options["content_types"] = [FORM]
    console_routes.route(path, **options)(view)


# -- sign-in, first password, sign-out -------------------------------------------------------------------------------
def sign_in_page() -> Response:
    import secrets

    from .sessions import PRE_COOKIE, cookie_header, secure_cookies

    if _viewer() is not None:
        return redirect(HOME)
    token = secrets.token_urlsafe(24)
    return show("sign_in.html", None, pre_token=token, errors={}, values={},
                 cookie=cookie_header(PRE_COOKIE, token, secure_cookies(), 900))


def sign_in() -> Response:
    from ..adapters.cognito import SignInRefused
    from .sessions import PRE_COOKIE, Challenge, cookie_value, same

    form, pre = form_fields(), cookie_value(_request().headers, PRE_COOKIE)
    if not same(form.get("csrf_token"), pre):
        return show("error.html", None, 403, title="csrf")
    username, password = form.get("username", "").strip().lower(), form.get("password", "")
    errors = {}
    if not username:
        errors["username"] = N_("Enter your sign-in name.")
    if not password:
        errors["password"] = N_("Enter your password.")
    if not errors:
        try:
            result = services.identity.sign_in(username, password)
        except SignInRefused:
            errors["password"] = N_("The sign-in name or password is wrong.")
        else:
            if result.challenge == "NEW_PASSWORD_REQUIRED":
                services.sessions.pending(pre, Challenge(username, result.challenge_session or "",
                                                         services.clock.now().isoformat()))
                return show("new_password.html", None, pre_token=pre, errors={})
            return _start_session(result)
    return show("sign_in.html", None, 400, pre_token=pre, errors=errors, values={"username": username})


def new_password() -> Response:
    from ..adapters.cognito import SignInRefused
    from .sessions import PRE_COOKIE, cookie_value, same

    form, pre = form_fields(), cookie_value(_request().headers, PRE_COOKIE)
    if not same(form.get("csrf_token"), pre):
        return show("error.html", None, 403, title="csrf")
    challenge = services.sessions.take_pending(pre)
    if challenge is None:
        return redirect("/console/sign-in")
    password, again = form.get("new_password", ""), form.get("confirm_password", "")
    errors = {}
    if len(password) < 12:
        errors["new_password"] = N_("The new password needs at least 12 characters.")
    elif password != again:
        errors["confirm_password"] = N_("The two passwords are not the same.")
    if not errors:
        try:
            result = services.identity.complete_new_password(challenge.username, challenge.session, password)
        except SignInRefused as refused:
            errors["new_password"] = str(refused)
        else:
            services.sessions.drop_pending(pre)
            return _start_session(result)
    return show("new_password.html", None, 400, pre_token=pre, errors=errors)


def _start_session(result: Any) -> Response:
    from .sessions import ABSOLUTE, COOKIE, cookie_header, secure_cookies

    member = services.staff.store.get(result.username)
    if member is None or not member.active:
        return show("sign_in.html", None, 403, pre_token="", errors={"username": N_("This account is not an active member of staff.")},
                     values={"username": result.username})
    secret, _ = services.sessions.start(member.id, member.role, result.access_token)
    return redirect(HOME, cookie_header(COOKIE, secret, secure_cookies(), int(ABSOLUTE.total_seconds())))


def sign_out() -> Response:
    from .sessions import COOKIE, cookie_header, cookie_value, secure_cookies

    viewer = _viewer()
    if viewer is not None:
        from .sessions import same

        if not same(form_fields().get("csrf_token"), viewer.csrf):
            return show("error.html", viewer, 403, title="csrf")
        ended = services.sessions.end(cookie_value(_request().headers, COOKIE))
        if ended and ended.access_token:
            services.identity.sign_out(ended.access_token)
    return redirect("/console/sign-in?signed_out=1", cookie_header(COOKIE, "", secure_cookies(), 0))


# -- every page: home and availability --------------------------------------------------------------------------------
@page("agent")
def home(viewer: Viewer) -> Response:
    return show("home.html", viewer)


@page("agent", "POST")
def preferences(viewer: Viewer, form: dict[str, str]) -> Response:
    """The member's own choice: e-mail me when a complaint is assigned to me or its customer writes again."""
    member = viewer.member
    services.staff.update(dataclasses.replace(member, email_updates=form.get("email_updates") == "on"),
                          member.version)
    return redirect(f"{HOME}?saved=preferences")


@page("agent", "POST")
def availability(viewer: Viewer, form: dict[str, str]) -> Response:
    away = form.get("status") == "away"
    until = None
    if away and form.get("until"):
        try:
            until = datetime.fromisoformat(form["until"]).replace(tzinfo=_zone(viewer))
        except ValueError:
            until = None
    try:
        services.staff.set_availability(viewer.id, away, until)
    except InvalidCommand:
        services.staff.set_availability(viewer.id, away, None)
    back = form.get("back") or HOME
    return redirect(back if back.startswith("/console") else HOME)


def _zone(viewer: Viewer):
    from zoneinfo import ZoneInfo

    return ZoneInfo(viewer.member.timezone)


# -- admin: configuration ------------------------------------------------------------------------------------------------
@page("admin")
def configuration(viewer: Viewer) -> Response:
    live = services.live_config
    current = live.version()
    return show("configuration.html", viewer, current=current, text=current.text, preview=None, errors={},
                 history=live.history(20), saved=query().get("saved"))


@page("admin", "POST")
def change_configuration(viewer: Viewer, form: dict[str, str]) -> Response:
    from .configuration import open_complaints

    live = services.live_config
    text, note = form.get("text", ""), form.get("note") or None
    expected = int(form["expected_version"]) if form.get("expected_version", "").isdigit() else 0
    preview, errors, status = None, {}, 200
    try:
        if form.get("action") == "save":
            saved = live.save(text, viewer.id, expected, note)
            return redirect(f"/console/admin/configuration?saved={saved.version}")
        preview = live.preview(text, open_complaints)
    except InvalidCommand as refused:
        errors, status = (refused.fields or {"text": str(refused)}), 400
    except ConcurrentModification as conflict:
        errors, status = {"text": str(conflict)}, 409
    current = live.version()
    return show("configuration.html", viewer, status, current=current, text=text, note=note or "", preview=preview,
                 errors=errors, history=live.history(20), saved=None, expected=expected or current.version)


@page("admin")
def export_configuration(viewer: Viewer) -> Response:
    """The version in force as a TOML file, for version control (`make config-import` takes it back)."""
    version = services.live_config.version()
    return Response(body=version.text, status_code=200, headers={
        "Content-Type": "application/toml; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="sla-v{version.version}.toml"'})


@page("admin", "POST")
def rollback_configuration(viewer: Viewer, form: dict[str, str]) -> Response:
    live = services.live_config
    expected = int(form["expected_version"]) if form.get("expected_version", "").isdigit() else 0
    try:
        saved = live.rollback(viewer.id, expected)
    except (IllegalTransition, ConcurrentModification) as refused:
        current = live.version()
        return show("configuration.html", viewer, 409, current=current, text=current.text, preview=None,
                     errors={"rollback": str(refused)}, history=live.history(20), saved=None)
    return redirect(f"/console/admin/configuration?saved={saved.version}")


# -- admin: calendars (a form per calendar, saved as a new version of the document) -------------------------------
@page("admin")
def calendars(viewer: Viewer) -> Response:
    current = services.live_config.current()
    return show("calendars.html", viewer, calendars=current.calendars, teams=current.teams, errors={}, values={})


@page("admin")
def calendar(viewer: Viewer, name: str) -> Response:
    from ..sla.document import WEEKDAYS, calendar_values

    version = services.live_config.version()
    values = calendar_values(version.text, name)
    if values is None:
        raise NotFound(f"no calendar {name!r}")
    return show("calendar.html", viewer, name=name, values=values, errors={}, weekdays=WEEKDAYS, preview=None,
                 expected=version.version, saved=query().get("saved"))


@page("admin", "POST")
def change_calendar(viewer: Viewer, form: dict[str, str], name: str) -> Response:
    from ..sla.document import WEEKDAYS, calendar_values, with_calendar
    from .configuration import open_complaints

    live = services.live_config
    current = live.version()
    if calendar_values(current.text, name) is None:
        raise NotFound(f"no calendar {name!r}")
    expected = int(form["expected_version"]) if form.get("expected_version", "").isdigit() else 0
    text, errors = with_calendar(current.text, name, form)
    preview, status = None, 400
    if not errors:
        try:
            if form.get("action") == "save":
                saved = live.save(text, viewer.id, expected, form.get("note") or f"calendar {name}")
                return redirect(f"/console/admin/calendars/{name}?saved={saved.version}")
            preview, status = live.preview(text, open_complaints), 200
        except InvalidCommand as refused:
            prefix = f"calendars.{name}."
            errors = {key.removeprefix(prefix): message for key, message in (refused.fields or {}).items()}
        except ConcurrentModification as conflict:
            errors, status = {"expected_version": str(conflict)}, 409
    return show("calendar.html", viewer, status, name=name, values=form, errors=errors, weekdays=WEEKDAYS,
                 preview=preview, expected=expected, saved=None)


def query() -> dict[str, str]:
    return dict(_request().query_params or {})


# -- admin: staff ------------------------------------------------------------------------------------------------------------
@page("admin")
def staff_list(viewer: Viewer) -> Response:
    return show("staff.html", viewer, members=services.staff.store.all(), errors={}, values={}, invited=None,
                 teams=sorted(services.live_config.current().teams))


@page("admin", "POST")
def invite(viewer: Viewer, form: dict[str, str]) -> Response:
    from ..domain.staff import StaffMember

    member = _member_from_form(form, StaffMember(id=form.get("id", "").strip().lower(), name="", email=""))
    errors = _team_problems(member)
    invited = None
    if not errors:
        try:
            added = services.staff.add(member)
            invited = (added, services.identity.invite(added.id, added.email, added.name, added.role))
        except InvalidCommand as refused:
            errors = refused.fields or {"id": str(refused)}
    status = 400 if errors else 200
    return show("staff.html", viewer, status, members=services.staff.store.all(), errors=errors,
                 values=form if errors else {}, invited=invited, teams=sorted(services.live_config.current().teams))


@page("admin")
def staff_member(viewer: Viewer, member_id: str) -> Response:
    member = services.staff.get(member_id)
    return show("staff_member.html", viewer, member=member, values=_form_values(member), errors={},
                 teams=sorted(services.live_config.current().teams), saved=bool(query().get("saved")))


@page("admin", "POST")
def change_staff_member(viewer: Viewer, form: dict[str, str], member_id: str) -> Response:
    member = services.staff.get(member_id)
    changed = _member_from_form(form, member)
    errors = _team_problems(changed)
    expected = int(form["version"]) if form.get("version", "").isdigit() else 0
    if not errors:
        try:
            saved = services.staff.update(changed, expected)
            if saved.role != member.role:
                services.identity.set_role(saved.id, saved.role)
            if saved.active != member.active:
                services.identity.set_enabled(saved.id, saved.active)
            return redirect(f"/console/admin/staff/{saved.id}?saved=1")
        except InvalidCommand as refused:
            errors = refused.fields or {"id": str(refused)}
        except ConcurrentModification as conflict:
            errors = {"version": str(conflict)}
    return show("staff_member.html", viewer, 400, member=member, values=form, errors=errors,
                 teams=sorted(services.live_config.current().teams), saved=False)


def _member_from_form(form: dict[str, str], base: Any) -> Any:
    def names(key: str) -> tuple[str, ...]:
        return tuple(v.strip().lower() for v in form.get(key, "").replace(",", " ").split() if v.strip())

    return dataclasses.replace(
        base, name=form.get("name", "").strip(), email=form.get("email", "").strip(), role=form.get("role", "agent"),
        teams=names("teams"), lead_of=names("lead_of"), skills=names("skills"),
        languages=names("languages") or ("en",), timezone=form.get("timezone") or base.timezone,
        active=form.get("active") == "on" if "version" in form else base.active,
        away=form.get("away") == "on" if "version" in form else base.away,
        away_until=None if "version" in form and form.get("away") != "on" else base.away_until,
    )


def _form_values(member: Any) -> dict[str, str]:
    return {"name": member.name, "email": member.email, "role": member.role, "teams": " ".join(member.teams),
            "lead_of": " ".join(member.lead_of), "skills": " ".join(member.skills),
            "languages": " ".join(member.languages), "timezone": member.timezone,
            "active": "on" if member.active else "", "away": "on" if member.away else "",
            "version": str(member.version)}


def _team_problems(member: Any) -> dict[str, str]:
    known = services.live_config.current().teams
    unknown = [t for t in member.teams if t not in known]
    return {"teams": f"unknown team: {', '.join(unknown)}"} if unknown else {}


# -- the routes -------------------------------------------------------------------------------------------------------------
add_route("/console", "GET", home)
console_routes.route("/console/console.js", methods=["GET"])(script)
add_route("/console/sign-in", "GET", sign_in_page)
add_route("/console/sign-in", "POST", sign_in)
add_route("/console/new-password", "POST", new_password)
add_route("/console/sign-out", "POST", sign_out)
add_route("/console/availability", "POST", availability)
add_route("/console/preferences", "POST", preferences)
add_route("/console/admin/configuration", "GET", configuration)
add_route("/console/admin/configuration", "POST", change_configuration)
add_route("/console/admin/configuration/rollback", "POST", rollback_configuration)
add_route("/console/admin/configuration/export", "GET", export_configuration)
add_route("/console/admin/calendars", "GET", calendars)
add_route("/console/admin/calendars/{name}", "GET", calendar)
add_route("/console/admin/calendars/{name}", "POST", change_calendar)
add_route("/console/admin/staff", "GET", staff_list)
add_route("/console/admin/staff", "POST", invite)
add_route("/console/admin/staff/{member_id}", "GET", staff_member)
add_route("/console/admin/staff/{member_id}", "POST", change_staff_member)
