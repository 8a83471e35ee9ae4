"""Request and response schemas (Pydantic). They validate input and describe the API in /openapi.json."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from typing_extensions import Annotated

from ..domain.lifecycle import RESOLUTION_CODES, ROOT_CAUSES
from ..domain.taxonomy import CAUSE_LABEL, SLUG
from ..domain.model import Status
from ..phones import normalize_phone

Priority = Literal["P1", "P2", "P3", "P4"]
StoredStatus = Literal[tuple(s.value for s in Status)]  # type: ignore[valid-type]
StatusName = Literal[("received",) + tuple(s.value for s in Status)]  # type: ignore[valid-type]
# The KPIs a PDCA action can target: chalicelib.quality.rollups.METRICS and pdca.CAUSE_KPIS (a unit test keeps them
# equal; importing those here would load the KPI code at the API's cold start).
TARGET_KPIS = (
    "volume", "first_response_mean_hours", "first_response_median_hours", "first_response_p90_hours",
    "resolution_mean_hours", "resolution_median_hours", "resolution_p90_hours", "sla_compliance", "resolution_rate",
    "fcr_rate", "reopen_rate", "duplicate_rate", "negative_share", "csat_average", "csat_satisfied_share",
    "survey_response_rate", "cause_count", "cause_share",
)
_TRUE = {"true", "on", "yes", "1"}
# Text that is more than white space, in the schema as in Python (where str.strip also drops \x1c-\x1f and \x85).
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"


class _Schema(BaseModel):
    model_config = ConfigDict(defer_build=True)  # validators are built on first use, not at cold start


class _Input(_Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        """HTML forms send empty strings for fields left blank."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data


def normalize_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email  # imported on use: keeps cold start lean

    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None


