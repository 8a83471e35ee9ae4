"""Demo traffic: replays a few hundred complaints over weeks of simulated time into the running local stack, then
checks the reports against its own hand count.

    python -m infra.replay [--state-dir .local] [--weeks 6] [--seed 7]

It runs the real use cases in this process against the stack's moto (intake, staff actions, surveys and answers,
a PDCA action, the early-warning run), with a simulated clock. SLA timers are off here: the stack's runner would
fire weeks of past deadlines at once. At the end it prints the replay's own counts beside the KPI report and the
alerts it raised (a volume spike on the last day, a low CSAT), and exits 1 if a count does not match.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

CATEGORIES = {  # daily base volume, and a few sentences customers write (our own)
    "delivery": (4, ["My parcel for order {n} arrived {d} days late and the box was crushed.",
                     "The courier marked order {n} as delivered but nothing came.",
                     "Order {n} was left outside in the rain and the contents are ruined."]),
    "billing": (3, ["I was charged twice for order {n}; please refund the duplicate payment.",
                    "My invoice {n} shows a fee I never agreed to.",
                    "The refund for order {n} has not reached my account after {d} weeks."]),
    "product": (2, ["The kettle from order {n} stopped working after {d} days.",
                    "The jacket from order {n} has a broken zip and a torn seam."]),
    "technical": (1, ["The app logs me out every time I open my orders, order {n} cannot be tracked.",
                      "Password reset emails never arrive, I cannot log in to see order {n}."]),
    "service_attitude": (1, ["The agent on the phone was rude and hung up on me about order {n}."]),
}
SPIKE_CATEGORY, SPIKE_SIZE = "billing", 14
SPIKE_TEXT = "I was double charged for order {n}: the duplicate payment of {d}9.99 was taken twice from my card."
ROOT_CAUSES = ["process"] * 5 + ["product"] * 2 + ["people"] * 2 + ["technology"]
AGENT = ("replay-agent", "agent")


@dataclass
class HandCount:
    volume: Counter = field(default_factory=Counter)  # per category, accepted complaints in the report window
    resolved: int = 0
    first_responses: int = 0
    answers: list[int] = field(default_factory=list)

    def add_answer(self, score: int) -> None:
        self.answers.append(score)


class SimClock:
    def __init__(self, now: datetime):
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now  # each complaint is played through in order; the next one may start earlier


def connect(state_dir: Path) -> dict:
    """The stack's environment in this process (moto endpoints, tables, keys); returns its endpoints."""
    from infra.local_stack import use_environment
    from infra.mint_token import local_keys

    endpoints = json.loads((state_dir / "endpoints.json").read_text())
    keys = local_keys(state_dir)
    moto = endpoints["moto_url"]
    use_environment({
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": endpoints["region"],
        "AWS_REGION": endpoints["region"], "AWS_ENDPOINT_URL": moto, "DYNAMODB_ENDPOINT": moto,
        **endpoints["environment"], "ROLLUPS_INLINE": "1", "TOKEN_SECRET": keys["token_secret"],
        "LOCAL_JWT_SECRET": keys["jwt_secret"], "OUTBOX_DIR": str(Path(endpoints["outbox_file"]).parent),
        "PUBLIC_BASE_URL": endpoints["api_url"], "SURVEY_DELAY_MINUTES": "60",
    })
    return endpoints


