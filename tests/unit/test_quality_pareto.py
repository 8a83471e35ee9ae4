"""Pareto of categories and causes, the fishbone taxonomy and 5-why chains."""
import pytest

from chalicelib.domain.errors import InvalidCommand
from chalicelib.domain.taxonomy import DEFAULT_TAXONOMY, FISHBONE, ROOT_CAUSES
from chalicelib.quality.pareto import (
    cause_pareto, category_pareto, pareto, parse_cause, validate_five_whys,
)
from chalicelib.quality.rollups import RollupBucket, RollupKey


def test_shares_cumulative_and_the_vital_few():
    result = pareto({"delivery": 50, "billing": 30, "product": 10, "service": 6, "other": 4})
    assert result.total == 100
    assert [(i.name, i.share, i.cumulative) for i in result.items] == [
        ("delivery", 0.5, 0.5), ("billing", 0.3, 0.8), ("product", 0.1, 0.9),
        ("service", 0.06, 0.96), ("other", 0.04, 1.0),
    ]
    # billing brings the cumulative share to exactly 80 %: it is included, and nothing after it
    assert result.vital_few == ["delivery", "billing"]


def test_the_item_that_crosses_80_percent_is_included():
    # 7 / 10 = 70 % is short of 80 %; b brings it to 90 %: b is in, c is not
    assert pareto({"a": 7, "b": 2, "c": 1}).vital_few == ["a", "b"]
    # 80 % of 15 is exactly 12: 6 + 4 + 2 (ties c, d sorted by name) reaches it without float noise
    assert pareto({"a": 6, "b": 4, "d": 2, "c": 2, "e": 1}).vital_few == ["a", "b", "c"]
    assert pareto({"only": 3}).vital_few == ["only"]
    assert pareto({}).items == () and pareto({"zero": 0}).total == 0
    # raw labels are counted
    assert pareto(["x", "y", "x", "x"]).items[0].count == 3
    with pytest.raises(ValueError):
        pareto({"a": -1})


def test_the_default_taxonomy_validates_new_causes():
    assert set(FISHBONE) == set(ROOT_CAUSES)
    assert FISHBONE["process"] == ("handoff", "policy_gap", "delay")
    DEFAULT_TAXONOMY.check_cause("process", "handoff")
    DEFAULT_TAXONOMY.check_cause_label("people")
    with pytest.raises(InvalidCommand) as error:
        DEFAULT_TAXONOMY.check_cause("luck")
    assert error.value.field == "root_cause"
    with pytest.raises(InvalidCommand) as error:
        DEFAULT_TAXONOMY.check_cause("people", "outage")
    assert error.value.field == "sub_cause"
    with pytest.raises(InvalidCommand) as error:  # a PDCA label names its field as root_cause
        DEFAULT_TAXONOMY.check_cause_label("people/outage")
    assert error.value.field == "root_cause"


def test_reports_read_any_well_formed_label_whatever_the_taxonomy_says_today():
    assert parse_cause("technology/outage") == ("technology", "outage")
    assert parse_cause("people/retired_sub_cause") == ("people", "retired_sub_cause")  # removed since: still read
    for bad in ("luck", "people/", "people/Bad Name", "/outage"):
        with pytest.raises(InvalidCommand):
            parse_cause(bad)


def test_cause_pareto_at_both_levels():
    labels = ["process/handoff"] * 5 + ["process/delay"] * 2 + ["product/defect"] * 2 + ["people"]
    causes = cause_pareto(labels)
    # bones: process 7, product 2, people 1 -> 70 %, 90 %: process and product are the vital few
    assert [(i.name, i.count) for i in causes.items] == [("process", 7), ("product", 2), ("people", 1)]
    assert causes.vital_few == ["process", "product"]
    subs = cause_pareto(labels, level="sub")
    # 9 labels with a sub-cause: handoff 5 (55.6 %), then delay and product/defect 2 each (tie by name)
    assert [i.name for i in subs.items] == ["process/handoff", "process/delay", "product/defect"]
    # 5/9 = 55.6 %, 7/9 = 77.8 % is still short of 80 %, so product/defect (9/9 = 100 %) is in too
    assert subs.vital_few == ["process/handoff", "process/delay", "product/defect"]


def test_cause_pareto_from_report_counts_uses_bone_totals():
    # KpiReport.root_causes counts each resolution under its bone and again under bone/sub
    counts = {"process": 7, "process/handoff": 5, "product": 3}
    assert [(i.name, i.count) for i in cause_pareto(counts).items] == [("process", 7), ("product", 3)]
    assert [(i.name, i.count) for i in cause_pareto(counts, level="sub").items] == [("process/handoff", 5)]


def test_category_pareto_from_rollup_buckets():
    def week(category, volume):
        return [RollupBucket(RollupKey("week", "2026-11-23", "category", category), {"volume": volume})]

    result = category_pareto({"delivery": week("delivery", 12), "billing": week("billing", 6),
                              "general": week("general", 2)})
    # 12/20 = 60 %, 18/20 = 90 %
    assert result.vital_few == ["delivery", "billing"]


def test_five_whys():
    assert validate_five_whys(None) == ()
    assert validate_five_whys([" Parcel late ", "Carrier missed pickup"]) == ("Parcel late", "Carrier missed pickup")
    for bad in ([], ["a"] * 6, ["ok", "  "], "just one string", ["x" * 501]):
        with pytest.raises(InvalidCommand) as error:
            validate_five_whys(bad)
        assert error.value.field == "five_whys"
