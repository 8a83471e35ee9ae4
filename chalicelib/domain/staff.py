"""The staff directory: who works here, in which teams, with which skills, and whether they are available now.

A member's id is their sign-in name at the identity provider (Cognito's user name), so the signed-in identity,
routing, assignment and audit events all use the same id. Members are deactivated, never deleted (the history
names them). Availability: available, or away (optionally until a time, after which they count as available).
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Protocol

from .errors import InvalidCommand, NotFound

ROLES = ("agent", "manager", "admin")
LANGUAGES = ("en", "zh")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")  # teams and skills


@dataclass(frozen=True)
class StaffMember:
    id: str
    name: str
    email: str
    role: str = "agent"
    teams: tuple[str, ...] = ()
    lead_of: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    away: bool = False
    away_until: datetime | None = None
    active: bool = True
    timezone: str = "Europe/London"
    email_updates: bool = False  # e-mail me when a complaint is assigned to me or its customer writes again
    version: int = 1

    def available(self, now: datetime) -> bool:
        if not self.active:
            return False
        return not self.away or (self.away_until is not None and self.away_until <= now)

    @property
    def language(self) -> str:
        return self.languages[0] if self.languages else "en"


class StaffStore(Protocol):
    def all(self) -> list[StaffMember]:
        """Every member, active or not (one bounded Query: the directory is small)."""

    def get(self, member_id: str) -> StaffMember | None: ...

    def save(self, member: StaffMember, previous_version: int | None) -> None:
        """previous_version None: a new member; ConcurrentModification when the stored version differs."""


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass
class StaffDirectory:
    """Reads (cached for `refresh_seconds`, so routing sees a change within a minute) and changes to the directory."""

    store: StaffStore
    clock: Clock
    refresh_seconds: float = 30.0
    _members: list[StaffMember] | None = field(default=None, repr=False)
    _read_at: datetime | None = field(default=None, repr=False)

    def members(self) -> list[StaffMember]:
        now = self.clock.now()
        if self._members is None or self._read_at is None or (now - self._read_at).total_seconds() >= self.refresh_seconds:
            self._members = sorted(self.store.all(), key=lambda m: m.id)
            self._read_at = now
        return self._members

    def get(self, member_id: str) -> StaffMember:
        member = self.store.get(member_id)
        if member is None:
            raise NotFound(f"staff member {member_id!r} not found")
        return member

    def of_team(self, team: str) -> list[StaffMember]:
        """Members of the team, deactivated ones included (they are never available)."""
        return [m for m in self.members() if team in m.teams]

    def take_problem(self, member_id: str, team: str | None, assignee: str | None) -> str | None:
        """Why this member may not take a complaint of `team` now assigned to `assignee` (None: they may)."""
        member = self.store.get(member_id)
        if member is None or not member.active:
            return "only active members of the staff directory take complaints"
        if assignee is not None and assignee != member_id:
            return f"the complaint is assigned to {assignee}; a manager can reassign it"
        if team not in member.teams:
            return f"the complaint belongs to team {team}; you are in {', '.join(member.teams) or 'no team'}"
        return None

    def add(self, member: StaffMember) -> StaffMember:
        checked = validated(member)
        if self.store.get(checked.id) is not None:
            raise InvalidCommand(f"{checked.id!r} is taken: choose another sign-in name", field="id")
        self.store.save(checked, None)
        self._members = None
        return checked

    def update(self, member: StaffMember, expected_version: int) -> StaffMember:
        checked = dataclasses.replace(validated(member), version=expected_version + 1)
        self.store.save(checked, expected_version)
        self._members = None
        return checked

    def set_availability(self, member_id: str, away: bool, until: datetime | None = None) -> StaffMember:
        member = self.get(member_id)
        if until is not None and until <= self.clock.now():
            raise InvalidCommand("the end of the absence must be in the future", field="away_until")
        return self.update(dataclasses.replace(member, away=away, away_until=until if away else None),
                           member.version)


def validated(member: StaffMember) -> StaffMember:
    problems: dict[str, str] = {}
    if not ID_PATTERN.match(member.id or ""):
        problems["id"] = "2 to 63 characters: lower-case letters, digits, dot, dash or underscore"
    if not (member.name or "").strip() or len(member.name) > 100:
        problems["name"] = "a display name of 1 to 100 characters is required"
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", member.email or ""):
        problems["email"] = "a valid e-mail address is required"
    if member.role not in ROLES:
        problems["role"] = f"one of {', '.join(ROLES)}"
    for name, values in (("teams", member.teams), ("lead_of", member.lead_of), ("skills", member.skills)):
        bad = [v for v in values if not NAME_PATTERN.match(v)]
        if bad:
            problems[name] = f"not a valid name: {', '.join(bad)} (lower-case letters, digits, - and _)"
    if set(member.lead_of) - set(member.teams):
        problems["lead_of"] = "a team lead must be a member of the team"
    unknown_languages = [lang for lang in member.languages if lang not in LANGUAGES]
    if unknown_languages or not member.languages:
        problems["languages"] = f"one or more of {', '.join(LANGUAGES)}"
    if problems:
        raise InvalidCommand("; ".join(f"{k}: {v}" for k, v in problems.items()), fields=problems)
    return dataclasses.replace(member, name=member.name.strip(), email=member.email.strip().lower(),
                               teams=_unique(member.teams), lead_of=_unique(member.lead_of),
                               skills=_unique(member.skills), languages=_unique(member.languages))


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
