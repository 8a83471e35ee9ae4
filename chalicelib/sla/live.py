"""The SLA and routing configuration in force, changed at run time without a redeploy.

The configuration is a versioned document (TOML text, the format of default_policy.toml) in a store. Each saved
version is validated first (the same rules as the file: a bad value is refused with its field, nothing is saved),
kept for ever with who saved it, when and why, and becomes the one in force. Every function re-reads the newest
version at most every `refresh` (30 s), so a change takes effect everywhere within a minute. The first use, on an
empty store, imports the shipped (or configured) file as version 1. A rollback saves the previous version's text
again as a new version, so the history only grows.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable, Protocol

from chalicelib.domain.errors import ConcurrentModification, IllegalTransition, InvalidCommand, NotFound

from .config import SlaConfig, SlaConfigError, parse_config

SLA_DOCUMENT = "sla"
REFRESH = timedelta(seconds=30)


@dataclass(frozen=True)
class ConfigVersion:
    document: str
    version: int
    text: str
    action: str  # imported, saved, rolled_back
    saved_by: str
    saved_at: datetime
    note: str | None = None


class ConfigVersions(Protocol):
    def latest(self, document: str) -> ConfigVersion | None: ...

    def get(self, document: str, version: int) -> ConfigVersion | None: ...

    def history(self, document: str, limit: int, before: int | None = None) -> list[ConfigVersion]:
        """Newest first; `before`: only versions older than it."""

    def append(self, version: ConfigVersion) -> None:
        """Stores a new version; ConcurrentModification if that version number exists already."""


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Preview:
    """What saving `text` over the version in force would do, before it is saved."""

    current: ConfigVersion
    config: SlaConfig
    diff: list[str]  # unified diff of the TOML text
    effects: list[str]  # the changes in words, with what they do to open complaints

    @property
    def changed(self) -> bool:
        return bool(self.diff)


class LiveSlaConfig:
    def __init__(self, versions: ConfigVersions, clock: Clock, seed: Callable[[], str],
                 refresh: timedelta = REFRESH, document: str = SLA_DOCUMENT):
        self.versions, self.clock, self.seed, self.refresh, self.document = versions, clock, seed, refresh, document
        self._cached: tuple[ConfigVersion, SlaConfig] | None = None
        self._read_at: datetime | None = None

    # -- reading ---------------------------------------------------------------------------------------------------
    def current(self) -> SlaConfig:
        return self._in_force()[1]

    def version(self) -> ConfigVersion:
        return self._in_force()[0]

    def _in_force(self) -> tuple[ConfigVersion, SlaConfig]:
        now = self.clock.now()
        if self._cached is None or self._read_at is None or now - self._read_at >= self.refresh:
            newest = self.versions.latest(self.document) or self._import_seed(now)
            if self._cached is None or self._cached[0].version != newest.version:
                self._cached = (newest, parse_config(newest.text, f"{self.document} v{newest.version}"))
            self._read_at = now
        return self._cached

    def _import_seed(self, now: datetime) -> ConfigVersion:
        text = self.seed()
        parse_config(text, "the configuration file")  # a bad file stops here, before it is stored
        first = ConfigVersion(self.document, 1, text, "imported", "system", now, "first start: the configuration file")
        try:
            self.versions.append(first)
        except ConcurrentModification:  # another function imported it first
            return self.versions.latest(self.document) or first
        return first

    def history(self, limit: int = 20, before: int | None = None) -> list[ConfigVersion]:
        self._in_force()  # imports the file on an empty store, so the history starts with it
        return self.versions.history(self.document, limit, before)

    def get(self, version: int) -> ConfigVersion:
        found = self.versions.get(self.document, version)
        if found is None:
            raise NotFound(f"{self.document} configuration version {version} does not exist")
        return found

    # -- changing --------------------------------------------------------------------------------------------------
    def preview(self, text: str, open_counts: Callable[[Iterable[str]], dict[str, str]] | None = None) -> Preview:
        """Validates `text` (InvalidCommand naming each bad field) and says what it would change."""
        current = self._fresh()
        config = _validated(text)
        old = parse_config(current.text, "the version in force")
        diff = list(difflib.unified_diff(current.text.splitlines(), text.splitlines(), f"v{current.version}",
                                         "proposed", lineterm="", n=1))
        effects = describe_changes(old, config)
        teams = changed_teams(old, config)
        if effects and open_counts and teams:
            counts = open_counts(sorted(teams))
            effects.append("Open complaints of the teams concerned: "
                           + ", ".join(f"{team} {counts.get(team, '0')}" for team in sorted(teams)) + ".")
        return Preview(current, config, diff, effects)

    def save(self, text: str, by: str, expected_version: int, note: str | None = None,
             action: str = "saved") -> ConfigVersion:
        """Stores `text` as the next version; ConcurrentModification if the version in force is not
        `expected_version` (someone saved in between)."""
        _validated(text)
        current = self._fresh()
        if current.version != expected_version:
            raise ConcurrentModification(
                f"the configuration changed since version {expected_version} (now {current.version}, saved by "
                f"{current.saved_by}); review it and save again")
        saved = ConfigVersion(self.document, current.version + 1, text, action, by, self.clock.now(), note)
        self.versions.append(saved)
        self._cached, self._read_at = None, None
        return saved

    def rollback(self, by: str, expected_version: int, note: str | None = None) -> ConfigVersion:
        """Puts the version before the one in force back in force (as a new version)."""
        current = self._fresh()
        if current.version <= 1:
            raise IllegalTransition("there is no earlier version to roll back to")
        previous = self.get(current.version - 1)
        return self.save(previous.text, by, expected_version,
                         note or f"rollback of v{current.version} to v{previous.version}", action="rolled_back")

    def _fresh(self) -> ConfigVersion:
        self._read_at = None  # a change is checked against what is stored now, not the cached copy
        return self.version()


def _validated(text: str) -> SlaConfig:
    try:
        return parse_config(text, "the proposed configuration")
    except SlaConfigError as error:
        raise InvalidCommand(str(error), field="text", fields=error.fields) from None


def changed_teams(old: SlaConfig, new: SlaConfig) -> set[str]:
    """Teams whose complaints the change can affect: changed or removed teams, teams on a changed calendar, and
    every team when policies or escalation change."""
    if old.policies != new.policies or old.escalation != new.escalation:
        return set(old.teams) | set(new.teams)
    teams = {t for t in set(old.teams) | set(new.teams) if old.teams.get(t) != new.teams.get(t)}
    changed_calendars = {c for c in set(old.calendars) | set(new.calendars)
                         if old.calendars.get(c) != new.calendars.get(c)}
    teams |= {t for t, team in new.teams.items() if team.calendar in changed_calendars}
    return teams


def describe_changes(old: SlaConfig, new: SlaConfig) -> list[str]:
    """The differences in words, each with what it does to complaints already open."""
    effects: list[str] = []
    old_policies = {p.name: p for p in old.policies}
    for policy in new.policies:
        before = old_policies.get(policy.name)
        if before is None:
            effects.append(f"New policy {policy.name!r}.")
            continue
        for clock in ("first_response", "next_update", "resolution"):
            was, now = getattr(before.targets, clock), getattr(policy.targets, clock)
            if str(was) != str(now):
                way = _compared(_business_seconds(now), _business_seconds(was))
                effects.append(f"Policy {policy.name!r}: {clock.replace('_', ' ')} target {was} -> {now} ({way}). "
                               "Open complaints under it get the new deadline at their next update; a shorter target "
                               "can put them in warning or breach at once.")
        conditions = ("priorities", "categories", "channels", "tiers", "teams")
        if any(getattr(before, c) != getattr(policy, c) for c in conditions):
            effects.append(f"Policy {policy.name!r}: its conditions changed; new complaints are matched with them at "
                           "once, open ones at their next update.")
        if before.calendar != policy.calendar or before.warning_at != policy.warning_at:
            effects.append(f"Policy {policy.name!r}: calendar or warning threshold changed; open complaints under it "
                           "are re-timed at their next update.")
    for name in old_policies.keys() - {p.name for p in new.policies}:
        effects.append(f"Policy {name!r} removed: its open complaints fall to the next matching policy.")
    if [p.name for p in old.policies if p.name in {q.name for q in new.policies}] != \
            [p.name for p in new.policies if p.name in old_policies]:
        effects.append("The order of policies changed: the first matching policy applies.")
    for name in sorted(set(old.calendars) | set(new.calendars)):
        if old.calendars.get(name) != new.calendars.get(name):
            effects.append(f"Calendar {name!r} changed: business time on its teams' open complaints is counted "
                           "with it from their next update.")
    for name in sorted(set(old.teams) | set(new.teams)):
        was, now = old.teams.get(name), new.teams.get(name)
        if was is None:
            effects.append(f"New team {name!r}.")
        elif now is None:
            effects.append(f"Team {name!r} removed: its open complaints keep it until they are reassigned.")
        elif was != now:
            effects.append(f"Team {name!r} changed (agents, contacts or calendar): new complaints are routed with it "
                           "at once.")
    if old.routing != new.routing:
        effects.append("Routing changed: it applies to new complaints; open ones stay with their team.")
    if old.escalation != new.escalation:
        effects.append("Escalation contacts changed: the next alerts go to the new contacts.")
    if old.alerts != new.alerts:
        effects.append("Alert-storm settings changed: they apply to the next alerts.")
    if old.categories != new.categories:
        effects.append("Categories changed: staff and the customer's form use them at once; complaints keep the "
                       "category they have.")
    if old.root_causes != new.root_causes:
        effects.append("Root causes changed: they apply to the next resolutions; reports keep past causes.")
    if old.canned_responses != new.canned_responses:
        effects.append("Canned responses changed: agents get the new texts when they next open a complaint.")
    return effects


def _compared(new: float, old: float) -> str:
    return "shorter" if new < old else "longer" if new > old else "the same length"


def _business_seconds(duration: object) -> float:
    """A target's length for comparison; a business day counted as 8 hours."""
    on = getattr(duration, "on", None)
    return on(timedelta(hours=8)).total_seconds() if on else 0.0
