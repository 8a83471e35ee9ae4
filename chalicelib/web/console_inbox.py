"""The inbox in the staff console (GET /console/inbox?view=...), server-rendered, no JavaScript needed: the views
(chalicelib.domain.inbox) with their counts, filters, sorting within the page, cursor pages, the search box, and
bulk actions (POST /console/inbox) that go through the state machine one complaint at a time and report each.

The pages register on the console's blueprint (app.py imports this module)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from chalice import Response

from ..domain import inbox
from ..domain.errors import DomainError, NotFound
from ..domain.lifecycle import Actor, Command
from ..domain.model import PRIORITIES, Complaint
from ..domain.reference import is_reference
from ..observability import logger
from ..wiring import services
from .console import N_, Viewer, add_route, attention_in, form_lists, page, redirect, show

PATH = "/console/inbox"
MAX_SELECTED = 2 * inbox.PAGE_SIZE  # complaints one bulk action changes at most

VIEW_TITLES = {
    "mine": N_("Mine"), "unassigned": N_("Unassigned"), "triage": N_("Triage"), "due": N_("Due soon and breached"),
    "waiting": N_("Waiting on the customer"), "review": N_("Spam and invalid"), "duplicates": N_("Duplicates"),
    "all": N_("All open"),
}
VIEW_HINTS = {
    "mine": N_("Your open complaints, soonest deadline first."),
    "unassigned": N_("Open complaints of your teams that nobody has taken, soonest deadline first."),
    "triage": N_("Open complaints whose category or priority the classifier was unsure of, newest first."),
    "due": N_("Open complaints of your teams due within 4 hours, and those past their deadline, soonest first."),
    "waiting": N_("Complaints waiting for the customer's answer (their clocks are paused), newest first."),
    "review": N_("Complaints screening set aside as spam or invalid, newest first: release a real one."),
    "duplicates": N_("Complaints linked to an earlier one of the same customer, newest first."),
    "all": N_("Every team's open complaints, soonest deadline first."),
}
STATUSES = {
    "new": N_("New"), "acknowledged": N_("Acknowledged"), "in_progress": N_("In progress"),
    "waiting_on_customer": N_("Waiting on the customer"), "resolved": N_("Resolved"), "closed": N_("Closed"),
    "spam": N_("Spam"), "invalid": N_("Invalid"), "duplicate": N_("Duplicate"),
}
CHANNELS = {"web": N_("Web form"), "email": N_("E-mail"), "sms": N_("SMS")}
SORTS = {"due": N_("Next deadline"), "created": N_("Newest"), "updated": N_("Recently updated")}
ACTIONS = {  # action -> (label, what a row that succeeded says, least role)
    "take": (N_("Take"), N_("taken: it is yours"), "agent"),
    "assign": (N_("Assign to the member chosen below"), N_("assigned"), "manager"),
    "mark_spam": (N_("Mark spam"), N_("marked spam"), "agent"),
    "mark_invalid": (N_("Mark invalid"), N_("marked invalid"), "agent"),
    "release": (N_("Release (a real complaint after all)"), N_("released: it is a new complaint again"), "agent"),
    "close": (N_("Close (resolved ones)"), N_("closed"), "agent"),
}
SLA_STATES = {"breached": N_("Breached"), "due_soon": N_("Due soon"), "on_track": N_("On track"),
              "paused": N_("Paused"), "none": N_("No deadline")}
SEARCH_KINDS = {"email": N_("Complaints from %(value)s"), "phone": N_("Complaints from %(value)s"),
                "words": N_("Complaints of the last %(days)s days with %(value)s")}


@dataclass(frozen=True)
class Row:
    complaint: Complaint
    sla: inbox.SlaState
    reply: str | None
    assignee: str | None  # the assignee's name (their id if the directory does not know them)
    category: str


@dataclass(frozen=True)
class Outcome:
    reference: str
    done: bool
    message: str


# -- the page ------------------------------------------------------------------------------------------------------
@page("agent")
def inbox_page(viewer: Viewer) -> Response:
    return _show(viewer, _request_params())


@page("agent", "POST")
def inbox_action(viewer: Viewer, form: dict[str, str]) -> Response:
    selected = list(dict.fromkeys(r.strip().upper() for r in form_lists().get("ref", []) if r.strip()))
    action = form.get("action", "")
    outcomes = [_perform(viewer, reference, action, form) for reference in selected[:MAX_SELECTED]]
    outcomes += [Outcome(r, False, N_("Not done: select at most 50 complaints at once.")) for r in
                 selected[MAX_SELECTED:]]
    back = parse_qs(form.get("back", "")[:4000])  # the view, search and filters the form was sent from
    return _show(viewer, back, outcomes=outcomes or [Outcome("", False, N_("Select one or more complaints first."))],
                 action=action)


def _request_params() -> dict[str, list[str]]:
    from .console import console_routes

    raw = console_routes.current_request.query_params or {}
    return {key: (raw.getlist(key) if hasattr(raw, "getlist") else [raw[key]]) for key in raw}


def _one(params: dict[str, list[str]], name: str, choices: Any = None) -> str | None:
    value = ((params.get(name) or [""])[-1] or "").strip()
    if not value or (choices is not None and value not in choices):
        return None
    return value[:200]


def _filters(params: dict[str, list[str]], config: Any, members: dict[str, str]) -> inbox.Filters:
    return inbox.Filters(
        statuses=tuple(s for s in dict.fromkeys(params.get("status", [])) if s in STATUSES),
        priority=_one(params, "priority", PRIORITIES), channel=_one(params, "channel", CHANNELS),
        category=_one(params, "category", config.categories), team=_one(params, "team", config.teams),
        assignee=_one(params, "assignee", {**members, inbox.NOBODY: ""}))


def _show(viewer: Viewer, params: dict[str, list[str]], outcomes: list[Outcome] | None = None,
          action: str | None = None) -> Response:
    from .console import language_of

    now = services.clock.now()
    config = services.live_config.current()
    members = {m.id: m.name for m in services.staff.members()}
    view = _one(params, "view") or "mine"
    if view not in inbox.VIEWS:
        raise NotFound(f"no inbox view {view!r}")
    views = inbox.views_for(viewer.role)
    if view not in views:
        return show("error.html", viewer, 403, title="forbidden")
    filters = _filters(params, config, members)
    sort = _one(params, "sort", inbox.SORTS) or "due"
    cursor = _one(params, "cursor")
    searched = inbox.search(_one(params, "q") or "", now)
    if searched.kind == "reference":
        if services.repository.find(searched.value) is not None:
            return redirect(f"/console/complaints/{searched.value}")
    plan = searched.plan or inbox.plan(view, viewer.member, config.teams, now, filters)
    if searched.plan and filters.active:
        plan = replace(plan, keep=lambda c, keep=plan.keep: keep(c) and filters.keep(c))
    result = inbox.read_page(services.repository, plan, inbox.PAGE_SIZE, cursor)
    firsts = {name: result if name == view and searched.plan is None and not filters.active and not cursor
              else inbox.read_page(services.repository, inbox.plan(name, viewer.member, config.teams, now),
                                   rows=name == "mine")
              for name in views}  # each view's first page: its count (index entries only), and the header's
    counts = {name: first.count for name, first in firsts.items()}
    language = language_of(viewer)
    rows = [Row(c, inbox.sla_state(c, now), inbox.reply_state(c), members.get(c.assignee, c.assignee),
                config.categories[c.category].label_in(language) if c.category in config.categories else c.category)
            for c in inbox.sort_rows(result.rows, sort)]
    kept = {k: v for k, v in params.items() if k in ("view", "q", "status", "priority", "channel", "category",
                                                       "team", "assignee", "sort")}
    here = urlencode([(k, v) for k, values in kept.items() for v in values if v])
    options = {
        "statuses": STATUSES, "priorities": PRIORITIES, "channels": CHANNELS, "sorts": SORTS,
        "categories": {name: c.label_in(language) for name, c in config.categories.items()},
        "teams": sorted(config.teams), "members": sorted(members.items(), key=lambda m: m[1].casefold()),
        "assignable": sorted(((m.id, m.name, m.teams) for m in services.staff.members() if m.active and m.teams),
                             key=lambda m: m[1].casefold()),
        "actions": {name: label for name, (label, _, role) in ACTIONS.items() if viewer.can(role)},
    }
    polled = searched.plan is None and not cursor and not filters.active
    return show("inbox.html", viewer, attention=attention_in(firsts["mine"].rows), view=view,
                stamp=stamp(result.rows) if polled else None, views=[(v, VIEW_TITLES[v], counts[v]) for v in views],
                title=VIEW_TITLES[view], hint=VIEW_HINTS[view], rows=rows, result=result, filters=filters, sort=sort,
                searched=searched, search_kinds=SEARCH_KINDS, search_days=inbox.SEARCH_DAYS,
                search_cap=inbox.SEARCH_READ_CAP, read_cap=plan.cap, options=options, outcomes=outcomes,
                action=action or ("release" if view == "review" else "take"), sla_states=SLA_STATES, back=here,
                next_url=f"{PATH}?{urlencode([*parse_qs(here).items(), ('cursor', result.cursor)], doseq=True)}"
                if result.cursor else None, first_url=f"{PATH}?{here}" if cursor else None, nobody=inbox.NOBODY,
                teams=inbox.teams_of(viewer.member, config.teams))


def stamp(rows: list[Any]) -> str:
    """What the page's poll compares: the first page's complaints and their versions."""
    import hashlib

    return hashlib.sha256("|".join(f"{c.reference}:{c.version}" for c in rows).encode()).hexdigest()[:16]


@page("agent")
def inbox_version(viewer: Viewer) -> Response:
    """What an open inbox polls: the stamp of its view's first page (the reads of that page, about 26 to 31 items)."""
    view = _one(_request_params(), "view") or "mine"
    if view not in inbox.views_for(viewer.role):
        raise NotFound(f"no inbox view {view!r}")
    config = services.live_config.current()
    plan = inbox.plan(view, viewer.member, config.teams, services.clock.now())
    rows = inbox.read_page(services.repository, plan, inbox.PAGE_SIZE).rows
    return Response(body={"version": stamp(rows)}, status_code=200, headers={"Cache-Control": "no-store"})


