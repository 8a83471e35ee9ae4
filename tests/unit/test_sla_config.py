"""The SLA file: the shipped default loads; bad files fail at load with a message naming the field."""
from datetime import date, timedelta

import pytest

from chalicelib.domain.model import Channel
from chalicelib.sla.config import DEFAULT_PATH, SlaConfigError, default_config, load_config, parse_config
from chalicelib.sla.durations import parse_duration, parse_timedelta

H = timedelta(hours=1)
DEFAULT = DEFAULT_PATH.read_text(encoding="utf-8")


def edited(old, new):
    assert old in DEFAULT, f"test setup: {old!r} is not in the default file"
    return DEFAULT.replace(old, new, 1)


def test_the_default_file_loads_and_matches_policies_in_order():
    config = load_config()
    assert [p.name for p in config.policies][:3] == ["P1 critical", "P2 premium customers", "P2 high"]
    assert config.policy_for("P1", "billing", "web").name == "P1 critical"
    assert config.policy_for("P2", "billing", Channel.EMAIL, tier="premium").name == "P2 premium customers"
    assert config.policy_for("P2", "billing", "sms").name == "P2 high"  # no tier: tier policies are skipped
    assert config.policy_for("P2", "billing", "sms", tier="standard").name == "P2 high"
    assert default_config() is default_config()


def test_terms_resolve_business_days_on_the_policy_calendar():
    config = default_config()
    p1 = config.terms_for("P1", "delivery", "web", team="logistics")
    assert (p1.first_response, p1.next_update, p1.resolution) == (H, 2 * H, 8 * H)
    assert p1.calendar.always_open
    p3 = config.terms_for("P3", "billing", "email", team="billing")
    assert (p3.first_response, p3.next_update, p3.resolution) == (8 * H, 8 * H, 24 * H)  # 1d = one 8h business day
    assert p3.calendar.describe().startswith("Mon–Fri 09:00–17:00 Europe/London")
    assert date(2026, 12, 25) in p3.calendar.holidays
    p4 = config.terms_for("P4", "general", "web", team=None)  # no team yet: the fallback team's calendar
    assert (p4.first_response, p4.resolution, p4.warning_at) == (8 * H, 40 * H, 0.8)


def test_routing_and_teams_from_the_default_file():
    config = default_config()
    assert config.routing.team_for("billing") == "billing"
    assert config.routing.team_for("unknown-category") == "customer-care"
    assert config.teams["billing"].lead == "billing-lead"
    assert config.escalation.l3_after_breach == 2 * H
    assert (config.alerts.max_per_team, config.alerts.window) == (10, timedelta(minutes=15))


def test_each_team_can_have_its_own_calendar():
    text = edited('[teams.technical-support]\ncalendar = "uk-office"', '[teams.technical-support]\ncalendar = "us"')
    text += '[calendars.us]\ntimezone = "America/New_York"\nday_length = "10h"\nhours = { mon = "08:00-18:00" }\n'
    terms = parse_config(text).terms_for("P3", "technical", "web", team="technical-support")
    assert terms.calendar.timezone == "America/New_York"
    assert terms.next_update == 10 * H  # "1d" on this calendar


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('first_response = "4h"', 'first_response = "4 hours"',
         "policies[2] (P2 high).targets.first_response: invalid duration '4 hours'; use e.g. 30m, 4h"),
        ('priorities = ["P1"]\ncalendar = "24x7"', 'priorities = ["P1"]\ncalendar = "biz"',
         "policies[0] (P1 critical).calendar: unknown calendar 'biz' (known: 24x7, uk-office)"),
        ('timezone = "Europe/London"', 'timezone = "Europe/Londres"',
         "calendars.uk-office.timezone: unknown timezone 'Europe/Londres'"),
        ('warning_at = 0.8', 'warning_at = 1.5', "policies[4] (P4 low).warning_at: Input should be less than 1"),
        ('priorities = ["P4"]', 'prioritys = ["P4"]', "policies[4] (P4 low).prioritys: unknown field"),
        ('priorities = ["P4"]', 'priorities = ["P9"]', "policies[4] (P4 low).priorities[0]: Input should be 'P1'"),
        ('tiers = ["premium"]', 'channels = ["fax"]',
         "policies[1] (P2 premium customers).channels[0]: Input should be 'web', 'email' or 'sms'"),
        ('fallback_team = "customer-care"', 'fallback_team = "nobody"', "routing.fallback_team: unknown team 'nobody'"),
        ('billing = "billing"', 'billing = "accounts"', "routing.categories.billing: unknown team 'accounts'"),
        ('mon = "09:00-17:00"', 'mon = "9-5"', "calendars.uk-office.hours: invalid opening hours '9-5'"),
        ('day_length = "8h"', 'day_length = "30h"', "calendars.uk-office.day_length: day_length must be"),
        ('"billing-agent-2"', '"billing-agent-1"', "teams.billing.agents: agent ids must be unique"),
        ('head_of_service = "head-of-service"\n', '', "escalation.head_of_service: Field required"),
        ('max_per_team = 10', 'max_per_team = 0', "alerts.max_per_team: Input should be greater than or equal to 1"),
        ('priorities = ["P4"]', 'priorities = ["P4"]\ncategories = ["billing"]',
         "policies: nothing matches every P4 complaint"),
    ],
)
def test_a_bad_file_fails_with_a_message_naming_the_field(old, new, message):
    with pytest.raises(SlaConfigError) as failure:
        parse_config(edited(old, new), source="sla.toml")
    assert str(failure.value).startswith("SLA config sla.toml is invalid:")
    assert message in str(failure.value)


