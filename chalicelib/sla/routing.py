"""Skill-based routing: category -> team (config), then the least-loaded available agent with the skill.

Load is ACTIVE load: the agent's complaints with an SLA clock running right now (paused, resolved and closed ones
do not count). The caller supplies the counts (see active_load) and a round-robin cursor per team (the agent it
assigned last), which it stores with the assignment; ties on load go to the next tied agent after the cursor,
in the team's configured order, so the choice is deterministic.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from chalicelib.domain.staff import StaffMember

from .clocks import SlaClocks
from .config import Agent, SlaConfig, Team


@dataclass(frozen=True)
class Assignment:
    team: str
    agent: str | None  # None: left in the team's queue
    reason: str  # in words, for the history


def assign(
    category: str, config: SlaConfig, load: Mapping[str, int], last_assigned: str | None = None,
    roster: Team | None = None,
) -> Assignment:
    """Route a complaint of this category: its team, and an agent in it when one is available. `roster`: the
    team with its agents as they are now (with_directory), instead of the configuration's list."""
    team = config.routing.team_for(category)
    skill = config.routing.skill_for(category)
    assignment = pick_agent(team, roster or config.teams[team], skill, load, last_assigned)
    if category not in config.routing.categories:
        reason = f"no routing rule for '{category}', fallback team; {assignment.reason}"
        return Assignment(team, assignment.agent, reason)
    return assignment


def pick_agent(
    team_name: str, team: Team, skill: str, load: Mapping[str, int], last_assigned: str | None = None
) -> Assignment:
    """The available agent with `skill` and the fewest running complaints; ties broken round-robin."""
    skilled = [a for a in team.agents if skill in a.skills]
    candidates = [a.id for a in skilled if a.available]
    if not candidates:
        why = (f"{len(skilled)} with the skill {'is' if len(skilled) == 1 else 'are'} unavailable" if skilled
               else "nobody has the skill")
        return Assignment(team_name, None, f"no available agent with skill '{skill}' in team {team_name} "
                                           f"({why}); left in the team queue")
    least = min(load.get(a, 0) for a in candidates)
    tied = [a for a in candidates if load.get(a, 0) == least]
    order = [a.id for a in team.agents]
    chosen = _round_robin(tied, order, last_assigned)
    reason = f"least loaded available agent with skill '{skill}' ({least} open)"
    if len(tied) > 1:
        others = ", ".join(a for a in tied if a != chosen)
        after = f"last assigned: {last_assigned}" if last_assigned in order else "no previous assignment"
        reason += f"; tie with {others} broken round-robin ({after})"
    return Assignment(team_name, chosen, reason)


def with_directory(team: Team, members: Iterable[StaffMember], now: datetime) -> Team:
    """The team's agents as routing sees them now. Once the staff directory has members in the team, they are its
    roster, with their skills and availability (away, deactivated); until then, the configuration's agents."""
    members = sorted(members, key=lambda m: m.id)
    if not members:
        return team
    configured = {a.id: a for a in team.agents}
    agents = [Agent(id=m.id, skills=list(m.skills) or (configured[m.id].skills if m.id in configured else []),
                    available=m.available(now)) for m in members]
    return team.model_copy(update={"agents": agents})


def active_load(assigned: Iterable[tuple[str | None, SlaClocks]]) -> Counter:
    """Running complaints per agent from (assignee, clocks) pairs: only those with a clock running count."""
    return Counter(agent for agent, clocks in assigned if agent and any(c.running for c in clocks.current))


def _round_robin(tied: list[str], order: list[str], last: str | None) -> str:
    """The first tied agent after `last` in the team's order, wrapping around; the first one without a cursor."""
    if last not in order:
        return tied[0]
    start = order.index(last) + 1
    rotated = order[start:] + order[:start]
    return next(a for a in rotated if a in tied)
