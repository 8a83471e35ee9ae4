"""Unit fixtures: the intake pipeline on in-memory fakes."""
from datetime import timedelta

import pytest

from chalicelib.domain.service import IntakePipeline
from chalicelib.domain.stages import (
    BasicScreener,
    CategoryTeamRouter,
    FixedTargetsSla,
    RequestedCategoryClassifier,
    SimpleTriage,
)
from tests.fakes import T0, FixedClock, InMemoryComplaintRepository, RecordingNotifier

SECRET = b"unit-test-secret"


@pytest.fixture
def clock():
    return FixedClock(T0 + timedelta(minutes=1))


@pytest.fixture
def repo():
    return InMemoryComplaintRepository()


@pytest.fixture
def notifier():
    return RecordingNotifier()


def make_pipeline(repo, notifier, clock, classifier=None):
    return IntakePipeline(
        repository=repo, notifier=notifier,
        triage=SimpleTriage(BasicScreener(), classifier or RequestedCategoryClassifier()), sla=FixedTargetsSla(),
        router=CategoryTeamRouter(),
        clock=clock, token_secret=SECRET,
    )


@pytest.fixture
def pipeline(repo, notifier, clock):
    return make_pipeline(repo, notifier, clock)
