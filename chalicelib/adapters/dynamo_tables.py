"""PynamoDB table models. Keys and GSIs follow the access patterns; nothing here needs a Scan.

complaints        reference                      -> one complaint
  by_team_due     open_team + next_due_at        -> a team's complaints with an SLA instant coming (sparse): the sweeper
  by_team_sla_due open_team + sla_due_at         -> a team's open complaints, soonest SLA deadline first (sparse): inbox
                  (open_team is "<team>#<shard>", status_key "<status>#<shard>": domain.ports.INDEX_SHARDS keys each)
  by_assignee_due open_assignee + sla_due_at     -> a member's open complaints, or a team's unassigned ones, soonest SLA deadline first
  by_email        customer_email + created_at    -> a customer's complaints (duplicates, repeat complainers)
  by_phone        customer_phone + created_at    -> the same, for phone identities (E.164)
  by_category     category + created_at          -> analytics by category and date
  by_status       status_key + created_at        -> staff lists filtered by status
  by_month        created_month + created_at     -> staff lists by date, newest first
complaint_events  reference + seq                -> append-only history (seq == complaint version)
  by_example      example_for + at               -> staff corrections, the labelled examples retraining reads (sparse)
agent_load        agent                          -> open complaints assigned to a member (routing's least-loaded pick)
message_index     key                            -> channel message id (and later Message-IDs) -> reference
sms_opt_outs      phone                          -> a number's SMS consent (STOP / START), E.164
sms_keyword_log   phone + message_id             -> audit of every STOP / START / HELP a number sent
config_versions   document + version             -> run-time configuration, every version kept, newest in force
staff             kind + id                      -> the staff directory (one small partition)
staff_sessions    id                             -> console sessions (hash of the cookie secret), TTL
"""
from __future__ import annotations

