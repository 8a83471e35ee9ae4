"""The SLA timer worker and the sweeper through the app's real handlers on moto: a stale timer is a no-op, and the
sweeper catches a due complaint whose schedule never fired, without firing twice."""
import json


from tests.integration.conftest import published_alerts
from tests.fakes import FixedClock, make_message


def test_a_stale_timer_is_a_no_op_and_the_sweeper_fires_a_missed_breach_once(client, aws):
    from chalicelib.domain.lifecycle import Actor, Command
    from chalicelib.wiring import services

    clock = FixedClock()
    services.override(clock=clock)
    reference = services.pipeline.process(make_message(requested_category="delivery", received_at=clock.now())).reference
    services.complaint_service.perform(reference, Command("change_priority", priority="P1"), Actor("a", "agent"))
    due = services.repository.get(reference).first_response_due_at

    # A timer from an older version of the clocks fires before anything is due: nothing happens.
    timer = {"reference": reference, "version": 1, "clock": "first_response", "kind": "breach"}
    event = client.events.generate_sqs_event(message_bodies=[json.dumps(timer)], queue_name="complaints-sla-timers")
    assert client.lambda_.invoke("sla_timer_worker", event).payload == {"batchItemFailures": []}
    assert published_alerts(aws) == []

    # No schedule fired at the breach (say it was deleted): the sweeper finds the complaint through the index.
    clock.set(due)
    client.lambda_.invoke("sla_sweeper", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    types = sorted(a["MessageAttributes"]["type"]["Value"] for a in published_alerts(aws))
    assert types == ["sla_breach"]  # the highest level due; the warning is not sent after the breach
    client.lambda_.invoke("sla_sweeper", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert published_alerts(aws) == []  # never twice
    assert services.repository.get(reference).breached
