"""The SLA and routing configuration: a TOML file validated with Pydantic when it is loaded.

A bad file fails at start with SlaConfigError naming each bad field, e.g.
    policies[1].targets.first_response: invalid duration '4 hours'; use e.g. 30m, 4h, ...
The shipped default is default_policy.toml next to this module; its comments document the format.
"""
from __future__ import annotations

import functools
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, field_validator, model_validator

from chalicelib.domain.model import PRIORITIES, Channel
from chalicelib.domain.stages import DEFAULT_CATEGORIES
from chalicelib.domain.taxonomy import FISHBONE, SLUG, Taxonomy

from .calendar import BusinessCalendar, weekly_hours
from .durations import Duration, parse_duration, parse_timedelta
from .terms import SlaTerms

DEFAULT_PATH = Path(__file__).with_name("default_policy.toml")
ALWAYS = "24x7"  # the built-in calendar: every hour of every day, UTC
TEAM = "team"  # a policy calendar meaning "the calendar of the team the complaint is routed to"

BusinessDuration = Annotated[Duration, PlainValidator(parse_duration)]  # '1d' = one business day of the calendar
ClockDuration = Annotated[timedelta, PlainValidator(parse_timedelta)]  # '1d' = 24 hours
Priority = Literal[PRIORITIES]  # type: ignore[valid-type]


