"""Issue 17's serving path on `make run`'s stack: a complaint the customer filed under no category is classified by
the model on the sentence encoder; with the encoder gone (SENTENCE_ENCODER=off, what the intake worker meets
without its layer) the lexical twin classifies it and intake goes on."""
from __future__ import annotations

import pytest

from infra.stack_process import running_stack, submit
from tests.e2e.test_triage_acceptance import processed

FIRE = {"category": None, "subject": "Heater", "email": "ines@example.com",
        "description": "The heater caught fire on its second day and burned my hand. 电暖器着火了。"}


@pytest.mark.xdist_group("local-stack")
@pytest.mark.parametrize("encoder, model", [(True, "category-v1"), (False, "category-v1-lexical")])
def test_a_complaint_is_classified_on_the_encoder_and_by_the_fallback_without_it(tmp_path, encoder, model):
    with running_stack(tmp_path / "local", encoder=encoder) as stack:
        api, token = stack.endpoints["api_url"], stack.endpoints["agent_token"]
        complaint = processed(api, token, submit(api, **FIRE)["reference"], timeout=30)
        assert complaint["classification"]["model"] == model
        assert complaint["category"] == "product" and complaint["priority"] == "P1"
