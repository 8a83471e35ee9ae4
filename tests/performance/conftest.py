"""Benchmark fixtures: moto with the app's tables."""
from __future__ import annotations

import pytest
from moto import mock_aws


@pytest.fixture
def moto_tables(monkeypatch, tmp_path):
    """moto's mock_aws with every table of the app created; customer messages go to a temporary outbox."""
    from chalicelib.adapters.dynamo_tables import TABLE_MODELS

    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path))
    with mock_aws():
        for model in TABLE_MODELS:
            model.create_table(wait=True)
        yield


@pytest.fixture
def quiet_logs():
    """The handlers' INFO logs would bury the figures."""
    from chalicelib.observability import logger

    level = logger.log_level
    logger.setLevel("WARNING")
    yield
    logger.setLevel(level)