class SlaConfigError(ValueError):
    """The SLA file is missing, not TOML, or invalid; the message lists every bad field, `fields` maps each field's
    path (e.g. calendars.uk-office.timezone) to what is wrong with it."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Targets(_Model):
    first_response: BusinessDuration
    next_update: BusinessDuration  # after each customer message
    resolution: BusinessDuration


class Policy(_Model):
    """Matched in file order; a missing condition matches anything."""

    name: str = Field(min_length=1)
    priorities: list[Priority] | None = Field(None, min_length=1)
    categories: list[str] | None = Field(None, min_length=1)
    channels: list[Channel] | None = Field(None, min_length=1)
    tiers: list[str] | None = Field(None, min_length=1)  # customer tiers; a complaint without a tier skips these
    teams: list[str] | None = Field(None, min_length=1)  # the team the complaint is routed to
    calendar: str = TEAM  # a calendar name, "24x7", or "team"
    warning_at: float = Field(0.75, gt=0, lt=1)
    # How late an alert may go out: each complaint's timer fires at a fixed point of this window after the instant,
    # which spreads instants that business hours make coincide (every weekend complaint's Monday warning).
    alert_lateness: ClockDuration = timedelta(0)
    targets: Targets

    def matches(self, priority: str, category: str, channel: Channel | str, tier: str | None = None,
                team: str | None = None) -> bool:
        return (
            (self.teams is None or team in self.teams)
            and (self.priorities is None or priority in self.priorities)
            and (self.categories is None or category in self.categories)
            and (self.channels is None or Channel(channel) in self.channels)
            and (self.tiers is None or (tier is not None and tier in self.tiers))
        )

    def covers_all_of(self, priority: str) -> bool:
        """Matches every complaint of this priority, whatever its category, channel and tier."""
        return self.categories is None and self.channels is None and self.tiers is None and self.teams is None and (
            self.priorities is None or priority in self.priorities
        )


class TierRule(_Model):
    """The customers of one tier: by e-mail domain, e-mail address or phone number. Rules are tried in order and
    the first that names the sender gives the complaint its tier, stamped when it arrives."""

    tier: str = Field(min_length=1, max_length=40)
    domains: list[str] = []  # e.g. "bigcorp.com" (also matches its subdomains)
    emails: list[str] = []
    phones: list[str] = []  # E.164

    @field_validator("domains", "emails")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [v.strip().lower().lstrip("@") for v in values]

    def names(self, email: str | None, phone: str | None) -> bool:
        if phone and phone in self.phones:
            return True
        if not email:
            return False
        email = email.lower()
        domain = email.rpartition("@")[2]
        return email in self.emails or any(domain == d or domain.endswith("." + d) for d in self.domains)


class Calendar(_Model):
    timezone: str  # IANA name, e.g. Europe/London
    hours: dict[str, list[str]]  # weekday -> ["09:00-17:00"] (several ranges allow a lunch break)
    holidays: list[date] = []  # local dates with no business hours
    day_length: ClockDuration = timedelta(hours=8)  # what "1d" means in targets on this calendar

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name such as Europe/London "
                "(if the name is right, this system has no tz database: install the tzdata package)"
            ) from None
        return value

    @field_validator("hours", mode="before")
    @classmethod
    def _valid_hours(cls, value: object) -> object:
        if isinstance(value, dict):
            value = {day: [ranges] if isinstance(ranges, str) else ranges for day, ranges in value.items()}
            weekly = weekly_hours(value)  # raises ValueError naming the bad weekday or range
            if not any(weekly.values()):
                raise ValueError("a calendar needs opening hours on at least one weekday")
        return value

    @field_validator("day_length")
    @classmethod
    def _sensible_day(cls, value: timedelta) -> timedelta:
        if not timedelta(0) < value <= timedelta(hours=24):
            raise ValueError("day_length must be more than 0 and at most 24h")
        return value

    def build(self, name: str) -> BusinessCalendar:
        return BusinessCalendar(
            name=name, timezone=self.timezone, weekly=weekly_hours(self.hours),
            holidays=frozenset(self.holidays), day_length=self.day_length,
        )


class Agent(_Model):
    id: str = Field(min_length=1)
    skills: list[str] = []
    available: bool = True


class Team(_Model):
    calendar: str  # a calendar name or "24x7"
    lead: str  # L1 contact (role name or id)
    manager: str  # L2 contact
    agents: list[Agent] = []

    @field_validator("agents")
    @classmethod
    def _unique_agents(cls, agents: list[Agent]) -> list[Agent]:
        ids = [a.id for a in agents]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"agent ids must be unique within a team: {', '.join(duplicates)}")
        return agents


class Routing(_Model):
    fallback_team: str  # for categories without a rule
    categories: dict[str, str] = {}  # category -> team
    skills: dict[str, str] = {}  # category -> skill an agent needs (default: the category itself)

    def team_for(self, category: str) -> str:
        return self.categories.get(category, self.fallback_team)

    def skill_for(self, category: str) -> str:
        return self.skills.get(category, category)


class Escalation(_Model):
    head_of_service: str  # L3 contact
    l3_after_breach: ClockDuration = timedelta(hours=2)  # clock time after a breach before L3


class Alerts(_Model):
    max_per_team: int = Field(10, ge=1)  # alerts one team may receive per window; the rest go into a digest
    window: ClockDuration = timedelta(minutes=15)


PLACEHOLDERS = ("customer_name", "reference", "agent_name", "team", "status_link")  # what a canned response may contain, as {name}


class CannedResponse(_Model):
    """A reply agents insert and edit: {customer_name}, {reference}, {agent_name}, {team} and {status_link} (the
    customer's status page) are filled in."""

    title: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=5000)
    language: Literal["en", "zh"] = "en"
    teams: list[str] = []  # empty: every team

    @field_validator("text")
    @classmethod
    def _known_placeholders(cls, text: str) -> str:
        import string

        try:
            names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        except ValueError as error:
            raise ValueError(f"{error}; write a literal brace as {{{{ or }}}}") from None
        unknown = sorted({n for n in names if n not in PLACEHOLDERS})
        if unknown:
            raise ValueError(f"unknown placeholder {', '.join('{' + n + '}' for n in unknown)}; "
                             f"use {', '.join('{' + n + '}' for n in PLACEHOLDERS)}")
        return text

    def render(self, **values: str) -> str:
        return self.text.format(**{name: values.get(name, "") for name in PLACEHOLDERS})


class Category(_Model):
    """A complaint category: what staff and customers read, and whether customers may choose it on the form."""

    label: str = Field(min_length=1, max_length=60)
    label_zh: str = Field("", max_length=60)
    description: str = Field("", max_length=500)
    on_form: bool = True  # offered on the customer's form

    def label_in(self, language: str) -> str:
        return self.label_zh if language == "zh" and self.label_zh else self.label


class RootCause(_Model):
    """A bone of the fishbone: its meaning and its sub-causes (names of lowercase letters, digits and _)."""

    description: str = Field("", max_length=500)
    sub_causes: list[str] = []

    @field_validator("sub_causes")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        bad = [n for n in names if not SLUG.match(n)]
        if bad:
            raise ValueError(f"not a sub-cause name: {bad[0]!r}; use lowercase letters, digits and _ (max 40)")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"sub-causes must be unique: {', '.join(repeated)}")
        return names


def _default_categories() -> dict[str, Category]:
    return {name: Category(label=name.replace("_", " ").capitalize()) for name in DEFAULT_CATEGORIES}