# -- bulk actions --------------------------------------------------------------------------------------------------
def _perform(viewer: Viewer, reference: str, action: str, form: dict[str, str]) -> Outcome:
    """One selected complaint: through the state machine as the viewer; a refusal is reported, never raised."""
    if action not in ACTIONS:
        return Outcome(reference, False, N_("Choose an action."))
    _, done, role = ACTIONS[action]
    if not viewer.can(role):
        return Outcome(reference, False, N_("Your role does not allow this action."))
    try:
        if not is_reference(reference):
            raise NotFound(f"{reference} is not a complaint reference")
        command = _command(viewer, reference, action, form)
        if command is None:
            return Outcome(reference, True, N_("already yours"))
        services.complaint_service.perform(reference, command, Actor(viewer.id, viewer.role))
    except DomainError as refused:  # the state machine's or the directory's reason, as the API gives it
        return Outcome(reference, False, str(refused))
    except Exception:  # noqa: BLE001 - an outage on one row must not hide what happened to the others
        logger.exception("inbox bulk action failed", extra={"reference": reference, "action": action})
        return Outcome(reference, False, N_("Not done: the service could not save it just now. Try again."))
    return Outcome(reference, True, done)


def _command(viewer: Viewer, reference: str, action: str, form: dict[str, str]) -> Command | None:
    reason = (form.get("reason") or "").strip()[:1000] or None
    if action == "take":
        complaint = services.repository.get(reference)
        problem = services.staff.take_problem(viewer.id, complaint.team, complaint.assignee)
        if problem:
            raise NotAllowed(problem)
        if complaint.assignee == viewer.id:
            return None
        return Command("assign", assignee=viewer.id, team=complaint.team)
    if action == "assign":
        assignee = (form.get("assignee") or "").strip()
        if not assignee:
            raise NotAllowed("choose whom to assign them to")
        return Command("assign", assignee=assignee, team=services.repository.get(reference).team)
    if action in ("mark_spam", "mark_invalid", "release"):
        return Command(action, message=reason)
    return Command("close")


class NotAllowed(DomainError):
    """A bulk action this member may not do on this complaint (the directory's reason)."""


add_route(PATH, "GET", inbox_page)
add_route(PATH, "POST", inbox_action)
add_route(f"{PATH}/version", "GET", inbox_version)
