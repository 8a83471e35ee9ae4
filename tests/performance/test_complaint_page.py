"""What the console's complaint page costs, counted on moto through botocore events, and its server time: the
same complaint's page with 50 and then 5,000 other complaints in its category (one run, so the ratio is fair).
Reads are bounded by the complaint, its customer and the similar-cases window, never by the backlog."""
from __future__ import annotations

import statistics
import time
from datetime import timedelta

from tests.performance.aws_calls import AwsCalls

RENDERS = 9


def test_the_complaint_page_reads_do_not_grow_with_the_backlog(tmp_path):
    from chalice.test import Client

    import app as application
    from chalicelib.adapters.dynamo_tables import TABLE_MODELS, ComplaintModel
    from chalicelib.domain.lifecycle import Actor, Command
    from chalicelib.domain.staff import StaffMember
    from chalicelib.wiring import services
    from tests.fakes import make_message
    from tests.integration.conftest import provision_fake_aws

    with provision_fake_aws(tmp_path) as _aws, Client(application.app) as client:
        services.staff.store.save(StaffMember("agent", "Alex Agent", "alex@example.com", teams=("logistics",)), None)
        secret, _ = services.sessions.start("agent", "agent", None)
        headers = {"Cookie": f"console_session={secret}", "Accept": "text/html"}
        reference = services.pipeline.process(make_message("My parcel never came.")).reference
        for n in range(8):  # a conversation of some length
            services.complaint_service.perform(reference, Command("note", message=f"Checked with the carrier {n}."),
                                               Actor("agent", "agent"))
        template = ComplaintModel.get(reference)

        def add_backlog(count: int, start: int) -> None:
            with ComplaintModel.batch_write() as batch:
                for n in range(start, start + count):
                    item = ComplaintModel(**{**template.attribute_values, "reference": f"CMP-20261101-{n:05d}"})
                    item.created_at = template.created_at - timedelta(minutes=n + 1)
                    batch.save(item)

        def measure() -> tuple[AwsCalls, float]:
            counter = AwsCalls()
            clients = {id(c): c for c in (m._get_connection().connection.client for m in TABLE_MODELS)}
            for c in clients.values():
                c.meta.events.register("after-call.*.*", counter)
            first = client.http.get(f"/console/complaints/{reference}", headers=headers)
            for c in clients.values():
                c.meta.events.unregister("after-call.*.*", counter)
            assert first.status_code == 200, first.body[:500]
            times = []
            for _ in range(RENDERS):
                began = time.perf_counter()
                client.http.get(f"/console/complaints/{reference}", headers=headers)
                times.append((time.perf_counter() - began) * 1000)
            return counter, statistics.median(times)

        add_backlog(50, 0)
        small, small_ms = measure()
        add_backlog(4950, 50)
        large, large_ms = measure()
        print(f"\ncomplaint page, 9 history events: with 50 complaints in its category {dict(small.calls)}, "
              f"{small.items_read} items read, median {small_ms:.0f} ms; with 5,000: {dict(large.calls)}, "
              f"{large.items_read} items read, median {large_ms:.0f} ms (server time on moto, ratio "
              f"{large_ms / small_ms:.2f}: moto answers a Query by walking the whole index, DynamoDB does not)")
        assert large.items_read == small.items_read and large.calls == small.calls