class ComplaintSubmission(_Input):
    """A complaint from the web form (JSON or form-encoded). Beyond this schema: a phone number must be one that
    exists in its numbering plan (libphonenumber), else 400 with a field-level message."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["email"]}, {"required": ["phone"]}]},
    )

    name: str = Field(min_length=1, pattern=NOT_BLANK, max_length=200)
    email: Optional[str] = Field(
        None, max_length=254, description="E-mail and/or phone is required", json_schema_extra={"format": "email"}
    )
    phone: Optional[str] = Field(None, max_length=32, description="Any format; stored as E.164")
    # No minimum lengths: an empty (or blank, or missing), short or garbage complaint is accepted and screened out
    # as `invalid` with its reason, kept for audit; the customer is told why (the form itself asks for both fields).
    subject: str = Field("", max_length=200)
    description: str = Field("", max_length=5000)
    category: Optional[str] = Field(None, pattern=SLUG.pattern,
                                    description="one of the configuration's categories offered on the form; "
                                                "another is a 400")
    language: Optional[str] = Field(None, pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$")
    consent: bool = Field(
        description="The customer agrees that we store and process the complaint; must be true",
        json_schema_extra={"const": True},
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: Optional[str]) -> Optional[str]:
        return normalize_email(value) if value else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: Optional[str]) -> Optional[str]:
        return normalize_phone(value) if value else None

    @field_validator("consent", mode="before")
    @classmethod
    def _checkbox(cls, value: Any) -> Any:
        return value.strip().lower() in _TRUE if isinstance(value, str) else value

    @field_validator("consent")
    @classmethod
    def _must_consent(cls, value: bool) -> bool:
        if not value:
            raise ValueError("consent is required to register a complaint")
        return value

    @model_validator(mode="after")
    def _contact(self) -> "ComplaintSubmission":
        if not self.email and not self.phone:
            raise ValueError("give an e-mail address or a phone number so we can reply")
        return self


class SubmissionAccepted(_Schema):
    reference: str
    status: StatusName
    status_url: str
    access_token: str = Field(description="Keep it: it opens the status page. We store only a hash of it.")


class ErrorResponse(_Schema):
    error: str
    message: str
    fields: Optional[dict[str, str]] = Field(None, description="Field name -> what is wrong with it")


class StatusQuery(_Schema):
    model_config = ConfigDict(extra="ignore")
    token: str = Field("", description="the access token; any wrong one (whatever its length) is the same 404")


class PublicEvent(_Schema):
    at: datetime
    type: str
    message: Optional[str] = None
    author: Literal["customer", "staff"] = "staff"
    attachments: list[str] = Field([], description="the names of the files the customer sent with it")


class PublicStatus(_Schema):
    reference: str
    status: StatusName
    subject: Optional[str] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    description: Optional[str] = None
    language: Optional[str] = None
    duplicate_of: Optional[str] = Field(None, description="the complaint this one joined (status duplicate)")
    reason: Optional[str] = Field(None, description="why it was not registered (status invalid), in plain words")
    history: list[PublicEvent]


class CustomerReply(_Schema):
    """A customer's message from their complaint's page (form-encoded or JSON); the files uploaded for it go
    with it."""

    model_config = ConfigDict(extra="ignore")
    token: str = Field(min_length=1, max_length=200)
    text: str = Field("", max_length=5000)
    message_id: Optional[str] = Field(None, max_length=64, description="the form's own id (8 to 64 letters, digits, "
                                      "- or _): the same form sent twice is one message; another value is ignored")


class CustomerToken(_Schema):
    model_config = ConfigDict(extra="ignore")
    token: str = Field(min_length=1, max_length=200)


# staff ------------------------------------------------------------------------
def _iso_datetime_only(value: Any) -> Any:
    """Pydantic would read '0.5' as a Unix timestamp; the API takes ISO 8601 date-times only."""
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        raise ValueError("use an ISO 8601 date-time with a timezone, e.g. 2026-11-22T00:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime_only)]


class ComplaintListQuery(_Schema):
    model_config = ConfigDict(extra="forbid")
    status: Optional[StoredStatus] = None
    team: Optional[str] = Field(None, max_length=64)
    priority: Optional[Priority] = None
    channel: Optional[Literal["web", "email", "sms"]] = None
    category: Optional[str] = Field(None, max_length=64)
    breached: Optional[bool] = None
    needs_triage: Optional[bool] = Field(None, description="true: the triage queue (open, the classifier was unsure)")
    created_from: Optional[IsoDateTime] = None
    created_to: Optional[IsoDateTime] = None
    limit: int = Field(25, ge=1, le=100)
    cursor: Optional[str] = Field(None, max_length=2048)

    @model_validator(mode="after")
    def _aware_dates(self) -> "ComplaintListQuery":
        for name in ("created_from", "created_to"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a timezone, e.g. 2026-11-22T00:00:00Z")
        return self


class Customer(_Schema):
    name: Optional[str] = None
    email: Optional[str] = None
    phone: Optional[str] = None


class ComplaintView(_Schema):
    reference: str
    version: int
    status: StatusName
    channel: str
    subject: str
    description: str
    customer: Customer
    language: Optional[str] = None
    category: str
    priority: Priority
    team: Optional[str] = None
    tier: Optional[str] = None  # the customer's tier when the complaint arrived
    assignee: Optional[str] = None
    breached: bool
    duplicate_of: Optional[str] = None
    needs_triage: bool = False
    screening: dict[str, Optional[str]]
    classification: dict[str, Any]
    attachments: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    next_due_at: Optional[datetime] = None
    first_response_due_at: Optional[datetime] = None
    resolution_due_at: Optional[datetime] = None
    first_response_at: Optional[datetime] = None
    acknowledged_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None
    closed_at: Optional[datetime] = None
    resolution_code: Optional[str] = None
    root_cause: Optional[str] = None
    allowed_actions: list[str]


class EventView(_Schema):
    seq: int
    at: datetime
    type: str
    actor: str
    actor_role: str
    visibility: Literal["public", "internal"]
    changes: dict[str, dict[str, Any]]
    message: Optional[str] = None
    data: dict[str, Any]


class ComplaintPage(_Schema):
    items: list[ComplaintView]
    next_cursor: Optional[str] = None


class ComplaintDetail(_Schema):
    complaint: ComplaintView
    history: list[EventView]


# staff actions: one body model each ---------------------------------------------
class _Action(_Input):
    expected_version: Optional[int] = Field(
        None, ge=1, description="Optimistic lock: fail with 409 if the complaint changed since this version"
    )


class AcknowledgeBody(_Action):
    pass


class MessageBody(_Action):
    message: str = Field(min_length=1, pattern=NOT_BLANK, max_length=5000)


class OptionalMessageBody(_Action):
    message: Optional[str] = Field(None, max_length=5000)


class CategoryBody(_Action):
    category: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    message: Optional[str] = Field(None, max_length=1000, description="Why the correction")


class PriorityBody(_Action):
    priority: Priority
    message: Optional[str] = Field(None, max_length=1000, description="Why the correction")


class AssignBody(_Action):
    assignee: str = Field(min_length=1, pattern=NOT_BLANK, max_length=128)
    team: Optional[str] = Field(None, max_length=64)


class ResolveBody(_Action):
    resolution_code: Literal[RESOLUTION_CODES]  # type: ignore[valid-type]
    root_cause: Literal[ROOT_CAUSES]  # type: ignore[valid-type]
    sub_cause: Optional[str] = Field(None, max_length=64, description="a sub-cause of the root cause (fishbone)")
    five_whys: Optional[list[Annotated[str, Field(min_length=1, pattern=NOT_BLANK, max_length=500)]]] = Field(
        None, min_length=1, max_length=5, description="an optional 5-why chain, first why first")
    message: Optional[str] = Field(None, max_length=5000)


class ReopenBody(_Action):
    message: str = Field(min_length=1, pattern=NOT_BLANK, max_length=1000, description="Why the complaint is reopened")


class TwilioInboundSms(_Schema):
    """The form Twilio posts for an incoming SMS (only the fields used are listed; Twilio sends more)."""

    model_config = ConfigDict(extra="allow")

    MessageSid: str = Field(min_length=1, max_length=64, description="Twilio's id of the message")
    From: str = Field(min_length=1, max_length=32, description="The sender's number, E.164")
    To: Optional[str] = Field(None, max_length=32)
    Body: str = Field("", max_length=10_000, description="The text of the message")
    NumMedia: int = Field(0, ge=0, le=10, description="MMS: how many MediaUrlN / MediaContentTypeN pairs follow")


# SLA explanation ------------------------------------------------------------------
class PausedSpan(_Schema):
    start: datetime
    end: Optional[datetime] = None


class ClockView(_Schema):
    name: Literal["first_response", "next_update", "resolution"]
    state: Literal["not_started", "running", "warning", "paused", "met", "stopped", "breached"]
    target: str = Field(description="business time, e.g. 4h")
    started_at: Optional[datetime] = None
    warning_at: Optional[datetime] = None
    due_at: Optional[datetime] = None
    elapsed: str = Field(description="business time counted so far")
    paused: list[PausedSpan]
    stopped_at: Optional[datetime] = None
    met: bool
    late: bool
    cycle: int
    reason: Optional[str] = Field(None, description="for a breach: why, in plain words")


class SlaView(_Schema):
    reference: str
    policy: str
    calendar: str
    breached: bool
    clocks: list[ClockView]
    update_cycles: list[ClockView]
    alerts_sent: list[str]


# reports and improvement actions ----------------------------------------------------
_REPORT_DAY = {"pattern": r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"}  # JSON Schema has no minimum for dates


class ReportWindowQuery(_Schema):
    """A report window. Beyond this schema (400 with a field-level message): `from` is not after `to`, and the
    window, with `to` defaulting to today, covers at most 367 days."""

    model_config = ConfigDict(extra="forbid")
    date_from: Optional[date] = Field(None, alias="from", ge=date(2000, 1, 1), le=date(2100, 12, 31),
                                      description="first day (default: 27 days before `to`)",
                                      json_schema_extra=_REPORT_DAY)
    date_to: Optional[date] = Field(None, alias="to", ge=date(2000, 1, 1), le=date(2100, 12, 31),
                                    description="last day, inclusive (default: today)", json_schema_extra=_REPORT_DAY)

    @model_validator(mode="after")
    def _sensible_window(self) -> "ReportWindowQuery":
        if self.date_from and self.date_to:
            if self.date_from > self.date_to:
                raise ValueError("from must not be after to")
            if (self.date_to - self.date_from).days > 366:
                raise ValueError("a report covers at most 367 days")
        return self


class KpiQuery(ReportWindowQuery):
    dimension: Literal["all", "team", "channel", "category", "agent"] = "all"
    value: str = Field("all", max_length=64)


class ParetoQuery(ReportWindowQuery):
    by: Literal["category", "root_cause", "sub_cause"] = "category"


class TrendQuery(_Schema):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(max_length=64)
    days: int = Field(56, ge=7, le=366)


class Report(_Schema):
    """A report as JSON (its fields depend on the report)."""

    report: str
    data: dict[str, Any]


class NewActionBody(_Input):
    """A PDCA action. The cause KPIs (cause_count, cause_share) need a root cause, the others a category. Beyond
    this schema (400 with a field-level message): `due` is not before `start`."""

    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"target_kpi": {"enum": ["cause_count", "cause_share"]}}},
        "then": {"required": ["root_cause"], "properties": {"root_cause": {"type": "string"}}},
        "else": {"required": ["category"], "properties": {"category": {"type": "string", "pattern": r"\S"}}},
    })

    title: str = Field(min_length=1, pattern=NOT_BLANK, max_length=200)
    owner: str = Field(min_length=1, pattern=NOT_BLANK, max_length=100)
    plan: str = Field(min_length=1, pattern=NOT_BLANK, max_length=5000)
    target_kpi: Literal[TARGET_KPIS]  # type: ignore[valid-type]
    target_value: float
    direction: Literal["lower", "higher"]
    start: date
    due: date
    category: Optional[str] = Field(None, max_length=64)
    root_cause: Optional[str] = Field(
        None, pattern=CAUSE_LABEL.pattern,
        description="a root cause, or cause/sub-cause, of the fishbone taxonomy in force (the configuration's "
                    "root_causes; an unknown sub-cause is a 400)")


class StageBody(_Input):
    to: Literal["do", "check", "act"]
    note: Optional[str] = Field(None, max_length=2000)


class ActBody(_Input):
    """Standardize or replan. Beyond this schema (400): a replan's `due` is not before its `start`."""

    decision: Literal["standardize", "replan"]
    note: Optional[str] = Field(None, max_length=2000)
    plan: Optional[str] = Field(None, max_length=5000)
    start: Optional[date] = None
    due: Optional[date] = None
    target_value: Optional[float] = None


