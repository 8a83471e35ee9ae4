"""What the inbox reads on moto with 5,000 open complaints (and 300 spam, invalid and duplicate ones): per view, the
items the first page reads and the read capacity DynamoDB would charge for them (counted through botocore events:
each Query rounds the bytes it read up to 4 KB, half a unit per 4 KB read eventually consistently; moto's own
ConsumedCapacity is a constant), the searches, and the server time of the whole inbox page (its view and the
counts of every view), median of several renders."""
from __future__ import annotations

import math
import statistics
import time
from datetime import datetime, timedelta, timezone

from tests.performance.aws_calls import AwsCalls
from tests.performance.capacity import item_size

OPEN, SCREENED, RENDERS = 5_000, 300, 7
TEAMS = ("customer-care", "billing", "logistics", "product-care", "technical-support")
TOPICS = ("refund", "parcel", "rude", "invoice", "app", "broken", "late", "charge")


class Reads(AwsCalls):
    """AwsCalls plus the read capacity units (eventually consistent) of the Queries, from the bytes of the index
    entries they returned, and of the BatchGetItems, per item."""

    def __init__(self):
        super().__init__()
        self.units = 0.0

    def __call__(self, event_name: str, parsed: dict | None = None, **kwargs):
        super().__call__(event_name, parsed, **kwargs)
        if parsed and event_name.endswith(".Query"):
            size = sum(item_size(item) for item in parsed.get("Items", []))
            self.units += 0.5 * max(1, math.ceil(size / 4096))
        if parsed and event_name.endswith(".BatchGetItem"):
            for items in parsed.get("Responses", {}).values():
                self.units += sum(0.5 * max(1, math.ceil(item_size(item) / 4096)) for item in items)


class Replayed:
    """The repository for the timed renders: each lane read answered as the first render got it from moto (which walks
    the whole index for every Query, where DynamoDB answers in milliseconds), so the time is the page's own."""

    def __init__(self, inner):
        self.inner, self.answers, self.recording = inner, {}, True

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def open_for_assignee(self, member_id, limit=25, cursor=None):  # the header's count: through the replay too
        from chalicelib.domain.inbox import lane_page
        from chalicelib.domain.ports import Lane

        return lane_page(self, Lane("assignee", member_id), limit, cursor)

    def read_lane(self, lane, limit, after=None, bound=None, fetch=True):
        key = (lane, limit, after, fetch)  # (the `due` view's bound moves with the clock)
        if self.recording:
            self.answers[key] = self.inner.read_lane(lane, limit, after, bound, fetch)
        return self.answers[key]


def complaints(now: datetime):
    from chalicelib.domain.model import Channel, Complaint, Sender, Status

    open_statuses = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER)
    for n in range(OPEN + SCREENED):
        created = now - timedelta(minutes=17 * n + 5)
        team = TEAMS[n % len(TEAMS)]
        status = open_statuses[n % 4] if n < OPEN else (Status.SPAM, Status.INVALID, Status.DUPLICATE)[n % 3]
        assignee = None if n % 7 == 3 or n >= OPEN else ("alex" if n % 3 == 0 else f"{team}-agent-{n % 2 + 1}")
        topic = TOPICS[n % len(TOPICS)]
        answered = created + timedelta(hours=2) if n % 2 else None
        yield Complaint(
            reference=f"CMP-20261101-{n:05d}", channel=(Channel.WEB, Channel.EMAIL, Channel.SMS)[n % 3],
            channel_message_id=f"m{n}", sender=Sender(f"Customer {n}", f"c{n}@example.com", f"+4477009{n:05d}"),
            subject=f"A {topic} problem with order {n}",
            description=f"Order {n * 7} had a {topic} problem. I wrote on {created:%d %B} and nobody fixed it. " * 4,
            created_at=created, updated_at=created + timedelta(hours=1), status=status, category="general",
            priority=f"P{n % 4 + 1}", team=team if n < OPEN else None, assignee=assignee,
            first_response_due_at=created + timedelta(hours=8), resolution_due_at=created + timedelta(days=3),
            first_response_at=answered, customer_wrote_at=now if n % 11 == 0 else None,
            needs_triage=n % 40 == 0, breached=created + timedelta(hours=8) < now,
            classification={"category": "general", "confidence": 0.42, "priority": "P3", "priority_rule": "baseline",
                            "signals": ["negative_sentiment"], "sentiment": -0.3},
            screening_outcome="accepted" if n < OPEN else status.value, version=3)


