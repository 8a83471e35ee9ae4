"""Staff API: list, read, and act on complaints. Every action goes through the state machine."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint
from pydantic import BaseModel

from ..domain.lifecycle import CUSTOMER_FACING, Actor, Command, allowed_actions
from ..domain.model import Complaint, Event
from ..domain.ports import ComplaintQuery
from ..observability import logger
from ..sla.durations import format_duration
from ..wiring import services
from . import schemas as s
from .auth import Forbidden, StaffUser
from .http import public_url, route

staff_routes = Blueprint(__name__)

ERRORS = {400: s.ErrorResponse, 401: s.ErrorResponse, 403: s.ErrorResponse, 404: s.ErrorResponse}


@route(
    staff_routes, "/staff/complaints", "GET", summary="List and filter complaints, newest first, paginated",
    tag="staff", role="agent", query=s.ComplaintListQuery, responses={200: s.ComplaintPage, **ERRORS},
)
def list_complaints(request: Any, user: StaffUser, query: s.ComplaintListQuery):
    page = services.repository.search(ComplaintQuery(**query.model_dump()))
    return s.ComplaintPage(items=[complaint_view(c) for c in page.items], next_cursor=page.next_cursor)


@route(
    staff_routes, "/staff/complaints/{reference}", "GET", summary="One complaint with its full history",
    tag="staff", role="agent", responses={200: s.ComplaintDetail, **ERRORS},
)
def get_complaint(request: Any, user: StaffUser, reference: str):
    return detail(services.repository.get(reference))


@route(
    staff_routes, "/complaints/{reference}/sla", "GET", summary="Every SLA clock of a complaint, explained",
    tag="staff", role="agent", responses={200: s.SlaView, **ERRORS},
)
def explain_sla(request: Any, user: StaffUser, reference: str):
    complaint = services.repository.get(reference)
    history = services.repository.history(reference)
    keeper = services.sla_keeper
    clocks = keeper.clocks(complaint, history, services.clock.now())
    calendar = keeper.config.terms_for(complaint.priority, complaint.category, complaint.channel,
                                       complaint.team, complaint.tier).calendar
    return s.SlaView(
        reference=reference, policy=clocks.policy, calendar=calendar.describe(), breached=clocks.breached,
        clocks=[clock_view(c) for c in clocks.current], update_cycles=[clock_view(c) for c in clocks.update_cycles],
        alerts_sent=list(complaint.alerts_sent),
    )


def clock_view(clock: Any) -> s.ClockView:
    return s.ClockView(
        name=clock.name, state=clock.state, target=format_duration(clock.target), started_at=clock.started_at,
        warning_at=clock.warning_at, due_at=clock.due_at, elapsed=format_duration(clock.elapsed),
        paused=[s.PausedSpan(start=start, end=end) for start, end in clock.paused], stopped_at=clock.stopped_at,
        met=clock.met, late=clock.late, cycle=clock.cycle, reason=clock.reason,
    )


# action -> (path segment, body model, minimum role); the body's fields become the Command's fields
ACTIONS: dict[str, tuple[str, type[BaseModel], str]] = {
    "acknowledge": ("acknowledge", s.AcknowledgeBody, "agent"),
    "respond": ("responses", s.MessageBody, "agent"),
    "note": ("notes", s.MessageBody, "agent"),
    "change_category": ("category", s.CategoryBody, "agent"),
    "change_priority": ("priority", s.PriorityBody, "agent"),
    "assign": ("assignment", s.AssignBody, "manager"),
    "wait_on_customer": ("waiting", s.OptionalMessageBody, "agent"),
    "resolve": ("resolution", s.ResolveBody, "agent"),
    "close": ("close", s.AcknowledgeBody, "agent"),
    "reopen": ("reopen", s.ReopenBody, "manager"),
    "unlink_duplicate": ("unlink", s.OptionalMessageBody, "agent"),
    "release": ("release", s.OptionalMessageBody, "agent"),
    "mark_spam": ("spam", s.OptionalMessageBody, "agent"),
    "mark_invalid": ("invalid", s.OptionalMessageBody, "agent"),
}


def _register_action(action: str, segment: str, body_model: type[BaseModel], role: str) -> None:
    @route(
        staff_routes, f"/staff/complaints/{{reference}}/{segment}", "POST",
        summary=f"{action.replace('_', ' ').capitalize()} (needs role {role} or higher; 409 if the state forbids it)",
        tag="staff", role=role, body=body_model,
        responses={200: s.ComplaintDetail, **ERRORS, 409: s.ErrorResponse,
                   **({422: s.ErrorResponse, 503: s.ErrorResponse} if action in CUSTOMER_FACING else {})},
    )
    def perform(request: Any, user: StaffUser, reference: str, body: Any):
        fields = body.model_dump(exclude={"expected_version"}, exclude_none=True)
        command = Command(action=action, **fields)
        complaint, event = services.complaint_service.perform(
            reference, command, Actor(user.id, user.role), expected_version=body.expected_version
        )
        logger.set_correlation_id(reference)
        logger.info("staff action", extra={"action": action, "seq": event.seq, "role": user.role})
        return detail(complaint)

    perform.__name__ = f"{action}_complaint"


for _action, (_segment, _model, _role) in ACTIONS.items():
    _register_action(_action, _segment, _model, _role)


@route(staff_routes, "/staff/complaints/{reference}/take", "POST", tag="staff", role="agent", body=s.AcknowledgeBody,
       summary="Take an unassigned complaint of one of your teams (it is assigned to you; 403 otherwise)",
       responses={200: s.ComplaintDetail, **ERRORS, 409: s.ErrorResponse})
def take_complaint(request: Any, user: StaffUser, reference: str, body: Any):
    complaint = services.repository.get(reference)
    problem = services.staff.take_problem(user.id, complaint.team, complaint.assignee)
    if problem:
        raise Forbidden(problem)
    complaint, _ = services.complaint_service.perform(
        reference, Command(action="assign", assignee=user.id, team=complaint.team), Actor(user.id, user.role),
        expected_version=body.expected_version)
    return detail(complaint)


@route(staff_routes, "/staff/complaints/{reference}/canned-responses", "GET", tag="staff", role="agent",
       summary="The canned responses for this complaint's team, placeholders filled, its language first",
       responses={200: s.CannedReplies, **ERRORS})
def canned_responses(request: Any, user: StaffUser, reference: str):
    from .canned import canned_replies

    complaint = services.repository.get(reference)
    member = services.staff.store.get(user.id)
    replies = canned_replies(complaint, member.name if member else user.id,
                             public_url(request, f"/complaints/{reference}"))
    return s.CannedReplies(reference=reference, items=[
        s.CannedReply(title=c.title, language=c.language, text=text) for c, text in replies])


def detail(complaint: Complaint) -> s.ComplaintDetail:
    history = services.repository.history(complaint.reference)
    return s.ComplaintDetail(complaint=complaint_view(complaint), history=[event_view(e) for e in history])


def complaint_view(c: Complaint) -> s.ComplaintView:
    return s.ComplaintView(
        reference=c.reference, version=c.version, status=c.status.value, channel=c.channel.value,
        subject=c.subject, description=c.description,
        customer=s.Customer(name=c.sender.name, email=c.sender.email, phone=c.sender.phone),
        language=c.language, category=c.category, priority=c.priority, team=c.team, tier=c.tier,
        assignee=c.assignee,
        breached=c.breached, duplicate_of=c.duplicate_of, needs_triage=c.needs_triage,
        screening={"outcome": c.screening_outcome, "reason": c.screening_reason},
        classification=c.classification, attachments=[a.__dict__ for a in c.attachments],
        created_at=c.created_at, updated_at=c.updated_at, next_due_at=c.next_due_at,
        first_response_due_at=c.first_response_due_at, resolution_due_at=c.resolution_due_at,
        first_response_at=c.first_response_at, acknowledged_at=c.acknowledged_at, resolved_at=c.resolved_at,
        closed_at=c.closed_at, resolution_code=c.resolution_code, root_cause=c.root_cause,
        allowed_actions=allowed_actions(c.status),
    )


def event_view(e: Event) -> s.EventView:
    return s.EventView(
        seq=e.seq, at=e.at, type=e.type, actor=e.actor, actor_role=e.actor_role, visibility=e.visibility.value,
        changes=e.changes, message=e.message, data=e.data,
    )