class DashboardQuery(ReportWindowQuery):
    pass


class UnsupportedMediaType(BaseModel):
    """Chalice's own answer to a body that is not form-encoded (it never reaches the view)."""

    Code: str
    Message: str


# dead letters -------------------------------------------------------------------------------------
class DeadLetter(_Schema):
    message_id: Optional[str] = None
    sent_at: Optional[str] = None
    receive_count: int
    channel: Optional[str] = None
    channel_message_id: Optional[str] = None
    reference: Optional[str] = None
    thread_reference: Optional[str] = None
    error: Optional[str] = None
    body: str = Field(description="the start of the message, personal data masked")


class DeadLetterQueue(_Schema):
    queue: str
    count: int = Field(description="approximate number of messages")
    messages: list[DeadLetter] = Field(description="the oldest few, peeked (still on the queue)")


class DeadLetters(_Schema):
    queues: list[DeadLetterQueue]
    total: int


# run-time configuration ---------------------------------------------------------------------------------------------
class ConfigVersionView(_Schema):
    document: str
    version: int
    action: Literal["imported", "saved", "rolled_back"]
    saved_by: str
    saved_at: datetime
    note: Optional[str] = None
    text: Optional[str] = Field(None, description="the document as TOML (left out of history lists)")


class ConfigHistory(_Schema):
    versions: list[ConfigVersionView]
    next_before: Optional[int] = Field(None, description="pass as `before` for older versions")