def replay(state_dir: Path, weeks: int, seed: int, scale: float = 1.0, out=print) -> int:
    endpoints = connect(state_dir)
    from chalicelib.domain.lifecycle import Actor, Command
    from chalicelib.domain.model import Channel, IntakeMessage, Sender, Status
    from chalicelib.quality.reporting import Window
    from chalicelib.quality.survey import SurveyAnswer
    from chalicelib.sla.keeper import SlaKeeper
    from chalicelib.wiring import services
    from chalicelib.workers.early_warning import run_early_warning

    rng = random.Random(seed)
    today = datetime.now(timezone.utc).date()
    first_day = today - timedelta(days=7 * weeks - 1)
    clock = SimClock(datetime.combine(first_day, time(7), tzinfo=timezone.utc))
    services.override(clock=clock, sla_keeper=SlaKeeper(services.live_config.current, None))
    pipeline, staff, surveys = services.pipeline, services.complaint_service, services.surveys
    agent = Actor(*AGENT)
    action_start = today - timedelta(days=7 * weeks // 2)  # the PDCA action starts halfway
    window = Window(today - timedelta(days=27), today)
    hand = HandCount()
    outbox = Path(endpoints["outbox_file"])
    numbers = iter(range(10_000, 99_999))
    run = uuid.uuid4().hex[:8]  # another run on the same stack replays new messages, not re-deliveries
    before = figures(services, window)  # what the stack held already: only the replay is compared

    def complaint(day: date, category: str, text: str, low_mood: bool) -> None:
        received = datetime.combine(day, time(8), tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(0, 600))
        clock.set(received)
        n = next(numbers)
        message = IntakeMessage(
            channel=rng.choice([Channel.WEB, Channel.WEB, Channel.EMAIL, Channel.SMS]), channel_message_id=f"replay-{run}-{n}",
            sender=Sender(name=f"Customer {n}", email=f"customer{n}@example.org", phone=None),
            subject=text.split(",")[0].split(":")[0][:60], text=text.format(n=n, d=rng.randint(2, 9)),
            received_at=received, requested_category=category)
        message = message if message.channel != Channel.SMS else IntakeMessage(
            **{**message.__dict__, "sender": Sender(phone=f"+4477009{n % 100000:05d}")})
        reference = pipeline.process(message).reference
        stored = services.repository.get(reference)
        if stored.status != Status.NEW:
            return
        if window.start <= day <= window.end:
            hand.volume[stored.category] += 1
        if day == today:
            return  # today's complaints are still waiting
        clock.set(received + timedelta(hours=rng.choice([1, 2, 3, 5, 9, 26])))
        staff.perform(reference, Command("respond", message="We are looking into it."), agent)
        if window.start <= clock.now().date() <= window.end:
            hand.first_responses += 1
        clock.set(clock.now() + timedelta(hours=rng.randint(2, 60)))
        if clock.now().date() > today:
            return
        staff.perform(reference, Command("resolve", message="Sorted, sorry for the trouble.",
                                         resolution_code=rng.choice(["refunded", "replaced", "explained"]),
                                         root_cause=rng.choice(ROOT_CAUSES)), agent)
        resolved_on = clock.now().date()
        if window.start <= resolved_on <= window.end:
            hand.resolved += 1
        clock.set(clock.now() + timedelta(minutes=61))
        if clock.now().date() > today or surveys.send(reference, clock.now()).outcome != "sent":
            return
        if rng.random() < 0.35:
            return  # no answer
        token = survey_token(outbox, reference)
        score = rng.choice([1, 2, 2, 3]) if low_mood else rng.choice([3, 4, 4, 5, 5, 5])
        result = surveys.answer(token, SurveyAnswer.parse({"score": str(score), "reason": "slow" if score <= 2 else "",
                                                          "comment": ""}), clock.now())
        if result and window.start <= clock.now().date() <= window.end:
            hand.add_answer(score)

    for offset in range(7 * weeks):
        day = first_day + timedelta(days=offset)
        weekend = day.weekday() >= 5
        for category, (base, texts) in CATEGORIES.items():
            improved = category == "delivery" and day >= action_start  # the PDCA action works
            count = max(0, round(scale * base * (0.5 if weekend else 1.0) * (0.5 if improved else 1.0)
                                 + rng.uniform(-1, 1)))
            for _ in range(count):
                complaint(day, category, rng.choice(texts), low_mood=category == "delivery" and day > today - timedelta(days=7))
        if day == today:
            for _ in range(SPIKE_SIZE):
                complaint(day, SPIKE_CATEGORY, SPIKE_TEXT, low_mood=False)
    create_action(services, action_start, today, clock)
    clock.set(datetime.combine(today, time(23, 30), tzinfo=timezone.utc))
    raised = run_early_warning(clock.now())
    return report(services, window, hand, raised, out, before)


def create_action(services, start: date, today: date, clock: SimClock) -> None:
    from chalicelib.quality import pdca

    now = clock.now()
    action = pdca.new_action("PDCA-DELIVERY-1", "Photo check at courier hand-over", "logistics-lead",
                             "Couriers photograph every parcel at the door", "volume", 20, "lower", start,
                             today + timedelta(days=14), by="replay-manager", at=now, category="delivery")
    for stage in ("do", "check"):
        action = pdca.advance(action, stage, "replay-manager", now)
    try:
        services.actions.save(action, None)
    except Exception:  # noqa: BLE001 - replayed twice: the action exists already
        pass


def survey_token(outbox: Path, reference: str) -> str:
    for line in reversed(outbox.read_text(encoding="utf-8").splitlines()):
        record = json.loads(line)
        if record["reference"] == reference and record["kind"] == "survey":
            return re.search(r"/survey/([\w.\-~]+)", record["text"]).group(1)
    raise LookupError(f"no survey link for {reference}")


def figures(services, window) -> dict[str, float]:
    """The reported figures the replay checks, as additive amounts (so a run's share is after - before)."""
    kpis = services.reports.kpis(window)
    counted = {"complaints (accepted)": kpis.volume, "first responses": kpis.first_response.count,
               "resolutions": kpis.resolved, "survey answers": kpis.csat_responses,
               "CSAT sum": round((kpis.csat_average or 0) * kpis.csat_responses)}
    counted.update({f"  {category}": services.reports.kpis(window, "category", category).volume
                    for category in services.reports.categories})
    return counted


def report(services, window, hand: HandCount, raised: list[str], out, before: dict[str, float]) -> int:
    """The replay's own hand count against what the reports gained during the replay (after - before), so a stack
    that already holds complaints (the demo, an earlier replay) is fine."""
    after = figures(services, window)
    gained = {name: after[name] - before.get(name, 0) for name in after}
    rows = [("complaints (accepted)", sum(hand.volume.values()), gained["complaints (accepted)"]),
            ("first responses", hand.first_responses, gained["first responses"]),
            ("resolutions", hand.resolved, gained["resolutions"]),
            ("survey answers", len(hand.answers), gained["survey answers"]),
            ("CSAT sum", sum(hand.answers), gained["CSAT sum"])]
    rows += [(f"  {category}", hand.volume.get(category, 0), gained[f"  {category}"])
             for category in services.reports.categories if hand.volume.get(category) or gained[f"  {category}"]]
    out(f"\nKPIs {window.start} to {window.end}: hand count vs what the reports gained during this replay")
    mismatches = 0
    for label, counted, reported in rows:
        ok = counted == reported
        mismatches += not ok
        out(f"  {label:<24} {counted!s:>8} {reported!s:>8}  {'ok' if ok else 'MISMATCH'}")
    out(f"alerts raised by the early-warning run: {', '.join(raised) or 'none'}")
    low = [a for a in services.stats.recent_alerts(window.end, days=28, limit=500) if a["type"] == "csat_low_score"]
    out(f"low CSAT answers alerted to team leads: {len(low)}")
    return 1 if mismatches else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", default=".local", type=Path)
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="daily volume factor (the spike stays)")
    args = parser.parse_args(argv)
    return replay(args.state_dir, args.weeks, args.seed, args.scale)


if __name__ == "__main__":
    sys.exit(main())
