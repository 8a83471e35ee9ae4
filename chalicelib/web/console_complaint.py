"""The console's complaint page: the conversation, the customer, why the complaint is where it is, its SLA clocks,
similar resolved complaints, and one form for every action the state machine allows now (reply, note, waiting,
resolve, take, assign, corrections, close, reopen, unlink, release).

Every form carries the version it was built from. If the complaint changed meanwhile, the page says what changed
and keeps the draft; a refused action keeps what was typed too. Registers on the console's blueprint."""
from __future__ import annotations

from typing import Any

from chalice import Response

from ..domain.errors import ConcurrentModification, IllegalTransition, InvalidCommand, NotDelivered, NotFound
from ..domain.lifecycle import RESOLUTION_CODES, Actor, Command, allowed_actions
from ..wiring import services
from .auth import Forbidden
from .console import N_, Viewer, absolute_url, add_route, language_of, page, query, redirect, show

# Words the page shows from data, for the catalogs: statuses, channels, actions and events, clocks, resolutions, causes.
WORDS = (
    N_("new"), N_("acknowledged"), N_("in_progress"), N_("waiting_on_customer"), N_("resolved"), N_("closed"),
    N_("invalid"), N_("spam"), N_("duplicate"), N_("web"), N_("email"), N_("sms"),
    N_("received"), N_("acknowledge"), N_("respond"), N_("note"), N_("change_category"), N_("change_priority"),
    N_("assign"), N_("take"), N_("wait_on_customer"), N_("resolve"), N_("close"), N_("reopen"),
    N_("customer_message"), N_("mark_spam"), N_("mark_invalid"), N_("unlink_duplicate"), N_("release"), N_("duplicate_received"),
    N_("delivery_failed"), N_("delivered"), N_("customer_notified"), N_("acknowledgement_sent"), N_("sla_warning"), N_("sla_breach"),
    N_("first_response"), N_("next_update"), N_("resolution"), N_("not_started"), N_("running"), N_("warning"),
    N_("paused"), N_("met"), N_("stopped"), N_("breached"),
    N_("fixed"), N_("refunded"), N_("replaced"), N_("explained"), N_("compensated"), N_("no_fault_found"),
    N_("withdrawn"), N_("people"), N_("process"), N_("product"), N_("technology"), N_("policy"), N_("environment"),
    N_("accepted"), N_("positive"), N_("neutral"), N_("negative"),
)
SIMILAR_READ = 30  # newest complaints of the category read for "similar resolved complaints"
SIMILAR_SHOWN = 3
MESSAGE_ACTIONS = ("respond", "note", "wait_on_customer", "resolve")


@page("agent")
def complaint_page(viewer: Viewer, reference: str) -> Response:
    return _show(viewer, _load(reference), {}, {}, done=query().get("done"))


@page("agent")
def complaint_version(viewer: Viewer, reference: str) -> Response:
    """What the page polls: one read of the complaint."""
    complaint = services.repository.find(reference)
    if complaint is None:
        raise NotFound(f"no complaint {reference}")
    return Response(body={"version": complaint.version, "status": complaint.status.value}, status_code=200,
                    headers={"Cache-Control": "no-store"})


IMAGE_PREVIEW_BYTES = 2 * 1024 * 1024
LINK_SECONDS = 300


@page("agent")
def attachment(viewer: Viewer, reference: str, seq: str, index: str) -> Response:
    """An attachment of one message of the complaint: a short-lived download link (303), or with ?view=1 an image's
    bytes for the page's preview (the page's policy allows images from this origin only)."""
    from ..adapters.mail_gateway import S3MailStore
    from ..config import settings

    found = _attachment(reference, seq, index)
    if found is None or not found.get("location"):
        raise NotFound("no such attachment, or it was not kept separately (see the original mail)")
    store = S3MailStore(settings().mail_bucket)
    if query().get("view") and _previewable(found):
        data = store.read(found["location"])
        if data is None:
            raise NotFound("the attachment is no longer stored")
        return Response(body=data, status_code=200, headers={
            "Content-Type": found["content_type"], "Cache-Control": "private, max-age=300",
            "Content-Disposition": "inline"})
    link = store.link(found["location"], found.get("filename") or "attachment", LINK_SECONDS)
    return Response(body="", status_code=303, headers={"Location": link, "Cache-Control": "no-store"})