def test_each_inbox_view_reads_about_a_page_and_the_page_renders_in_bounded_time(tmp_path):
    from chalice.test import Client

    import app as application
    from chalicelib.adapters.dynamo_repository import DynamoComplaintRepository, _to_item
    from chalicelib.adapters.dynamo_tables import TABLE_MODELS, ComplaintModel
    from chalicelib.domain import inbox
    from chalicelib.domain.staff import StaffMember
    from chalicelib.wiring import services
    from tests.integration.conftest import provision_fake_aws

    with provision_fake_aws(tmp_path), Client(application.app) as client:
        alex = StaffMember("alex", "Alex Agent", "alex@example.com", teams=("customer-care", "billing"))
        mei = StaffMember("mei", "Mei Manager", "mei@example.com", role="manager")
        for member in (alex, mei):
            services.staff.store.save(member, None)
        now = datetime.now(timezone.utc)
        began = time.perf_counter()
        with ComplaintModel.batch_write() as batch:
            for complaint in complaints(now):
                batch.save(_to_item(complaint))
        load_s = time.perf_counter() - began
        repository, teams = DynamoComplaintRepository(), services.live_config.current().teams
        events = ComplaintModel._get_connection().connection.client.meta.events

        def measured(plan) -> tuple[inbox.Result, Reads]:
            reads = Reads()
            events.register("after-call.dynamodb.*", reads)
            try:
                return inbox.read_page(repository, plan), reads
            finally:
                events.unregister("after-call.dynamodb.*", reads)

        lines, figures = [], {}
        for view in inbox.VIEWS:
            member = mei if view == "all" else alex
            result, reads = measured(inbox.plan(view, member, teams, now))
            figures[view] = (reads.items_read - reads.fetched, reads.fetched)
            lines.append(f"  {view:<11} {len(result.rows):>3} rows ({result.count:>3}), {reads.items_read - reads.fetched:>4}"
                         f" index entries in {reads.calls['dynamodb.Query']:>2} Queries, {reads.fetched:>3} items in "
                         f"{reads.calls['dynamodb.BatchGetItem']} BatchGetItem, {reads.units:>5.1f} RCU"
                         f"{', stopped at the cap' if result.capped else ''}")
        for text in ("refund order", "c1234@example.com"):
            result, reads = measured(inbox.search(text, now).plan)
            figures[text] = (reads.items_read - reads.fetched, reads.fetched)
            lines.append(f"  search {text!r}: {len(result.rows)} rows, {reads.items_read - reads.fetched} index entries "
                         f"in {reads.calls['dynamodb.Query']} Queries, {reads.fetched} items fetched, {reads.units:.1f} RCU")

        secret, _ = services.sessions.start("alex", "agent", None)
        headers = {"Cookie": f"console_session={secret}", "Accept": "text/html"}
        replayed = Replayed(services.repository)
        services.override(repository=replayed)
        page = Reads()
        clients = {id(c): c for c in (m._get_connection().connection.client for m in TABLE_MODELS)}
        for c in clients.values():
            c.meta.events.register("after-call.*.*", page)
        began = time.perf_counter()
        first = client.http.get("/console/inbox?view=mine", headers=headers)
        on_moto_ms = (time.perf_counter() - began) * 1000
        for c in clients.values():
            c.meta.events.unregister("after-call.*.*", page)
        assert first.status_code == 200 and b"Next page" in first.body, first.body[:300]
        replayed.recording = False
        times = []
        for _ in range(RENDERS):
            began = time.perf_counter()
            again = client.http.get("/console/inbox?view=mine", headers=headers)
            times.append((time.perf_counter() - began) * 1000)
        assert again.body.count(b'name="ref"') == inbox.PAGE_SIZE

        print(f"\ninbox over {OPEN:,} open and {SCREENED} screened complaints (loaded in {load_s:.1f} s), first page "
              f"of {inbox.PAGE_SIZE} per view; agent in {len(alex.teams)} teams, manager over {len(teams)}:\n"
              + "\n".join(lines)
              + f"\n  the inbox page (its view and every count): {page.items_read} items read, "
                f"{dict(page.calls)}, {page.units:.1f} RCU; {on_moto_ms:.0f} ms on moto (which walks the whole index "
                f"for each Query); server time with those reads answered at once: median "
                f"{statistics.median(times):.0f} ms over {RENDERS} renders")
        two_pages = 2 * inbox.PAGE_SIZE
        for view in inbox.VIEWS:  # every view is served by its index: about a page, never the backlog
            lanes = len(inbox.plan(view, mei if view == "all" else alex, teams, now).lanes)  # a lane per shard
            entries, fetched = figures[view]
            assert entries <= two_pages + inbox.MIN_CHUNK * lanes and fetched <= two_pages, view
        assert max(figures["refund order"]) <= inbox.SEARCH_READ_CAP and max(figures["c1234@example.com"]) <= two_pages