class ConfigHistoryQuery(_Schema):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(20, ge=1, le=100)
    before: Optional[int] = Field(None, ge=2, description="only versions older than this one")


class ConfigText(_Input):
    """A proposed configuration: the whole document as TOML (the format of chalicelib/sla/default_policy.toml).
    Beyond this schema (400 with a field-level message per bad setting): the text is TOML and every setting holds."""

    model_config = ConfigDict(str_strip_whitespace=False)  # the text is kept as written
    text: str = Field(min_length=1, max_length=60_000, pattern=NOT_BLANK)


class ConfigChange(ConfigText):
    expected_version: int = Field(ge=1, description="the version in force the change was made on (409 otherwise)")
    note: Optional[str] = Field(None, max_length=500, description="why, for the history")


class ConfigRollback(_Input):
    expected_version: int = Field(ge=1, description="the version in force now, which is rolled back")
    note: Optional[str] = Field(None, max_length=500)


class ConfigPreview(_Schema):
    version: int = Field(description="the version in force the preview compares with")
    changed: bool
    diff: list[str] = Field(description="unified diff of the TOML text")
    effects: list[str] = Field(description="what the change does, in words, including to open complaints")


class CannedReply(_Schema):
    title: str
    language: Literal["en", "zh"]
    text: str = Field(description="with the complaint's placeholders filled in, ready to edit and send")


class CannedReplies(_Schema):
    reference: str
    items: list[CannedReply] = Field(description="the complaint's language first, then the others")