import os
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    ListAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class _Meta:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    host = os.environ.get("DYNAMODB_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or None
    billing_mode = "PAY_PER_REQUEST"


def _index(name: str, hash_attr: str, range_attr: str, projection: Any = None) -> type[GlobalSecondaryIndex]:
    """A GSI (KEYS_ONLY unless told: an index entry is written only when its keys change, and readers fetch the
    items they show with one BatchGetItem); PynamoDB reads its keys from the class attributes."""
    meta = {"index_name": name, "projection": projection or KeysOnlyProjection(), "billing_mode": "PAY_PER_REQUEST"}
    attrs = {
        "Meta": type("Meta", (), meta),
        hash_attr: UnicodeAttribute(hash_key=True),
        range_attr: UTCDateTimeAttribute(range_key=True),
    }
    return type(f"{name.title().replace('_', '')}Index", (GlobalSecondaryIndex,), attrs)


class ComplaintModel(Model):
    class Meta(_Meta):
        table_name = os.environ.get("COMPLAINTS_TABLE", "complaints")

    reference = UnicodeAttribute(hash_key=True)
    version = NumberAttribute()
    status = UnicodeAttribute()
    status_key = UnicodeAttribute(null=True)  # status#shard (domain.ports.sharded): by_status
    channel = UnicodeAttribute()
    channel_message_id = UnicodeAttribute()
    customer_name = UnicodeAttribute(null=True)
    customer_email = UnicodeAttribute(null=True)
    customer_phone = UnicodeAttribute(null=True)
    subject = UnicodeAttribute()
    description = UnicodeAttribute()
    language = UnicodeAttribute(null=True)
    category = UnicodeAttribute()
    priority = UnicodeAttribute()
    team = UnicodeAttribute(null=True)
    tier = UnicodeAttribute(null=True)
    open_team = UnicodeAttribute(null=True)  # team#shard while open, absent otherwise (sparse index)
    assignee = UnicodeAttribute(null=True)
    open_assignee = UnicodeAttribute(null=True)  # while open: the assignee, or "unassigned#<team>"; absent otherwise
    created_at = UTCDateTimeAttribute()
    created_month = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    next_due_at = UTCDateTimeAttribute(null=True)
    sla_due_at = UTCDateTimeAttribute(null=True)  # while open: domain.inbox.queue_due, the inbox's order
    first_response_due_at = UTCDateTimeAttribute(null=True)
    resolution_due_at = UTCDateTimeAttribute(null=True)
    first_response_at = UTCDateTimeAttribute(null=True)
    customer_wrote_at = UTCDateTimeAttribute(null=True)
    acknowledged_at = UTCDateTimeAttribute(null=True)
    ack_sent_at = UTCDateTimeAttribute(null=True)
    resolved_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    resolution_code = UnicodeAttribute(null=True)
    root_cause = UnicodeAttribute(null=True)
    breached = BooleanAttribute(default=False)
    screening_outcome = UnicodeAttribute()
    screening_reason = UnicodeAttribute(null=True)
    duplicate_of = UnicodeAttribute(null=True)
    needs_triage = BooleanAttribute(default=False)
    triage_queue = UnicodeAttribute(null=True)  # "needs_triage" while open and unsure, absent otherwise (sparse index)
    classification = JSONAttribute(null=True)
    attachments = JSONAttribute(null=True)
    email_thread = ListAttribute(of=UnicodeAttribute, null=True)
    timers = JSONAttribute(null=True)
    alerts_sent = ListAttribute(of=UnicodeAttribute, null=True)
    token_hash = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL: once closed, closed_at + retention (dynamo_repository.retention)

    by_team_due = _index("by_team_due", "open_team", "next_due_at")()
    by_team_sla_due = _index("by_team_sla_due", "open_team", "sla_due_at")()
    by_assignee_due = _index("by_assignee_due", "open_assignee", "sla_due_at")()
    by_email = _index("by_email", "customer_email", "created_at")()
    by_phone = _index("by_phone", "customer_phone", "created_at")()
    by_category = _index("by_category", "category", "created_at")()
    by_status = _index("by_status", "status_key", "created_at")()
    by_month = _index("by_month", "created_month", "created_at")()
    by_triage = _index("by_triage", "triage_queue", "created_at")()


class EventModel(Model):
    class Meta(_Meta):
        table_name = os.environ.get("EVENTS_TABLE", "complaint-events")

    reference = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    at = UTCDateTimeAttribute()
    type = UnicodeAttribute()
    actor = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    visibility = UnicodeAttribute()
    changes = JSONAttribute(null=True)
    message = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    example_for = UnicodeAttribute(null=True)  # "category" or "priority" on a correction, absent otherwise

    expires_at = NumberAttribute(null=True)  # TTL, except a staff correction (retraining keeps it)
    by_example = _index("by_example", "example_for", "at", AllProjection())()  # retraining reads whole examples


class MessageIndexModel(Model):
    class Meta(_Meta):
        table_name = os.environ.get("MESSAGES_TABLE", "message-index")

    key = UnicodeAttribute(hash_key=True)
    reference = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute(null=True)  # TTL: outlives its complaint (dynamo_repository.retention)


class SmsOptOutModel(Model):
    class Meta(_Meta):
        table_name = os.environ.get("SMS_OPT_OUTS_TABLE", "sms-opt-outs")

    phone = UnicodeAttribute(hash_key=True)
    state = UnicodeAttribute()  # opted_out | opted_in
    keyword = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class SmsKeywordLogModel(Model):
    class Meta(_Meta):
        table_name = os.environ.get("SMS_KEYWORD_LOG_TABLE", "sms-keyword-log")

    phone = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)  # the provider's id: a re-delivered keyword is not logged twice
    keyword = UnicodeAttribute()
    action = UnicodeAttribute()
    state = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    provider = UnicodeAttribute()


class InboundMailModel(Model):
    """The mail log: one item per inbound mail (SES message id), whatever became of it."""

    class Meta(_Meta):
        table_name = os.environ.get("INBOUND_MAIL_TABLE", "inbound-mail")

    ses_message_id = UnicodeAttribute(hash_key=True)
    received_at = UTCDateTimeAttribute()
    received_day = UnicodeAttribute()  # YYYY-MM-DD: the by_day index lists a day's mail, newest first
    outcome = UnicodeAttribute()
    disposition = UnicodeAttribute()
    reason = UnicodeAttribute()
    sender = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    reference = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute(null=True)
    details = JSONAttribute(null=True)  # verdicts, attachments, parse problems
    expires_at = NumberAttribute(null=True)  # TTL (epoch seconds)

    by_day = _index("by_day", "received_day", "received_at", AllProjection())()  # the mail log shows each entry


