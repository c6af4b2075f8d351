"""Content tests of the shipped sample set (criteria/sets/huyen-2021.yaml) and routing.

The table below is the binding list of codes of the reference set, with each code's maximum
and the rule type it is modelled with (None for groups). Any drift of the data file from the
reference — a code missing or added, a changed maximum, a different rule type — fails here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from criteria.loader import DEFAULT_ROUTING, DEFAULT_SETS_DIR, Catalogue, require_catalogue
from criteria.schema import (
    CountRule,
    CriteriaSet,
    Criterion,
    DeductionRule,
    RatioRule,
    SumRule,
    SurveyRule,
    TiersRule,
    YesNoRule,
)

SET_PATH = DEFAULT_SETS_DIR / "huyen-2021.yaml"

# code: (max, rule type or None for a group)
REFERENCE: dict[str, tuple[str, str | None]] = {
    "1": ("10", None),
    "1.1": ("3", None),
    "1.1.1": ("1", "tiers"),
    "1.1.2": ("2", "ratio"),
    "1.2": ("1", "deductions"),
    "1.3": ("2", None),
    "1.3.1": ("1", "ratio"),
    "1.3.2": ("1", "ratio"),
    "1.4": ("1", "tiers"),
    "1.5": ("1", "tiers"),
    "1.6": ("2", "deductions"),
    "2": ("6", None),
    "2.1": ("1", "yes_no"),
    "2.2": ("1.5", None),
    "2.2.1": ("0.5", "yes_no"),
    "2.2.2": ("1", "ratio"),
    "2.3": ("1", "ratio"),
    "2.4": ("1", "tiers"),
    "2.5": ("1.5", "sum"),
    "3": ("14", None),
    "3.1": ("2", None),
    "3.1.1": ("0.5", "yes_no"),
    "3.1.2": ("0.5", "count"),
    "3.1.3": ("1", "ratio"),
    "3.2": ("2", "deductions"),
    "3.3": ("3", None),
    "3.3.1": ("1", "yes_no"),
    "3.3.2": ("1", "ratio"),
    "3.3.3": ("1", "ratio"),
    "3.4": ("5", None),
    "3.4.1": ("2.5", "ratio"),
    "3.4.2": ("1.5", "ratio"),
    "3.4.3": ("1", "ratio"),
    "3.5": ("2", "ratio"),
    "4": ("6", None),
    "4.1": ("2", None),
    "4.1.1": ("1", "ratio"),
    "4.1.2": ("1", "deductions"),
    "4.2": ("2", None),
    "4.2.1": ("1", "yes_no"),
    "4.2.2": ("1", "ratio"),
    "4.3": ("1", "yes_no"),
    "4.4": ("1", "ratio"),
    "5": ("8", None),
    "5.1": ("1.5", "sum"),
    "5.2": ("1.5", "deductions"),
    "5.3": ("1", "yes_no"),
    "5.4": ("1.5", "sum"),
    "5.5": ("1.5", "ratio"),
    "5.6": ("1", "deductions"),
    "6": ("6", None),
    "6.1": ("1", "tiers"),
    "6.2": ("2", None),
    "6.2.1": ("1", "ratio"),
    "6.2.2": ("1", "ratio"),
    "6.3": ("1", "ratio"),
    "6.4": ("1", "deductions"),
    "6.5": ("1", "ratio"),
    "7": ("12", None),
    "7.1": ("4.5", None),
    "7.1.1": ("1", "tiers"),
    "7.1.2": ("1.5", "ratio"),
    "7.1.3": ("1", "deductions"),
    "7.1.4": ("1", "yes_no"),
    "7.2": ("5.5", None),
    "7.2.1": ("1.5", "ratio"),
    "7.2.2": ("2", "ratio"),
    "7.2.3": ("1", "count"),
    "7.2.4": ("1", "ratio"),
    "7.3": ("2", None),
    "7.3.1": ("1", "yes_no"),
    "7.3.2": ("1", "tiers"),
    "8": ("38", None),
    "8.1": ("12", "survey"),
    "8.2": ("18", "survey"),
    "8.3": ("8", None),
    "8.3.1": ("2", "ratio"),
    "8.3.2": ("3", "ratio"),
    "8.3.3": ("1.5", "ratio"),
    "8.3.4": ("1.5", "ratio"),
}

# Responsible department of each leaf, as in the reference's "Dept" column.
DEPARTMENT: dict[str, str] = {
    **dict.fromkeys(["1.1.1", "1.1.2", "1.2", "1.3.1", "1.3.2", "1.5"], "NV"),
    "1.4": "VHTT",
    "1.6": "VP",
    **dict.fromkeys(["2.1", "2.2.1", "2.2.2", "2.3", "2.4", "2.5"], "TP"),
    **dict.fromkeys(
        ["3.1.1", "3.1.2", "3.1.3", "3.2", "3.3.1", "3.3.2", "3.3.3", "3.4.1", "3.4.2"], "VP"
    ),
    **dict.fromkeys(["3.4.3", "3.5"], "VP"),
    **dict.fromkeys(["4.1.1", "4.1.2", "4.2.1", "4.2.2", "4.3", "4.4"], "NV"),
    **dict.fromkeys(["5.1", "5.2", "5.3", "5.4", "5.5", "5.6"], "NV"),
    **dict.fromkeys(["6.1", "6.2.1", "6.2.2", "6.3", "6.4", "6.5"], "TCKH"),
    **dict.fromkeys(["7.1.1", "7.1.3", "7.1.4"], "VHTT"),
    **dict.fromkeys(["7.1.2", "7.2.1", "7.2.2", "7.2.3", "7.2.4", "7.3.1", "7.3.2"], "VP"),
    "8.1": "NV",
    "8.2": "VP",
    **dict.fromkeys(["8.3.1", "8.3.2", "8.3.3", "8.3.4"], "TCKH"),
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return require_catalogue([SET_PATH], DEFAULT_ROUTING)


@pytest.fixture(scope="module")
def cset(catalogue: Catalogue) -> CriteriaSet:
    return catalogue.sets["huyen-2021"]


def dec(text: str) -> Decimal:
    return Decimal(text)


def _best(rule: object) -> Decimal:
    """The highest score a rule can give, recomputed independently of the validator."""
    if isinstance(rule, YesNoRule):
        return max(rule.if_yes, rule.if_no)
    if isinstance(rule, TiersRule):
        return max(t.points for t in rule.tiers)
    if isinstance(rule, RatioRule):
        points = [t.points for t in rule.thresholds] + [rule.below]
        if rule.when_zero is not None:
            points.append(rule.when_zero)
        return max(points)
    if isinstance(rule, CountRule):
        return max([t.points for t in rule.thresholds] + [rule.below])
    raise AssertionError(f"unexpected rule {rule!r}")


def _leaf_max(node: Criterion) -> Decimal:
    rule = node.rule
    if isinstance(rule, SumRule):
        for part in rule.parts:
            if not isinstance(part.rule, DeductionRule):
                assert _best(part.rule) == part.max, (node.code, part.label)
        return sum((p.max for p in rule.parts), Decimal(0))
    if isinstance(rule, (DeductionRule, SurveyRule)):
        return node.max  # full marks minus deductions; the survey is scored by the province
    return _best(rule)


def test_shipped_catalogue_loads_with_the_sample_set_current() -> None:
    catalogue = require_catalogue()
    assert "huyen-2021" in catalogue.sets
    assert catalogue.routing.default.code == "SNV"


def test_metadata(cset: CriteriaSet) -> None:
    assert (cset.id, cset.level, cset.year, cset.sample) == ("huyen-2021", "huyen", 2021, True)
    assert cset.description and "mẫu" in cset.description.lower()
    docs = {d.kind: d for d in cset.documents}
    assert docs["issuing"].title == "Quyết định số 2400/QĐ-UBND ngày 24/9/2021 của UBND tỉnh"
    assert docs["issuing"].date == dt.date(2021, 9, 24)
    assert docs["guidance"].title == (
        "Công văn số 1367/SNV-HĐTĐ ngày 28/10/2021 của Hội đồng thẩm định tỉnh"
    )
    assert docs["guidance"].date == dt.date(2021, 10, 28)
    assert [d.code for d in cset.departments] == ["NV", "TP", "TCKH", "VHTT", "VP"]


def test_the_set_names_no_province() -> None:
    text = SET_PATH.read_text(encoding="utf-8").lower()
    for name in ("nam định", "khánh hòa", "hà nội", "hà nam", "huế", "sơn la", "bình dương"):
        assert name not in text, name


def test_totals_are_100_of_which_70_self_scored_and_30_survey(cset: CriteriaSet) -> None:
    assert cset.total == 100
    assert sum((a.max for a in cset.areas), Decimal(0)) == 100
    assert cset.self_scored_max == 70
    survey = sum((c.max for c in cset.leaves() if c.is_survey), Decimal(0))
    assert survey == 30
    assert [a.max for a in cset.areas] == [dec(m) for m in "10 6 14 6 8 6 12 38".split()]


def test_maxima_add_up_at_every_level(cset: CriteriaSet) -> None:
    for node in cset.walk():
        if node.children:
            total = sum((c.max for c in node.children), Decimal(0))
            assert total == node.max, node.code
        else:
            assert _leaf_max(node) == node.max, node.code


def test_codes_maxima_and_rule_types_match_the_reference(cset: CriteriaSet) -> None:
    actual = {c.code: (c.max, c.rule.type if c.rule is not None else None) for c in cset.walk()}
    expected = {code: (dec(m), kind) for code, (m, kind) in REFERENCE.items()}
    assert actual.keys() == expected.keys()
    for code, value in expected.items():
        assert actual[code] == value, code


def test_every_self_scored_leaf_has_rule_evidence_and_department(cset: CriteriaSet) -> None:
    departments = {d.code for d in cset.departments}
    for leaf in cset.leaves():
        assert leaf.rule is not None, leaf.code
        assert leaf.department in departments, leaf.code
        assert set(leaf.also) <= departments, leaf.code
        if not leaf.is_survey:
            assert leaf.evidence and all(e.strip() for e in leaf.evidence), leaf.code
    assert {leaf.code: leaf.department for leaf in cset.leaves()} == DEPARTMENT


def test_survey_items_are_8_1_and_8_2(cset: CriteriaSet) -> None:
    assert sorted(c.code for c in cset.leaves() if c.is_survey) == ["8.1", "8.2"]
    method = cset.by_code()["8.1"].rule
    assert isinstance(method, SurveyRule)
    assert "100%, 60%" in method.method


def test_ratio_thresholds_are_as_in_the_reference(cset: CriteriaSet) -> None:
    by_code = cset.by_code()

    def steps(code: str) -> list[tuple[Decimal, Decimal, bool]]:
        rule = by_code[code].rule
        assert isinstance(rule, RatioRule), code
        return [(t.min, t.points, t.strict) for t in rule.thresholds]

    assert steps("3.4.1") == [
        (dec("100"), dec("2.5"), False),
        (dec("98"), dec("2"), False),
        (dec("95"), dec("1.5"), False),
        (dec("90"), dec("1"), False),
    ]
    assert steps("2.2.2") == [(dec("100"), dec("1"), False), (dec("0"), dec("0.5"), True)]
    assert steps("8.3.3") == [(dec("100"), dec("1.5"), True), (dec("100"), dec("1"), False)]
    rule = by_code["7.2.2"].rule
    assert isinstance(rule, RatioRule) and rule.below == dec("0.5")


def test_when_zero_and_not_applicable(cset: CriteriaSet) -> None:
    by_code = cset.by_code()
    for code in ("1.3.2", "2.3", "3.4.3"):
        rule = by_code[code].rule
        assert isinstance(rule, RatioRule) and rule.when_zero == 1, code
        assert rule.when_zero_label, code
    policies = {c.code: c.not_applicable.policy for c in cset.walk() if c.not_applicable}
    assert policies == {
        "2.1": "exclude",
        "3.5": "full_marks",
        "4.4": "full_marks",
        "6.3": "full_marks",
    }


def test_deductions_and_sums(cset: CriteriaSet) -> None:
    by_code = cset.by_code()
    rule = by_code["1.2"].rule
    assert isinstance(rule, DeductionRule)
    assert (rule.per, rule.floor) == (dec("0.25"), dec("0")) and rule.zero_if
    rule = by_code["5.6"].rule
    assert isinstance(rule, DeductionRule) and rule.per == dec("0.5") and rule.zero_if
    for code in ("2.5", "5.1", "5.4"):
        rule = by_code[code].rule
        assert isinstance(rule, SumRule), code
        assert [p.max for p in rule.parts] == [dec("0.5"), dec("1")], code


def test_bonus_penalty_and_rating(cset: CriteriaSet) -> None:
    assert cset.bonus is not None and cset.bonus.cap == 2 and len(cset.bonus.items) == 2
    assert cset.penalty is not None and cset.penalty.cap == 3 and len(cset.penalty.items) == 4
    assert [(b.name, b.min) for b in cset.rating] == [
        ("Tốt", 85),
        ("Khá", 70),
        ("Trung bình", 50),
        ("Yếu", 0),
    ]
    assert cset.reminders == (7, 3, 1, 0)


def test_calendar(cset: CriteriaSet) -> None:
    steps = {s.id: s for s in cset.calendar}
    window = steps["tu-cham"]
    assert (window.start, window.end) == (dt.date(2021, 11, 5), dt.date(2021, 11, 15))
    assert window.audience == "departments"
    assert (steps["tong-hop"].start, steps["tong-hop"].end) == (
        dt.date(2021, 11, 16),
        dt.date(2021, 11, 19),
    )
    assert steps["tong-hop"].audience == "coordinators"
    assert steps["nhap-phan-mem"].end == dt.date(2021, 11, 25)
    for key in ("tham-dinh-vong-1", "giai-trinh", "tham-dinh-vong-2"):
        assert steps[key].end.year == 2021 and steps[key].end.month == 12, key
    assert steps["cong-bo"].end == dt.date(2022, 3, 31)
    ends = [s.end for s in cset.calendar]
    assert ends == sorted(ends)


@pytest.mark.parametrize(
    ("code", "department"),
    [
        ("1", "SNV"),
        ("1.1.2", "SNV"),
        ("2", "STP"),
        ("2.5", "STP"),
        ("3", "VPUBND"),
        ("3.4.1", "VPUBND"),
        ("4", "SNV"),
        ("5", "SNV"),
        ("6", "STC"),
        ("6.1", "STC"),
        ("6.5", "SKHDT"),
        ("7", "STTTT"),
        ("7.1.2", "STTTT"),
        ("7.2", "VPUBND"),
        ("7.2.1", "VPUBND"),
        ("7.3.1", "VPUBND"),
        ("8", "SNV"),
        ("8.1", "SNV"),
        ("8.2", "SNV"),
        ("8.3", "SKHDT"),
        ("8.3.2", "SKHDT"),
        (None, "SNV"),
    ],
)
def test_routing_sends_each_area_to_its_department(
    catalogue: Catalogue, code: str | None, department: str
) -> None:
    assert catalogue.routing.route(code).code == department


def test_every_routed_code_exists(cset: CriteriaSet, catalogue: Catalogue) -> None:
    codes = set(cset.by_code())
    for route in catalogue.routing.routes:
        assert set(route.codes) <= codes
