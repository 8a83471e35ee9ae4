"""The retraining decisions (functions/retrain/retraining.py) and which model version serves (ServingModel)."""
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from chalicelib.adapters.model_registry import (
    S3ModelRegistry, ServingModel, artifact_digest, next_version, version_number)
from functions.retrain.retraining import RetrainSettings, gate, should_train, training_set


@dataclass
class Correction:
    text: str
    label: str


def card(macro_f1: float | None, parity: float = 1.0) -> dict:
    cv = {"macro_f1_mean": macro_f1, "accuracy_mean": 0.9} if macro_f1 is not None else None
    return {"metrics": {"cross_validation": cv, "runtime_parity_on_training_rows": parity}}


def test_training_set_adds_new_texts_and_relabels_known_ones():
    texts, labels, counts = training_set(
        ["Parcel late", "Charged twice"], ["delivery", "billing"],
        [Correction("  charged   TWICE ", "policy"), Correction("Rude agent", "service_attitude"),
         Correction("Parcel late", "delivery")],
    )
    assert texts == ["Parcel late", "Charged twice", "Rude agent"]
    assert labels == ["delivery", "policy", "service_attitude"]
    assert counts == {"base_rows": 2, "corrections_added": 1, "base_rows_relabelled": 1, "rows": 3}


def test_training_set_keeps_one_row_per_text_among_corrections():
    texts, labels, _ = training_set([], [], [Correction("Rude agent", "general"), Correction("rude agent", "service_attitude")])
    assert texts == ["Rude agent"] and labels == ["service_attitude"]


@pytest.mark.parametrize("total, last, force, expected", [
    (12, 0, False, True), (12, 5, False, False), (15, 5, False, True), (5, 5, True, True), (0, 0, False, False)])
def test_training_waits_for_enough_new_corrections(total, last, force, expected):
    decision = should_train(total, last, RetrainSettings(min_new_corrections=10), force)
    assert decision.publish is expected
    assert f"{total - last} new corrections" in decision.reason


@pytest.mark.parametrize("candidate, serving, expected", [
    (0.90, 0.91, True),  # within max_drop
    (0.88, 0.91, False),  # worse by more than max_drop
    (0.95, 0.91, True),
    (0.70, None, True),  # nothing to compare with (no card): the first model
])
def test_the_gate_compares_cross_validated_macro_f1(candidate, serving, expected):
    decision = gate(card(candidate), card(serving) if serving is not None else None, RetrainSettings(max_drop=0.02))
    assert decision.publish is expected
    assert f"{candidate:.4f}" in decision.reason


def test_the_gate_refuses_a_candidate_without_cross_validation_or_parity():
    assert not gate(card(None), card(0.5), RetrainSettings()).publish
    refused = gate(card(0.99, parity=0.99), card(0.5), RetrainSettings())
    assert not refused.publish and "parity" in refused.reason
    encoded = card(0.99)
    encoded["metrics"]["runtime_parity_encoding_each_text"] = {"rows": 500, "parity": 0.99}
    refused = gate(encoded, card(0.5), RetrainSettings())
    assert not refused.publish and "parity 0.99 " in refused.reason


def test_version_numbers():
    assert [version_number(v) for v in ("v1", "v12", "builtin", None, "v")] == [1, 12, 0, 0, 0]


class FakeRegistry:
    def __init__(self):
        self.active, self.fail, self.reads = None, False, 0

    def pointer(self):
        self.reads += 1
        if self.fail:
            raise ConnectionError("S3 is down")
        return {"active": self.active} if self.active else {}

    def download(self, version, root, digest=None):
        return root / "category" / version


def test_serving_model_reads_the_pointer_at_most_every_refresh_and_survives_outages(tmp_path):
    registry, clock = FakeRegistry(), [0.0]
    serving = ServingModel(registry, Path("/builtin/v1"), cache_root=tmp_path, refresh_seconds=300,
                           monotonic=lambda: clock[0])
    assert serving() == Path("/builtin/v1")
    registry.active = "v2"
    clock[0] = 299.0
    assert serving() == Path("/builtin/v1") and registry.reads == 1  # not yet due
    clock[0] = 300.0
    assert serving() == tmp_path / "category" / "v2"
    registry.fail, clock[0] = True, 600.0
    assert serving() == tmp_path / "category" / "v2"  # the last good answer
    registry.fail, registry.active, clock[0] = False, None, 900.0
    assert serving() == Path("/builtin/v1")  # rolled back


def test_the_next_version_follows_every_published_one_and_the_builtin_one():
    assert next_version({}, "v1") == "v2"
    assert next_version({"published": ["v2", "v3"], "active": "v2"}, "v1") == "v4"  # after a rollback too
    assert next_version({}, None) == "v1"


class FakeS3:
    """get_object over a dict of key -> bytes, with the NoSuchKey error the registry expects."""

    class exceptions:
        class NoSuchKey(Exception):
            pass

    def __init__(self, objects: dict):
        self.objects, self.gets = objects, 0

    def get_object(self, Bucket, Key):
        self.gets += 1
        if Key not in self.objects:
            raise self.exceptions.NoSuchKey(Key)
        return {"Body": io.BytesIO(self.objects[Key])}


def test_a_downloaded_copy_is_used_only_while_it_matches_the_pointers_digest(tmp_path):
    published = tmp_path / "published"
    published.mkdir()
    (published / "manifest.json").write_text('{"version": "category-v2"}')
    (published / "priority_levels.json").write_text('{"levels": {"media": 1}}')
    s3 = FakeS3({f"category/v2/{p.name}": p.read_bytes() for p in published.iterdir()})
    registry = S3ModelRegistry("bucket", client=s3)
    digest = artifact_digest(published)

    stale = tmp_path / "cache" / "category" / "v2"  # another stack's v2, left in the same cache folder
    stale.mkdir(parents=True)
    (stale / "manifest.json").write_text('{"version": "category-v2", "stale": true}')
    copy = registry.download("v2", tmp_path / "cache", digest)
    assert copy == stale and artifact_digest(copy) == digest and (copy / "priority_levels.json").exists()
    gets = s3.gets
    assert registry.download("v2", tmp_path / "cache", digest) == copy and s3.gets == gets  # matches: no fetch

    s3.objects["category/v2/manifest.json"] = b'{"version": "tampered"}'
    shutil.rmtree(copy)
    with pytest.raises(ValueError, match="does not match the digest"):
        registry.download("v2", tmp_path / "cache", digest)
    assert not copy.exists()  # nothing half-checked is served