class AckLimitModel(Model):
    """Acknowledgements sent to one sender on one day (the references), to cap them."""

    class Meta(_Meta):
        table_name = os.environ.get("ACK_LIMITS_TABLE", "ack-limits")

    sender_day = UnicodeAttribute(hash_key=True)  # "<email or phone>#YYYY-MM-DD"
    references = UnicodeSetAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL (epoch seconds)


class TeamRoutingModel(Model):
    """The round-robin cursors of each team, one per shard ("<team>#<shard>"): the agent each assigned last."""

    class Meta(_Meta):
        table_name = os.environ.get("TEAM_ROUTING_TABLE", "team-routing")

    team = UnicodeAttribute(hash_key=True)
    last_assigned = UnicodeAttribute()


class AgentLoadModel(Model):
    """How many open complaints each member holds: changed in the same transaction as the complaint whose
    assignee or openness changes, so routing reads one item per agent, never the backlog."""

    class Meta(_Meta):
        table_name = os.environ.get("AGENT_LOAD_TABLE", "agent-load")

    agent = UnicodeAttribute(hash_key=True)
    open = NumberAttribute(default=0)


class AlertWindowModel(Model):
    """Alerts published per team and storm window (storm protection)."""

    class Meta(_Meta):
        table_name = os.environ.get("ALERT_WINDOWS_TABLE", "alert-windows")

    team_window = UnicodeAttribute(hash_key=True)  # "<team>#<window start ISO>"
    count = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)  # TTL (epoch seconds)


class StatsModel(Model):
    """KPI rollups: one item per series (pk "week#category#billing") and period start (sk "2026-11-23"), holding
    additive counters (attributes written by the stats store with ADD); markers (sk "marker") make each event count
    once; recent alerts live under pk "alerts#<day>"."""

    class Meta(_Meta):
        table_name = os.environ.get("STATS_TABLE", "stats")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute(null=True)  # TTL for markers and alert entries


class ImprovementActionModel(Model):
    """PDCA improvement actions: all under one partition (a handful per month), newest id last."""

    class Meta(_Meta):
        table_name = os.environ.get("ACTIONS_TABLE", "improvement-actions")

    kind = UnicodeAttribute(hash_key=True)  # "action"
    id = UnicodeAttribute(range_key=True)
    body = JSONAttribute()
    version = NumberAttribute()


class ConfigVersionModel(Model):
    """Run-time configuration as versioned documents: every saved version is kept (the audit trail); the newest is
    the one in force. One Query with Limit 1 (newest first) reads it."""

    class Meta(_Meta):
        table_name = os.environ.get("CONFIG_TABLE", "config-versions")

    document = UnicodeAttribute(hash_key=True)  # e.g. "sla"
    version = NumberAttribute(range_key=True)
    text = UnicodeAttribute()  # the document as TOML, comments kept
    action = UnicodeAttribute()  # imported, saved, rolled_back
    saved_by = UnicodeAttribute()
    saved_at = UTCDateTimeAttribute()
    note = UnicodeAttribute(null=True)


class StaffMemberModel(Model):
    """The staff directory: one partition (a helpdesk has tens to hundreds of staff), one item per member."""

    class Meta(_Meta):
        table_name = os.environ.get("STAFF_TABLE", "staff")

    kind = UnicodeAttribute(hash_key=True)  # "member"
    id = UnicodeAttribute(range_key=True)  # the identity provider's user name
    body = JSONAttribute()
    version = NumberAttribute()


class StaffSessionModel(Model):
    """Console sessions, and customers' sign-in links and sessions (chalicelib/domain/customer_access.py), keyed by
    a hash of the secret (the secret itself is never stored)."""

    class Meta(_Meta):
        table_name = os.environ.get("SESSIONS_TABLE", "staff-sessions")

    id = UnicodeAttribute(hash_key=True)
    body = JSONAttribute()
    expires_at = NumberAttribute()  # TTL: the absolute end of the session


TABLE_MODELS = (ComplaintModel, EventModel, MessageIndexModel, SmsOptOutModel, SmsKeywordLogModel, InboundMailModel,
                AckLimitModel, TeamRoutingModel, AgentLoadModel, AlertWindowModel, StatsModel,
                ImprovementActionModel, ConfigVersionModel, StaffMemberModel, StaffSessionModel)
