"""The settings forms edit one section of the configuration document and keep everything else, comments included."""
import tomlkit

from chalicelib.sla.config import DEFAULT_PATH, parse_config
from chalicelib.sla.sections import SECTIONS, delete_item, move_policy_up

BASE = DEFAULT_PATH.read_text(encoding="utf-8")


def edited(section: str, key: str, **form: str | list[str]) -> str:
    document = tomlkit.parse(BASE)
    values = SECTIONS[section].read(document, key) or {}
    merged = {**values, **form}
    as_lists = {name: value if isinstance(value, list) else [value] for name, value in merged.items()}
    assert SECTIONS[section].write(document, key, as_lists) == {}
    return tomlkit.dumps(document)


def test_a_policy_read_and_written_back_unchanged_leaves_the_document_as_it_was():
    assert parse_config(edited("policies", "3")) == parse_config(BASE)
    assert "# Policies: the FIRST one" in edited("policies", "3")


def test_a_policy_form_sets_conditions_and_targets_and_clears_what_is_unticked():
    text = edited("policies", "1", priorities=["P2"], tiers="", categories=["billing"], first_response="90m")
    policy = parse_config(text).policies[1]
    assert (policy.tiers, policy.categories, policy.targets.first_response.text) == (None, ["billing"], "90m")


def test_a_policys_alert_lateness_is_set_and_cleared_from_its_form():
    from datetime import timedelta

    assert parse_config(edited("policies", "0", alert_lateness="15m")).policies[0].alert_lateness == timedelta(minutes=15)
    assert parse_config(edited("policies", "3", alert_lateness="0")).policies[3].alert_lateness == timedelta(0)
    assert "alert_lateness" not in edited("policies", "0", alert_lateness="").split("[[policies]]")[1]


def test_routing_per_category_and_the_fallback():
    text = edited("routing", "", **{"team-billing": "customer-care", "skill-billing": "refunds",
                                    "team-general": ""})
    routing = parse_config(text).routing
    assert (routing.team_for("billing"), routing.skill_for("billing")) == ("customer-care", "refunds")
    assert "general" not in routing.categories and routing.team_for("general") == "customer-care"


def test_validator_paths_map_to_the_form_fields_of_the_item():
    assert SECTIONS["policies"].field_for("3", "policies[3] (P3 normal).targets.first_response") == "first_response"
    assert SECTIONS["policies"].field_for("2", "policies[3] (P3 normal).targets.first_response") is None
    assert SECTIONS["teams"].field_for("billing", "teams.billing.calendar") == "calendar"
    assert SECTIONS["routing"].field_for("", "routing.skills.fraud") == "skill-fraud"
    assert SECTIONS["canned-responses"].field_for("1", "canned_responses[1] (x).text") == "text"
    assert SECTIONS["root-causes"].field_for("people", "root_causes.people.sub_causes") == "sub_causes"


def test_new_items_deletion_and_order():
    text = edited("canned-responses", "new", title="Hello", language="zh", teams=[], text="您好 {customer_name}")
    assert parse_config(text).canned_responses[-1].title == "Hello"
    assert len(parse_config(delete_item(text, "canned_responses", "3")).canned_responses) == 3
    moved = parse_config(move_policy_up(BASE, 2)).policies
    assert [p.name for p in moved[:3]] == ["P1 critical", "P2 high", "P2 premium customers"]
    text = edited("categories", "fraud", label="Fraud", label_zh="欺诈", description="", on_form=[])
    assert parse_config(text).categories["fraud"].on_form is False


def test_a_policy_for_one_team_applies_to_that_teams_complaints_only():
    text = edited("policies", "new", name="Billing team", priorities=["P3"], teams=["billing"], categories=[],
                  channels=[], tiers="", calendar="team", warning_at="0.75", first_response="2h", next_update="4h",
                  resolution="1d")
    config = parse_config(text)
    assert config.terms_for("P3", "billing", "web", "billing").policy == "Billing team"
    assert config.terms_for("P3", "billing", "web", "customer-care").policy == "P3 normal"
    assert config.terms_for("P3", "billing", "web", "billing").first_response.total_seconds() == 2 * 3600
