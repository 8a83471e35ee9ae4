"""The default intake stages the foundation ships."""
from datetime import timedelta

import pytest

from chalicelib.domain.stages import (
    DEFAULT_CATEGORIES,
    BasicScreener,
    CategoryTeamRouter,
    FixedTargetsSla,
    RequestedCategoryClassifier,
)
from tests.fakes import T0, make_complaint, make_message


@pytest.mark.parametrize(
    "subject, text, reason",
    [
        ("", "", "empty or too short"),
        ("", "   \n\t ", "empty or too short"),
        ("", "ok", "empty or too short"),
        ("", "?!?! ...", "empty or too short"),
        ("", "https://cheap-watches.example/buy?now=1", "only a link"),
        ("", "www.example.com  http://example.org", "only a link"),
        ("Re", "https://example.com/x", "only a link"),
    ],
)
def test_screener_rejects_messages_without_real_content(subject, text, reason):
    screening = BasicScreener().screen(make_message(text, subject=subject))
    assert (screening.outcome, screening.reason) == ("invalid", reason)


@pytest.mark.parametrize(
    "subject, text",
    [
        ("Parcel never arrived", "My order 4411 never came."),
        ("", "快递三天没到"),  # Chinese: every character is a word character
        ("", "Wrong charge, see https://bank.example/statement/1"),
        ("Bad", ""),
    ],
)
def test_screener_accepts_real_text_in_any_language(subject, text):
    screening = BasicScreener().screen(make_message(text, subject=subject))
    assert (screening.outcome, screening.reason) == ("accepted", None)


def test_screener_threshold_is_configurable():
    assert BasicScreener(min_word_chars=10).screen(make_message("too short", subject="")).outcome == "invalid"
    assert BasicScreener(min_word_chars=1).screen(make_message("k", subject="")).outcome == "accepted"


@pytest.mark.parametrize("category", DEFAULT_CATEGORIES)
def test_classifier_keeps_a_known_requested_category(category):
    result = RequestedCategoryClassifier().classify(make_message(requested_category=category))
    assert (result.category, result.priority, result.signals) == (category, "P3", ("customer_selected_category",))


@pytest.mark.parametrize("requested", [None, "weather", "BILLING"])
def test_classifier_falls_back_to_general_without_signal(requested):
    result = RequestedCategoryClassifier().classify(make_message(requested_category=requested))
    assert (result.category, result.signals) == ("general", ())
    assert result.as_dict() == {
        "category": "general", "priority": "P3", "sentiment": None, "confidence": None, "signals": [],
        "model": "default-rules",
    }


def test_classifier_defaults_are_configurable():
    classifier = RequestedCategoryClassifier(categories=("fraud",), default_priority="P2")
    assert classifier.classify(make_message(requested_category="fraud")).priority == "P2"
    assert classifier.classify(make_message(requested_category="billing")).category == "general"


@pytest.mark.parametrize(
    "priority, first, resolution",
    [("P1", timedelta(hours=1), timedelta(hours=8)), ("P2", timedelta(hours=4), timedelta(days=1)),
     ("P3", timedelta(hours=8), timedelta(days=3)), ("P4", timedelta(days=1), timedelta(days=5))],
)
def test_sla_targets_are_calendar_time_from_now(priority, first, resolution):
    targets = FixedTargetsSla().start(make_complaint(priority=priority), T0)
    assert (targets.first_response_due_at, targets.resolution_due_at) == (T0 + first, T0 + resolution)


def test_sla_with_custom_targets():
    sla = FixedTargetsSla(targets={"P3": (timedelta(minutes=5), timedelta(hours=1))})
    assert sla.start(make_complaint(), T0).first_response_due_at == T0 + timedelta(minutes=5)


@pytest.mark.parametrize(
    "category, team",
    [("product", "product-care"), ("service_attitude", "customer-care"), ("billing", "billing"),
     ("delivery", "logistics"), ("technical", "technical-support"), ("policy", "customer-care"),
     ("general", "customer-care"), ("unknown", "customer-care")],
)
def test_router_sends_each_category_to_its_team(category, team):
    routing = CategoryTeamRouter().route(make_complaint(category=category))
    assert (routing.team, routing.assignee) == (team, None)


def test_router_with_custom_teams_and_fallback():
    router = CategoryTeamRouter(teams={"billing": "finance"}, fallback_team="triage")
    assert router.route(make_complaint(category="billing")).team == "finance"
    assert router.route(make_complaint(category="delivery")).team == "triage"
