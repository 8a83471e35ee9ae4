"""The retraining Lambda: a container image with scikit-learn (functions/retrain/Dockerfile), deployed by infra/.

Events (the weekly schedule sends {}):
    {"action": "retrain", "force": false}   train on base data + corrections; publish if the gate passes
    {"action": "rollback"}                  serve the version published before the active one: one step
    {"action": "activate", "version": "v3"} serve a published version again (null: the builtin one)
    {"action": "status"}                    the registry's pointer

Inputs: the base data set `s3://MODEL_BUCKET/category/training/base.csv` (columns text,label; for the default
taxonomy `python -m models.build_default --csv-out base.csv` writes it), the staff corrections of category and
priority, read through the events table's `by_example` index, and the volume of each priority rule from the KPI
rollups (one Query of the monthly buckets). Output: a new version in the model registry (the category model and
`priority_levels.json`, see functions/retrain/priority.py), which the intake worker picks up within
MODEL_REFRESH_SECONDS.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from aws_lambda_powertools import Logger

from chalicelib.adapters.model_registry import S3ModelRegistry, next_version
from chalicelib.triage.severity import DEFAULT_RULES
from chalicelib.triage.stage import PRIORITY_LEVELS_FILE, priority_rules
from functions.retrain.priority import PriorityCorrection, calibrate, volume_by_rule
from functions.retrain.retraining import Example, RetrainSettings, gate, should_train, training_set

MODEL_NAME = "category"
BASE_DATA_KEY = f"{MODEL_NAME}/training/base.csv"
EMBEDDINGS_PREFIX = f"{MODEL_NAME}/training/embeddings/"  # the frozen encoder's vectors of texts trained on

logger = Logger(service="retrain")


def handler(event: dict | None, context: Any = None) -> dict:
    event = event or {}
    action = event.get("action", "retrain")
    registry = S3ModelRegistry(os.environ["MODEL_BUCKET"], MODEL_NAME)
    if action == "rollback":
        result = {"action": action, "pointer": registry.rollback()}
    elif action == "activate":
        result = {"action": action, "pointer": registry.activate(event.get("version"))}
    elif action == "status":
        result = {"action": action, "pointer": registry.pointer()}
    elif action == "retrain":
        from chalicelib.adapters.labelled_examples import labelled_examples

        result = {"action": action, **retrain(registry, labelled_examples(MODEL_NAME), read_base_data(registry),
                                              builtin_dir(), settings_from_env(), force=bool(event.get("force")),
                                              n_jobs=int(os.environ.get("TRAIN_JOBS", "1")),
                                              priority_corrections=labelled_examples("priority"),
                                              rule_volume=read_rule_volume())}
    else:
        raise ValueError(f"unknown action {action!r}: retrain, rollback, activate or status")
    logger.info("model registry", extra=result)
    return result


def retrain(registry: S3ModelRegistry, corrections: Sequence[Example], base: tuple[list[str], list[str]],
            builtin: Path | None, settings: RetrainSettings, force: bool = False, n_jobs: int = 1,
            priority_corrections: Sequence[PriorityCorrection] = (), rule_volume: dict | None = None) -> dict:
    """One run: maybe train, maybe publish. Returns what happened and why."""
    pointer = registry.pointer()
    total = len(corrections) + len(priority_corrections)
    decision = should_train(total, (pointer.get("last_run") or {}).get("corrections", 0), settings, force)
    if not decision.publish:
        return {"outcome": "skipped", "reason": decision.reason, "corrections": total}

    from models.train import train  # scikit-learn: only here, never on the online path

    texts, labels, counts = training_set(*base, corrections)
    builtin_version = builtin.name if builtin else None
    version = next_version(pointer, builtin_version)
    serving_card = _serving_card(registry, pointer.get("active"), builtin)
    priority = calibrate(_serving_levels(registry, pointer.get("active"), builtin), rule_volume or {},
                         priority_corrections)
    encoder = bool((serving_card or {}).get("encoder"))  # a model on the sentence encoder stays on it
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / version
        with cached_embeddings(registry, Path(scratch) / "embeddings", encoder):
            card = train(texts, labels, out, folds=settings.folds, n_jobs=n_jobs, version=f"{MODEL_NAME}-{version}",
                         data={"base": f"s3://{registry.bucket}/{BASE_DATA_KEY}", "corrections": len(corrections),
                               **counts}, encoder=encoder)
        (out / PRIORITY_LEVELS_FILE).write_text(json.dumps(priority.as_dict(), indent=1) + "\n", encoding="utf-8")
        verdict = gate(card, serving_card, settings)
        cv = card["metrics"].get("cross_validation") or {}
        run = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "corrections": total,
               "version": version, "published": verdict.publish, "reason": verdict.reason,
               "cv_macro_f1": cv.get("macro_f1_mean"), "cv_accuracy": cv.get("accuracy_mean"), **counts,
               "priority_corrections": len(priority_corrections), "priority_changes": priority.changes}
        if verdict.publish:
            pointer = registry.publish(out, version, builtin_version, last_run=run)
        else:
            pointer = registry.note(last_run=run)
    return {"outcome": "published" if verdict.publish else "rejected", "reason": verdict.reason,
            "version": version, "run": run, "pointer": pointer}


@contextlib.contextmanager
def cached_embeddings(registry: S3ModelRegistry, directory: Path, encoder: bool):
    """The base data's embeddings come from the bucket's cache and go back with the new texts' added, so a run
    encodes only the corrections (the encoder is frozen)."""
    if not encoder:
        yield
        return
    from models.embeddings import cache_file

    before = os.environ.get("EMBEDDINGS_CACHE")
    os.environ["EMBEDDINGS_CACHE"] = str(directory)
    try:
        path = cache_file()
        key = f"{EMBEDDINGS_PREFIX}{path.name}"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(registry.s3.get_object(Bucket=registry.bucket, Key=key)["Body"].read())
        except registry.s3.exceptions.NoSuchKey:
            logger.info("no cached embeddings yet", extra={"key": key})
        yield
        if path.exists():
            registry.s3.put_object(Bucket=registry.bucket, Key=key, Body=path.read_bytes())
    finally:
        os.environ.pop("EMBEDDINGS_CACHE") if before is None else os.environ.update(EMBEDDINGS_CACHE=before)


def read_base_data(registry: S3ModelRegistry) -> tuple[list[str], list[str]]:
    """The base data set's (texts, labels); empty when none was uploaded (then corrections alone train)."""
    try:
        body = registry.s3.get_object(Bucket=registry.bucket, Key=BASE_DATA_KEY)["Body"].read()
    except registry.s3.exceptions.NoSuchKey:
        logger.warning("no base data set", extra={"key": BASE_DATA_KEY})
        return [], []
    rows = [(row.get("text") or "", (row.get("label") or "").strip())
            for row in csv.DictReader(io.StringIO(body.decode("utf-8")))]
    rows = [(text, label) for text, label in rows if text.strip() and label]
    return [text for text, _ in rows], [label for _, label in rows]