def test_every_problem_is_listed_at_once():
    text = edited('first_response = "4h"', 'first_response = "soon"').replace('"P4 low"', '"P4 low"\ncolour = "red"')
    with pytest.raises(SlaConfigError) as failure:
        parse_config(text)
    assert "targets.first_response" in str(failure.value) and "colour: unknown field" in str(failure.value)


def test_not_toml_or_missing_file(tmp_path):
    with pytest.raises(SlaConfigError, match="is not valid TOML"):
        parse_config("policies = [", source="broken.toml")
    with pytest.raises(SlaConfigError, match="cannot be read"):
        load_config(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    "text, days, time",
    [("30m", 0, timedelta(minutes=30)), ("4h", 0, 4 * H), ("1d4h30m", 1, timedelta(hours=4, minutes=30)),
     ("3d", 3, timedelta(0)), ("PT4H", 0, 4 * H), ("P1DT2H", 1, 2 * H), ("PT90M", 0, timedelta(minutes=90))],
)
def test_duration_formats(text, days, time):
    duration = parse_duration(text)
    assert (duration.days, duration.time) == (days, time)


@pytest.mark.parametrize("text", ["", "4", "4 hours", "0h", "h", "-1h", "P", "1.5h"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_formatted_durations_drop_seconds_except_under_a_minute():
    from datetime import timedelta

    from chalicelib.sla.durations import format_duration

    assert [format_duration(timedelta(seconds=s)) for s in (0, 30, 90, 26 * 3600 + 330)] == ["0m", "30s", "1m", "26h 5m"]


def test_plain_durations_count_a_day_as_24_hours():
    assert parse_timedelta("1d2h") == 26 * H


def test_canned_responses_name_known_placeholders_and_teams():
    from chalicelib.sla.config import DEFAULT_PATH, SlaConfigError, parse_config

    text = DEFAULT_PATH.read_text()
    with pytest.raises(SlaConfigError) as bad:
        parse_config(text.replace("{reference} and will", "{order_id} and will"))
    assert list(bad.value.fields) == ["canned_responses[0].text"]
    assert "unknown placeholder {order_id}" in bad.value.fields["canned_responses[0].text"]
    with pytest.raises(SlaConfigError) as unknown_team:
        parse_config(text.replace('teams = ["billing"]', 'teams = ["nowhere"]'))
    assert list(unknown_team.value.fields) == ["canned_responses[2] (Refund issued).teams"]


def test_customer_tiers_name_customers_by_address_domain_or_phone_and_the_first_rule_wins():
    config = parse_config(DEFAULT + '''
[[customer_tiers]]
tier = "gold"
emails = ["Boss@Example.com"]
phones = ["+447700900123"]

[[customer_tiers]]
tier = "enterprise"
domains = ["@example.com"]
''')
    assert config.tier_of("ops@premium.example", None) == "premium"  # the shipped rule comes first
    assert config.tier_of("boss@example.com", None) == "gold"
    assert config.tier_of("anyone@eu.example.com", None) == "enterprise"  # subdomains too
    assert config.tier_of("anyone@notexample.com", None) is None
    assert config.tier_of(None, "+447700900123") == "gold"
    assert config.tier_of(None, None) is None


def test_a_policy_naming_a_tier_no_rule_gives_is_refused():
    with pytest.raises(SlaConfigError, match=r"policies\[1\] \(P2 premium customers\).tiers: no customer_tiers rule "
                                             r"gives tier 'platinum'"):
        parse_config(edited('tiers = ["premium"]', 'tiers = ["platinum"]'))
