"""The category and root-cause taxonomies: kept in the run-time configuration, checked on every staff decision."""
from datetime import datetime, timezone

import pytest

from chalicelib.domain.errors import InvalidCommand
from chalicelib.domain.lifecycle import Actor, Command, apply
from chalicelib.domain.model import Status
from chalicelib.domain.stages import DEFAULT_CATEGORIES
from chalicelib.sla.config import DEFAULT_PATH, SlaConfigError, parse_config
from tests.fakes import make_complaint

AGENT = Actor("agent-1", "agent")
NOW = datetime(2026, 12, 5, 10, tzinfo=timezone.utc)
BASE = DEFAULT_PATH.read_text(encoding="utf-8")


def with_extra(toml: str) -> str:
    return BASE + "\n" + toml


def test_the_shipped_file_lists_the_models_categories_with_both_languages_and_the_six_bones():
    config = parse_config(BASE)
    assert tuple(config.categories) == DEFAULT_CATEGORIES
    assert config.categories["billing"].label_in("zh") == "账单"
    assert config.categories["billing"].description
    assert set(config.taxonomy().fishbone) == {"people", "process", "product", "technology", "policy", "environment"}
    assert ("billing", "Billing") in config.form_categories("en")


def test_a_new_category_and_sub_cause_are_accepted_by_the_next_decision():
    config = parse_config(with_extra('[categories.fraud]\nlabel = "Fraud"\non_form = false\n')
                          .replace('sub_causes = ["training", "attitude", "staffing"]',
                                   'sub_causes = ["training", "attitude", "staffing", "language"]'))
    taxonomy = config.taxonomy()
    assert "fraud" in taxonomy.categories and "fraud" not in dict(config.form_categories())
    complaint = make_complaint(status=Status.IN_PROGRESS, category="billing")
    changed, _ = apply(complaint, Command("change_category", category="fraud"), AGENT, NOW, taxonomy)
    assert changed.category == "fraud"
    resolved, _ = apply(complaint, Command("resolve", message="done", resolution_code="explained",
                                           root_cause="people", sub_cause="language"), AGENT, NOW, taxonomy)
    assert resolved.root_cause == "people"


def test_the_default_taxonomy_refuses_what_it_does_not_know_by_field():
    complaint = make_complaint(status=Status.IN_PROGRESS, category="billing")
    with pytest.raises(InvalidCommand) as refused:
        apply(complaint, Command("change_category", category="fraud"), AGENT, NOW)
    assert refused.value.field == "category"
    with pytest.raises(InvalidCommand) as refused:
        apply(complaint, Command("resolve", message="done", resolution_code="explained", root_cause="people",
                                 sub_cause="language"), AGENT, NOW)
    assert refused.value.field == "sub_cause"


@pytest.mark.parametrize("change, field", [
    (lambda t: t.replace('[categories.general]\nlabel = "General"', '[categories.other]\nlabel = "General"'),
     "categories.general"),
    (lambda t: t.replace("[root_causes.environment]", "[root_causes.weather]"), "root_causes.weather"),
    (lambda t: t.replace('sub_causes = ["weather", "carrier", "supplier"]', 'sub_causes = ["Bad Weather"]'),
     "root_causes.environment.sub_causes"),
    (lambda t: t.replace('billing = "billing"', 'billing = "billing"\nfraud = "billing"'), "routing.categories.fraud"),
])
def test_a_broken_taxonomy_is_refused_at_the_field(change, field):
    with pytest.raises(SlaConfigError) as refused:
        parse_config(change(BASE))
    assert field in refused.value.fields, refused.value.fields