def builtin_dir() -> Path | None:
    """The model version the build ships (this image carries models/artifacts like the layer does)."""
    from chalicelib.config import settings

    return Path(settings().model_dir) if settings().model_dir else None


def settings_from_env() -> RetrainSettings:
    env = os.environ.get
    return RetrainSettings(min_new_corrections=int(env("RETRAIN_MIN_NEW_CORRECTIONS", "10")),
                           max_drop=float(env("RETRAIN_MAX_DROP", "0.02")), folds=int(env("RETRAIN_FOLDS", "5")))


def read_rule_volume() -> dict:
    """Complaints per priority rule and level, all time: the monthly KPI rollups (one Query, no Scan)."""
    from chalicelib.adapters.stats_store import DynamoStatsStore
    from chalicelib.quality.rollups import merge

    return volume_by_rule(merge(DynamoStatsStore().query("month"))[1])


def _serving_levels(registry: S3ModelRegistry, active: str | None, builtin: Path | None) -> dict[str, int]:
    """The priority rule levels of the serving version (the default rules' when it carries none)."""
    if active:
        try:
            return DEFAULT_RULES.with_levels(registry.read_json(active, PRIORITY_LEVELS_FILE)["levels"]).levels()
        except registry.s3.exceptions.NoSuchKey:
            return DEFAULT_RULES.levels()
    return priority_rules(builtin).levels() if builtin else DEFAULT_RULES.levels()


def _serving_card(registry: S3ModelRegistry, active: str | None, builtin: Path | None) -> dict | None:
    if active:
        return registry.read_json(active, "model_card.json")
    card = builtin / "model_card.json" if builtin else None
    return json.loads(card.read_text(encoding="utf-8")) if card and card.exists() else None
