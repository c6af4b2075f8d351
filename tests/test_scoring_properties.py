"""Property-based tests: every rule type of the shipped set against an independent reading of
the rule, in ``fractions.Fraction`` (not the engine's Decimal code), with edge inputs — zeros,
thresholds ± one step, 30-digit figures, Vietnamese decimal commas, thousands separators and
"%" signs — and the totals and rating of a whole assessment."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from criteria.schema import (
    BonusBlock,
    CountRule,
    Criterion,
    DeductionRule,
    RatioRule,
    SumRule,
    Threshold,
    TiersRule,
    YesNoRule,
)
from criteria.scoring import (
    CountInput,
    DeductionInput,
    NotApplicableInput,
    RatioInput,
    ScoreResult,
    ScoringInputError,
    SumInput,
    TierInput,
    YesNoInput,
    format_number,
    parse_count,
    parse_number,
    parse_ratio,
    score,
    summarise,
)
from tests.test_export import current_set

CSET = current_set()
LEAVES = [c for c in CSET.leaves() if not c.is_survey and c.rule is not None]


def _of(kind: type) -> list[Criterion]:
    found = [c for c in LEAVES if isinstance(c.rule, kind)]
    assert found, kind
    return found


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REFUSED = None

# --- the independent reading ----------------------------------------------------------------


def _band(thresholds: tuple[Threshold, ...], below: Decimal, value: Fraction) -> Fraction:
    """The first threshold the value reaches (``>`` when strict), else ``below``."""
    for th in thresholds:
        low = Fraction(th.min)
        if (value > low) if th.strict else (value >= low):
            return Fraction(th.points)
    return Fraction(below)


def read_ratio(rule: RatioRule, num: Decimal, den: Decimal) -> Fraction | None:
    n, d = Fraction(num), Fraction(den)
    if d == 0:
        if rule.comparison:  # vs a base period of 0: equal when 0, otherwise more
            return (
                _band(rule.thresholds, rule.below, Fraction(100))
                if n == 0
                else Fraction(rule.thresholds[0].points)
            )
        if rule.when_zero is None or n != 0:
            return REFUSED
        return Fraction(rule.when_zero)
    if n > d and not (rule.allow_over_100 or rule.comparison):
        return REFUSED
    return _band(rule.thresholds, rule.below, n * 100 / d)


def read_count(rule: CountRule, count: int) -> Fraction | None:
    if rule.max_count is not None and count > rule.max_count:
        return REFUSED
    return _band(rule.thresholds, rule.below, Fraction(count))


def read_deductions(
    rule: DeductionRule, maximum: Decimal, count: int, zero: bool
) -> Fraction | None:
    if rule.max_count is not None and count > rule.max_count:
        return REFUSED
    if zero:
        return REFUSED if rule.zero_if is None else Fraction(0)
    return max(Fraction(rule.floor), Fraction(maximum) - Fraction(rule.per) * count)


def read_leaf(rule: object, maximum: Decimal, raw: object) -> Fraction | None:
    if isinstance(rule, YesNoRule) and isinstance(raw, YesNoInput):
        return Fraction(rule.if_yes if raw.value else rule.if_no)
    if isinstance(rule, TiersRule) and isinstance(raw, TierInput):
        return Fraction(rule.tiers[raw.index].points) if raw.index < len(rule.tiers) else REFUSED
    if isinstance(rule, RatioRule) and isinstance(raw, RatioInput):
        return read_ratio(rule, raw.numerator, raw.denominator)
    if isinstance(rule, CountRule) and isinstance(raw, CountInput):
        return read_count(rule, raw.count)
    if isinstance(rule, DeductionRule) and isinstance(raw, DeductionInput):
        return read_deductions(rule, maximum, raw.count, raw.zero)
    return REFUSED


def _engine(node: Criterion, raw: object) -> Fraction | None:
    try:
        return Fraction(score(node, raw).points)  # type: ignore[arg-type]
    except ScoringInputError:
        return REFUSED


# --- inputs at the edges --------------------------------------------------------------------

BIG = 10**30
figures = st.one_of(
    st.integers(0, 12),
    st.integers(0, BIG),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
    st.integers(10**29, BIG).map(Decimal),  # 30-digit figures
)


@st.composite
def ratio_inputs(draw: st.DrawFn, rule: RatioRule) -> RatioInput:
    """Often exactly at a threshold, one step either side of it, or zero."""
    den = draw(st.one_of(st.just(0), figures))
    den_d = Decimal(den)
    choice = draw(st.sampled_from(["free", "edge", "zero"]))
    if choice == "zero" or den_d == 0:
        num = draw(st.one_of(st.just(Decimal(0)), figures.map(Decimal)))
    elif choice == "edge":
        th = draw(st.sampled_from(rule.thresholds))
        exact = Fraction(th.min) * Fraction(den_d) / 100
        step = draw(st.sampled_from([Fraction(1), Fraction(1, 1000)]))
        base = draw(
            st.sampled_from(
                [exact, exact - step, exact + step, Fraction(int(exact)), Fraction(int(exact) + 1)]
            )
        )
        assume(base >= 0)
        # Exact when whole; otherwise in thousandths (the step), rounded down: still at the edge.
        num = Decimal(int(base)) if base.denominator == 1 else Decimal(int(base * 1000)) / 1000
    else:
        num = Decimal(draw(figures))
    return RatioInput(num, den_d)


def _leaf_input(draw: st.DrawFn, rule: object, maximum: Decimal) -> object:
    if isinstance(rule, YesNoRule):
        return YesNoInput(draw(st.booleans()))
    if isinstance(rule, TiersRule):
        return TierInput(draw(st.integers(0, len(rule.tiers))))  # one past the end too
    if isinstance(rule, RatioRule):
        return draw(ratio_inputs(rule))
    if isinstance(rule, CountRule):
        edges = [
            int(t.min) + d for t in rule.thresholds for d in (-1, 0, 1) if int(t.min) + d >= 0
        ]
        return CountInput(draw(st.one_of(st.sampled_from(edges), st.integers(0, 10**30))))
    assert isinstance(rule, DeductionRule)
    count = draw(st.one_of(st.integers(0, 10), st.integers(0, 10**30)))
    return DeductionInput(count, zero=draw(st.booleans()))


# --- one property per rule type -------------------------------------------------------------


@PROPS
@given(st.data())
@pytest.mark.parametrize("kind", [YesNoRule, TiersRule, RatioRule, CountRule, DeductionRule])
def test_each_rule_type_agrees_with_the_independent_reading(
    kind: type, data: st.DataObject
) -> None:
    node = data.draw(st.sampled_from(_of(kind)))
    raw = _draw_leaf(data, node.rule, node.max)
    assert _engine(node, raw) == read_leaf(node.rule, node.max, raw), (node.code, raw)


def _draw_leaf(data: st.DataObject, rule: object, maximum: Decimal) -> object:
    return data.draw(st.composite(lambda draw: _leaf_input(draw, rule, maximum))())


@PROPS
@given(st.data())
def test_sum_rules_add_their_parts(data: st.DataObject) -> None:
    node = data.draw(st.sampled_from(_of(SumRule)))
    assert isinstance(node.rule, SumRule)
    parts = tuple(_draw_leaf(data, p.rule, p.max) for p in node.rule.parts)
    expected: Fraction | None = Fraction(0)
    for part, raw in zip(node.rule.parts, parts, strict=True):
        got = read_leaf(part.rule, part.max, raw)
        expected = REFUSED if got is REFUSED or expected is REFUSED else expected + got
    assert _engine(node, SumInput(parts)) == expected  # type: ignore[arg-type]


@PROPS
@given(st.data())
def test_not_applicable_is_full_marks_or_excluded_as_the_set_says(data: st.DataObject) -> None:
    node = data.draw(st.sampled_from(LEAVES))
    if node.not_applicable is None:
        assert _engine(node, NotApplicableInput()) is REFUSED
        return
    result = score(node, NotApplicableInput())
    if node.not_applicable.policy == "exclude":
        assert (result.points, result.excluded) == (0, True)
    else:
        assert (result.points, result.excluded) == (node.max, False)


# --- a whole assessment: totals, index, band ------------------------------------------------


def _block(block: BonusBlock | None, counts: dict[str, int]) -> Fraction:
    if block is None or not counts:
        return Fraction(0)
    total = Fraction(0)
    for item in block.items:
        n = counts.get(item.code, 0)
        if n:
            total += Fraction(item.points) * (n if item.per_occurrence else 1)
    return min(total, Fraction(block.cap))


@st.composite
def assessments(
    draw: st.DrawFn,
) -> tuple[dict[str, ScoreResult], dict[str, Decimal], dict[str, int], dict[str, int]]:
    results = {}
    for node in LEAVES:
        if not draw(st.booleans()):
            continue
        quarters = draw(st.integers(0, int(node.max * 4)))
        excluded = node.not_applicable is not None and draw(st.booleans())
        points = Decimal(0) if excluded else Decimal(quarters) / 4
        results[node.code] = ScoreResult(points, node.max, "", excluded, excluded)
    survey = {
        c.code: draw(st.decimals(min_value=0, max_value=c.max, places=draw(st.integers(0, 30))))
        for c in CSET.leaves()
        if c.is_survey and draw(st.booleans())
    }
    bonus = {
        i.code: draw(st.integers(0, 5 if i.per_occurrence else 1))
        for i in (CSET.bonus.items if CSET.bonus else ())
    }
    penalty = {
        i.code: draw(st.integers(0, 5 if i.per_occurrence else 1))
        for i in (CSET.penalty.items if CSET.penalty else ())
    }
    return results, survey, bonus, penalty


@PROPS
@given(assessments())
def test_totals_index_and_band_agree_with_the_independent_reading(
    case: tuple[dict[str, ScoreResult], dict[str, Decimal], dict[str, int], dict[str, int]],
) -> None:
    results, survey, bonus, penalty = case
    summary = summarise(CSET, results, bonus=bonus, penalty=penalty, survey=survey)
    earned = (
        sum((Fraction(r.points) for r in results.values()), Fraction(0))
        + sum((Fraction(v) for v in survey.values()), Fraction(0))
        + _block(CSET.bonus, bonus)
        - _block(CSET.penalty, penalty)
    )
    denominator = Fraction(CSET.total) - sum(
        (Fraction(r.max) for r in results.values() if r.excluded), Fraction(0)
    )
    index = earned * 100 / denominator
    band = next((b.name for b in CSET.rating if index >= Fraction(b.min)), CSET.rating[-1].name)
    assert summary.band == band
    # The index shown is floored to 4 decimals, never rounded up over a band.
    assert Fraction(summary.index) <= index < Fraction(summary.index) + Fraction(1, 10**4)
    assert Fraction(summary.self_points) == sum(
        (Fraction(r.points) for r in results.values()), Fraction(0)
    )


def test_band_at_the_edge_of_a_rating() -> None:
    """70 self-scored + survey points a thousandth either side of a band minimum."""
    full = {c.code: ScoreResult(c.max, c.max, "") for c in LEAVES}
    survey_max = sum((c.max for c in CSET.leaves() if c.is_survey), Decimal(0))
    for band in CSET.rating:
        for delta in (Decimal("-0.001"), Decimal(0), Decimal("0.001")):
            extra = band.min - CSET.self_scored_max + delta
            if not 0 <= extra <= survey_max:
                continue
            survey = _split(extra)
            summary = summarise(CSET, full, survey=survey)
            expected = band.name if delta >= 0 else _band_below(band.name)
            assert summary.band == expected, (band.name, delta, summary.index)


def _split(total: Decimal) -> dict[str, Decimal]:
    out = {}
    for c in CSET.leaves():
        if c.is_survey and total > 0:
            out[c.code] = min(total, c.max)
            total -= out[c.code]
    return out


def _band_below(name: str) -> str:
    names = [b.name for b in CSET.rating]
    return names[min(names.index(name) + 1, len(names) - 1)]


# --- officers' typing -----------------------------------------------------------------------

vn_figures = st.one_of(
    st.integers(0, BIG).map(Decimal),
    st.decimals(min_value=0, max_value=BIG, places=3, allow_nan=False, allow_infinity=False),
)


@PROPS
@given(vn_figures)
def test_vietnamese_numbers_read_back_exactly(value: Decimal) -> None:
    typed = format_number(value)  # 1.234.567,5
    assert parse_number(typed) == value
    assert parse_number(typed.replace(".", " ")) == value  # 1 234 567,5
    assert parse_number(typed + " ") == value


@PROPS
@given(vn_figures, vn_figures)
def test_ratios_typed_read_back_exactly(a: Decimal, b: Decimal) -> None:
    assert parse_ratio(f"{format_number(a)}/{format_number(b)}") == (a, b)
    assert parse_ratio(f"{format_number(a)} / {format_number(b)}") == (a, b)


@PROPS
@given(vn_figures, st.sampled_from(["%", " %", "%%"]))
def test_a_percent_sign_is_refused_saying_why(value: Decimal, sign: str) -> None:
    for parse in (parse_number, parse_ratio):
        with pytest.raises(ScoringInputError, match="dấu «%»"):
            parse(format_number(value) + sign)


@PROPS
@given(st.integers(0, BIG))
def test_counts_with_thousands_separators(value: int) -> None:
    assert parse_count(format_number(Decimal(value))) == value
    assert parse_count(format_number(Decimal(value)).replace(".", " ")) == value


@PROPS
@given(st.one_of(st.integers(), st.text(max_size=5), st.none(), st.floats()))
def test_yes_no_takes_only_a_bool(value: object) -> None:
    with pytest.raises(ScoringInputError):
        YesNoInput(value)  # type: ignore[arg-type]
