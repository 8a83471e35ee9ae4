"""The configuration in force at run time: imported once, validated before saving, in force within the refresh,
every version kept, one-step rollback, and a preview that says what a change does."""
import pytest

from chalicelib.domain.errors import ConcurrentModification, IllegalTransition, InvalidCommand
from chalicelib.sla.config import DEFAULT_PATH
from chalicelib.sla.live import REFRESH, LiveSlaConfig
from tests.fakes import FixedClock, InMemoryConfigVersions

FILE = DEFAULT_PATH.read_text(encoding="utf-8")
SHORTER_P3 = FILE.replace('first_response = "8h", next_update = "1d", resolution = "3d"',
                          'first_response = "4h", next_update = "1d", resolution = "3d"')


@pytest.fixture
def store():
    return InMemoryConfigVersions()


@pytest.fixture
def live(store, clock):
    return LiveSlaConfig(store, clock, seed=lambda: FILE)


def p3_first_response(live) -> str:
    return str(next(p for p in live.current().policies if p.name == "P3 normal").targets.first_response)


def test_the_first_use_imports_the_file_as_version_one(live, store):
    assert p3_first_response(live) == "8h"
    first = live.version()
    assert (first.version, first.action, first.saved_by) == (1, "imported", "system")
    assert [v.version for v in live.history()] == [1] and len(store.versions) == 1


def test_a_bad_seed_file_is_refused_before_it_is_stored(store, clock):
    live = LiveSlaConfig(store, clock, seed=lambda: FILE.replace("Europe/London", "Mars/Olympus"))
    with pytest.raises(ValueError, match="unknown timezone"):
        live.current()
    assert store.versions == {}


def test_a_saved_change_is_in_force_at_once_here_and_within_the_refresh_elsewhere(store, clock):
    here, elsewhere = (LiveSlaConfig(store, clock, seed=lambda: FILE) for _ in range(2))
    assert p3_first_response(elsewhere) == "8h"  # imports v1 and caches it
    saved = here.save(SHORTER_P3, by="admin-1", expected_version=1, note="faster first replies")
    assert (saved.version, saved.action, saved.saved_by, saved.note) == (2, "saved", "admin-1", "faster first replies")
    assert p3_first_response(here) == "4h"
    clock.advance(seconds=REFRESH.total_seconds() - 1)
    assert p3_first_response(elsewhere) == "8h"  # its cached copy, not yet re-read
    clock.advance(seconds=1)
    assert p3_first_response(elsewhere) == "4h"
    assert REFRESH.total_seconds() <= 60


def test_the_cache_reads_the_store_once_per_refresh(live, store, clock):
    live.current()
    reads = store.reads
    for _ in range(100):
        live.current()
        clock.advance(seconds=0.1)
    assert store.reads == reads  # 10 s of calls, no re-read
    clock.advance(seconds=REFRESH.total_seconds())
    live.current()
    assert store.reads == reads + 1


def test_a_bad_value_is_refused_by_field_and_nothing_is_saved(live, store):
    live.current()
    bad = FILE.replace("Europe/London", "Mars/Olympus").replace('first_response = "8h"', 'first_response = "8 hours"')
    with pytest.raises(InvalidCommand) as refused:
        live.save(bad, by="admin-1", expected_version=1)
    assert set(refused.value.fields) == {"calendars.uk-office.timezone",
                                         "policies[3] (P3 normal).targets.first_response"}
    assert "unknown timezone" in refused.value.fields["calendars.uk-office.timezone"]
    with pytest.raises(InvalidCommand) as not_toml:
        live.preview("policies = [")
    assert "not valid TOML" in not_toml.value.fields["text"]
    assert list(store.versions) == [("sla", 1)]


def test_saving_over_a_version_that_is_no_longer_in_force_is_a_conflict(live):
    live.current()
    live.save(SHORTER_P3, by="admin-1", expected_version=1)
    with pytest.raises(ConcurrentModification, match="saved by admin-1"):
        live.save(FILE, by="admin-2", expected_version=1)


def test_a_rollback_puts_the_previous_version_back_as_a_new_version(live):
    live.current()
    live.save(SHORTER_P3, by="admin-1", expected_version=1)
    back = live.rollback(by="admin-2", expected_version=2)
    assert (back.version, back.action, back.saved_by, back.text) == (3, "rolled_back", "admin-2", FILE)
    assert p3_first_response(live) == "8h"
    assert [(v.version, v.action) for v in live.history()] == [(3, "rolled_back"), (2, "saved"), (1, "imported")]
    with pytest.raises(IllegalTransition, match="no earlier version"):
        LiveSlaConfig(InMemoryConfigVersions(), live.clock, seed=lambda: FILE).rollback("admin-1", 1)


def test_the_preview_says_what_a_shorter_target_does_to_open_complaints(live):
    live.current()
    preview = live.preview(SHORTER_P3, open_counts=lambda teams: {team: "3" for team in teams})
    assert preview.changed and preview.current.version == 1
    assert any(line.startswith("-") and '"8h"' in line for line in preview.diff)
    assert any(line.startswith("+") and '"4h"' in line for line in preview.diff)
    shorter = [e for e in preview.effects if "P3 normal" in e]
    assert shorter and "8h -> 4h (shorter)" in shorter[0] and "breach" in shorter[0]
    assert "billing 3" in preview.effects[-1]
    assert not live.preview(FILE).changed and live.preview(FILE).effects == []


def test_the_preview_names_changed_calendars_teams_and_routing(live):
    live.current()
    text = (FILE.replace('fri = "09:00-17:00" }', 'fri = "09:00-16:00" }')
            .replace('delivery = "logistics"', 'delivery = "customer-care"'))
    effects = live.preview(text).effects
    assert any(e.startswith("Calendar 'uk-office' changed") for e in effects)
    assert any(e.startswith("Routing changed") for e in effects)