@page("agent")
def original(viewer: Viewer, reference: str, seq: str) -> Response:
    """A customer's e-mail as it came, quoted tail and all, read from the stored raw mail."""
    from ..adapters.mail_gateway import S3MailStore
    from ..config import settings
    from ..mail.parse import parse_email

    event = next((e for e in services.repository.history(reference) if str(e.seq) == seq), None)
    key = ((event.data or {}).get("details") or {}).get("object_key") if event else None
    raw = S3MailStore(settings().mail_bucket).raw(settings().mail_bucket, key) if key else None
    if raw is None:
        raise NotFound("the original of this message is not stored")
    return show("original.html", viewer, reference=reference, mail=parse_email(raw))


def _attachment(reference: str, seq: str, index: str) -> dict[str, Any] | None:
    from .complaint_view import conversation

    complaint = services.repository.find(reference)
    if complaint is None or not seq.isdigit() or not index.isdigit():
        return None
    for entry in conversation(complaint, services.repository.history(reference)):
        if entry.event.seq == int(seq) and int(index) < len(entry.attachments):
            return dict(entry.attachments[int(index)])
    return None


def _previewable(found: dict[str, Any]) -> bool:
    return found.get("content_type") in ("image/jpeg", "image/png", "image/gif", "image/webp") and \
        0 < int(found.get("size") or 0) <= IMAGE_PREVIEW_BYTES


@page("agent", "POST")
def act(viewer: Viewer, form: dict[str, str], reference: str) -> Response:
    loaded = _load(reference)
    action = form.get("action", "")
    expected = int(form["expected_version"]) if form.get("expected_version", "").isdigit() else None
    if action == "insert_canned":  # fills the draft; nothing changes yet
        return _show(viewer, loaded, _with_canned(loaded, viewer, form), {}, expected=expected)
    try:
        _perform(viewer, loaded["complaint"], action, form, expected)
    except ConcurrentModification:
        current = _load(reference)
        return _show(viewer, current, form, {}, status=409, since=expected)
    except (InvalidCommand, IllegalTransition, NotDelivered, Forbidden) as refused:
        fields = getattr(refused, "fields", None) or {getattr(refused, "field", None) or "action": str(refused)}
        status = 409 if isinstance(refused, IllegalTransition) else 403 if isinstance(refused, Forbidden) else \
            422 if isinstance(refused, NotDelivered) else 400
        return _show(viewer, _load(reference), form, fields, status=status, expected=expected)
    return redirect(f"/console/complaints/{reference}?done={action}")


def _perform(viewer: Viewer, complaint: Any, action: str, form: dict[str, str], expected: int | None) -> None:
    from .staff import ACTIONS

    actor = Actor(viewer.id, viewer.role)
    if action == "take":
        problem = services.staff.take_problem(viewer.id, complaint.team, complaint.assignee)
        if problem:
            raise Forbidden(problem)
        command = Command("assign", assignee=viewer.id, team=complaint.team)
    elif action in ACTIONS:
        _, body_model, role = ACTIONS[action]
        if not viewer.can(role):
            raise Forbidden(f"{action.replace('_', ' ')} needs the {role} role")
        command = Command(action, **_validated(body_model, _fields(action, form)))
    else:
        raise InvalidCommand(f"unknown action {action!r}", field="action")
    services.complaint_service.perform(complaint.reference, command, actor, expected_version=expected)


def _fields(action: str, form: dict[str, str]) -> dict[str, Any]:
    """The form's fields for one action, as the JSON API's body takes them."""
    wanted = {"respond": ("message",), "note": ("note",), "wait_on_customer": ("message",),
              "resolve": ("message", "resolution_code", "root_cause", "sub_cause", "five_whys"),
              "change_category": ("category", "reason"), "change_priority": ("priority", "reason"),
              "assign": ("assignee", "team"), "reopen": ("reopen_reason",), "unlink_duplicate": ("reason",),
              "release": ("reason",), "mark_spam": ("reason",), "mark_invalid": ("reason",)}.get(action, ())
    renamed = {"note": "message", "reason": "message", "reopen_reason": "message"}
    fields: dict[str, Any] = {}
    for name in wanted:
        value = form.get(name, "").strip()
        if name == "five_whys":
            whys = [line.strip() for line in value.splitlines() if line.strip()]
            if whys:
                fields[name] = whys
        elif value:
            fields[renamed.get(name, name)] = value
    return fields


def _validated(body_model: Any, fields: dict[str, Any]) -> dict[str, Any]:
    from pydantic import ValidationError

    from .http import field_errors

    try:
        body = body_model.model_validate(fields)
    except ValidationError as error:
        errors = field_errors(error)
        raise InvalidCommand("; ".join(errors.values()), fields=errors) from None
    result = body.model_dump(exclude={"expected_version"}, exclude_none=True)
    if "five_whys" in result:
        result["five_whys"] = tuple(result["five_whys"])
    return result