def _default_root_causes() -> dict[str, RootCause]:
    return {bone: RootCause(sub_causes=list(subs)) for bone, subs in FISHBONE.items()}


class SlaConfig(_Model):
    policies: list[Policy] = Field(min_length=1)
    calendars: dict[str, Calendar] = {}
    teams: dict[str, Team] = Field(min_length=1)
    routing: Routing
    escalation: Escalation
    alerts: Alerts = Alerts()
    canned_responses: list[CannedResponse] = []
    customer_tiers: list[TierRule] = []
    categories: dict[str, Category] = Field(default_factory=_default_categories)
    root_causes: dict[str, RootCause] = Field(default_factory=_default_root_causes)

    @model_validator(mode="after")
    def _references_resolve(self) -> "SlaConfig":
        problems = self._taxonomy_problems()
        calendars = set(self.calendars) | {ALWAYS}
        for name in self.calendars:
            if name in (ALWAYS, TEAM):
                problems.append(f"calendars.{name}: {name!r} is a reserved calendar name")
        for i, policy in enumerate(self.policies):
            if policy.calendar not in calendars | {TEAM}:
                where = f"policies[{i}] ({policy.name}).calendar"
                problems.append(f"{where}: unknown calendar {policy.calendar!r} ({_known(calendars)})")
        for i, policy in enumerate(self.policies):
            unknown = [t for t in policy.teams or () if t not in self.teams]
            if unknown:
                problems.append(f"policies[{i}] ({policy.name}).teams: unknown team {unknown[0]!r} "
                                f"({_known(self.teams)})")
        tiers = {rule.tier for rule in self.customer_tiers}
        for i, policy in enumerate(self.policies):
            unknown = [t for t in policy.tiers or () if t not in tiers]
            if unknown:
                problems.append(f"policies[{i}] ({policy.name}).tiers: no customer_tiers rule gives tier "
                                f"{unknown[0]!r} ({_known(tiers)})")
        for name, team in self.teams.items():
            if team.calendar not in calendars:
                problems.append(f"teams.{name}.calendar: unknown calendar {team.calendar!r} ({_known(calendars)})")
        for category, team in [("fallback_team", self.routing.fallback_team), *self.routing.categories.items()]:
            if team not in self.teams:
                where = "routing.fallback_team" if category == "fallback_team" else f"routing.categories.{category}"
                problems.append(f"{where}: unknown team {team!r} ({_known(self.teams)})")
        for i, canned in enumerate(self.canned_responses):
            unknown = [t for t in canned.teams if t not in self.teams]
            if unknown:
                problems.append(f"canned_responses[{i}] ({canned.title}).teams: unknown team {unknown[0]!r} "
                                f"({_known(self.teams)})")
        for priority in PRIORITIES:
            if not any(p.covers_all_of(priority) for p in self.policies):
                problems.append(
                    f"policies: nothing matches every {priority} complaint; add a policy with only "
                    f"priorities = [\"{priority}\"] (or no conditions) after the specific ones"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _taxonomy_problems(self) -> list[str]:
        problems = [f"categories.{name}: not a category name; use lowercase letters, digits and _ (max 40)"
                    for name in self.categories if not SLUG.match(name)]
        problems += [f"categories.{name}: the triage model assigns this category, so it cannot be removed "
                     "(set on_form = false to hide it from customers)"
                     for name in DEFAULT_CATEGORIES if name not in self.categories]
        problems += [f"root_causes.{name}: not a bone of the fishbone; use {', '.join(FISHBONE)}"
                     for name in self.root_causes if name not in FISHBONE]
        problems += [f"root_causes.{bone}: every bone of the fishbone stays (it may have no sub-causes)"
                     for bone in FISHBONE if bone not in self.root_causes]
        mentioned = [*(f"routing.categories.{c}" for c in self.routing.categories),
                     *(f"routing.skills.{c}" for c in self.routing.skills),
                     *(f"policies[{i}] ({p.name}).categories.{c}" for i, p in enumerate(self.policies)
                       for c in p.categories or ())]
        problems += [f"{where}: unknown category {where.rsplit('.', 1)[1]!r} ({_known(self.categories)})"
                     for where in mentioned if where.rsplit(".", 1)[1] not in self.categories]
        return problems

    # -- lookups ---------------------------------------------------------------------------------------------
    def form_categories(self, language: str = "en") -> list[tuple[str, str]]:
        """(name, label) of the categories customers may choose on the form, in the document's order."""
        return [(name, c.label_in(language)) for name, c in self.categories.items() if c.on_form]

    def taxonomy(self) -> Taxonomy:
        return self._taxonomy

    @functools.cached_property
    def _taxonomy(self) -> Taxonomy:
        fishbone = {bone: tuple(self.root_causes[bone].sub_causes) for bone in FISHBONE if bone in self.root_causes}
        return Taxonomy(tuple(self.categories), fishbone)

    def policy_for(self, priority: str, category: str, channel: Channel | str, tier: str | None = None,
                   team: str | None = None) -> Policy:
        """The first policy, in file order, whose conditions all hold (validation guarantees one exists)."""
        for policy in self.policies:
            if policy.matches(priority, category, channel, tier, team):
                return policy
        raise LookupError(f"no SLA policy matches priority {priority!r}")

    def tier_of(self, email: str | None, phone: str | None) -> str | None:
        """The customer's tier: the first customer_tiers rule naming their e-mail, domain or phone, else None."""
        return next((rule.tier for rule in self.customer_tiers if rule.names(email, phone)), None)

    def calendar(self, name: str) -> BusinessCalendar:
        return self._calendars[name]

    def team_calendar(self, team: str | None) -> BusinessCalendar:
        known = team if team in self.teams else self.routing.fallback_team
        return self.calendar(self.teams[known].calendar)

    def terms_for(
        self, priority: str, category: str, channel: Channel | str, team: str | None, tier: str | None = None
    ) -> SlaTerms:
        """The targets and calendar one complaint is measured against (its current priority, category, team)."""
        policy = self.policy_for(priority, category, channel, tier, team)
        calendar = self.team_calendar(team) if policy.calendar == TEAM else self.calendar(policy.calendar)
        t = policy.targets
        return SlaTerms(
            policy=policy.name,
            first_response=t.first_response.on(calendar.day_length),
            next_update=t.next_update.on(calendar.day_length),
            resolution=t.resolution.on(calendar.day_length),
            calendar=calendar,
            warning_at=policy.warning_at,
            alert_lateness=policy.alert_lateness,
        )

    @functools.cached_property
    def _calendars(self) -> dict[str, BusinessCalendar]:
        built = {name: calendar.build(name) for name, calendar in self.calendars.items()}
        return {ALWAYS: BusinessCalendar.twenty_four_seven(), **built}


def parse_config(text: str, source: str = "<string>") -> SlaConfig:
    """Validate TOML text; raises SlaConfigError listing every bad field."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SlaConfigError(f"SLA config {source} is not valid TOML: {error}", {"text": f"not valid TOML: {error}"}) \
            from None
    try:
        return SlaConfig.model_validate(raw)
    except ValidationError as error:
        lines = [line for e in error.errors() for line in _describe(e, raw).splitlines()]
        fields: dict[str, str] = {}
        for line in lines:
            path, _, message = line.partition(": ")
            fields.setdefault(path if message else "text", message or line)
        raise SlaConfigError(f"SLA config {source} is invalid:\n  " + "\n  ".join(lines), fields) from None


def load_config(path: str | Path | None = None) -> SlaConfig:
    """Load and validate the SLA file (the shipped default when no path is given)."""
    path = Path(path) if path else DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SlaConfigError(f"SLA config {path} cannot be read: {error.strerror}") from None
    return parse_config(text, str(path))


@functools.lru_cache(maxsize=1)
def default_config() -> SlaConfig:
    """The shipped default, parsed once per process (per Lambda container)."""
    return load_config(DEFAULT_PATH)


def _describe(error: dict, raw: dict) -> str:
    """One Pydantic error as 'field.path: message', with our own ValueError text kept as written."""
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
    loc = error["loc"]
    if len(loc) > 1 and loc[0] == "policies" and isinstance(loc[1], int):  # name the policy, not just its index
        entry = raw["policies"][loc[1]]
        name = entry.get("name") if isinstance(entry, dict) else None
        path = path.replace(f"policies[{loc[1]}]", f"policies[{loc[1]}] ({name})", 1) if name else path
    cause = error.get("ctx", {}).get("error")
    message = str(cause) if isinstance(cause, ValueError) else error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown field (check the spelling)"
    return f"{path}: {message}" if path else message


def _known(names: object) -> str:
    return "known: " + ", ".join(sorted(names))  # type: ignore[call-overload]