def _with_canned(loaded: dict[str, Any], viewer: Viewer, form: dict[str, str]) -> dict[str, str]:
    chosen = form.get("canned", "")
    replies = canned_for(loaded["complaint"], viewer)
    if chosen.isdigit() and int(chosen) < len(replies):
        draft = form.get("message", "").rstrip()
        text = replies[int(chosen)][1]
        return {**form, "message": f"{draft}\n\n{text}".strip() if draft else text}
    return form


def _load(reference: str) -> dict[str, Any]:
    """Everything the page shows; reads bounded by the complaint, its customer and SIMILAR_READ."""
    from ..adapters.notifiers import outgoing
    from .complaint_view import conversation, customer_wrote_last, why

    repository = services.repository
    complaint = repository.find(reference)
    if complaint is None:
        raise NotFound(f"no complaint {reference}")
    history = repository.history(reference)
    entries = conversation(complaint, history)
    keeper = services.sla_keeper
    now = services.clock.now()
    clocks = keeper.clocks(complaint, history, now)
    others = [c for c in repository.for_customer(complaint.sender.email, complaint.sender.phone, limit=10)
              if c.reference != reference]
    blocked = services.sms_consents.opted_out if complaint.sender.phone else (lambda phone: False)
    route = outgoing(complaint, "response", "", sms_blocked=blocked)
    opted_out = bool(complaint.sender.phone) and blocked(complaint.sender.phone)
    return {"complaint": complaint, "history": history, "entries": entries, "clocks": clocks, "now": now,
            "customer_wrote": customer_wrote_last(entries), "others": others, "route": route, "opted_out": opted_out,
            "why": why(complaint, history), "similar": _similar(complaint)}


def _similar(complaint: Any) -> list[tuple[Any, str | None]]:
    from .complaint_view import first_reply

    resolved = [c for c in services.repository.latest_in_category(complaint.category, SIMILAR_READ)
                if c.reference != complaint.reference and c.resolution_code][:SIMILAR_SHOWN]
    return [(c, first_reply(services.repository.history(c.reference))) for c in resolved]


def _show(viewer: Viewer, loaded: dict[str, Any], values: dict[str, str], errors: dict[str, str], status: int = 200,
          expected: int | None = None, since: int | None = None, done: str | None = None) -> Response:
    from .complaint_view import changed_since, sms_segments, time_left

    complaint = loaded["complaint"]
    config = services.live_config.current()
    language = language_of(viewer)
    team_members = [m for m in services.staff.of_team(complaint.team or "") if m.active] if complaint.team else []
    values = dict(values)
    return show("complaint.html", viewer, status, c=complaint, entries=loaded["entries"], clocks=loaded["clocks"],
                as_of=loaded["now"], customer_wrote=loaded["customer_wrote"], others=loaded["others"],
                route=loaded["route"], opted_out=loaded["opted_out"], why=loaded["why"], similar=loaded["similar"],
                canned=canned_for(complaint, viewer), values=values, errors=errors,
                expected=complaint.version, changed=changed_since(loaded["history"], since) if since else [],
                allowed=set(allowed_actions(complaint.status)), done=done,
                categories=[(n, cat.label_in(language)) for n, cat in config.categories.items()],
                fishbone=config.taxonomy().fishbone, resolution_codes=RESOLUTION_CODES, members=team_members,
                teams=sorted(config.teams), segments=sms_segments(values.get("message", "")),
                time_left=time_left, previewable=_previewable, can_message=bool(set(allowed_actions(complaint.status)) & set(MESSAGE_ACTIONS)))


def canned_for(complaint: Any, viewer: Viewer) -> list[tuple[str, str, str]]:
    """(title, text with the placeholders filled, language) for the complaint's team, its language first."""
    from .canned import canned_replies

    replies = canned_replies(complaint, viewer.member.name, absolute_url(f"/complaints/{complaint.reference}"))
    return [(c.title, text, c.language) for c, text in replies]


add_route("/console/complaints/{reference}", "GET", complaint_page)
add_route("/console/complaints/{reference}", "POST", act)
add_route("/console/complaints/{reference}/version", "GET", complaint_version)
add_route("/console/complaints/{reference}/attachments/{seq}/{index}", "GET", attachment)
add_route("/console/complaints/{reference}/original/{seq}", "GET", original)
