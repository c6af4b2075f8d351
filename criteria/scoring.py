"""Scoring of self-assessed criteria: typed answers in, points and a Vietnamese "why" out.

Everything is ``Decimal``-exact: quarter points add up exactly, and a ratio is compared with
its thresholds by cross-multiplication (``numerator × 100 ≥ min × denominator``), never
through a rounded percentage, so 94,999 % is below 95 %. Percentages shown to the user are
truncated to two decimals for the same reason: a displayed figure never crosses a threshold
that the real one did not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import (
    ROUND_DOWN,
    ROUND_FLOOR,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    localcontext,
)

from criteria.schema import (
    BonusBlock,
    CountRule,
    CriteriaSet,
    Criterion,
    DeductionRule,
    RatioRule,
    SumRule,
    SurveyRule,
    Threshold,
    TiersRule,
    YesNoRule,
    level_name,
    node_label,
)

__all__ = [
    "AreaSummary",
    "CountInput",
    "DeductionInput",
    "NotApplicableInput",
    "RatioInput",
    "RawInput",
    "ScoreResult",
    "ScoringInputError",
    "SumInput",
    "Summary",
    "TierInput",
    "YesNoInput",
    "checked_decimal",
    "exact",
    "format_number",
    "format_percent",
    "format_points",
    "parse_count",
    "parse_number",
    "parse_ratio",
    "rating_band",
    "score",
    "summarise",
]

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_INDEX_STEP = Decimal("0.0001")
# Officers' figures carry at most MAX_DIGITS significant digits (more is refused). Sums and
# products of such figures need at most 2 × MAX_DIGITS + a few digits, so in _EXACT they are
# exact — and if one ever were not, ``Inexact`` is raised instead of a silent rounding. A
# quotient (a percentage shown, the index) is computed in _CONTEXT, correct far beyond the
# decimals ever shown; decisions (thresholds, bands) never use a quotient.
MAX_DIGITS = 60
_EXACT = Context(prec=2 * MAX_DIGITS + 20, traps=[Inexact, InvalidOperation])
_CONTEXT = Context(prec=2 * MAX_DIGITS + 20)


@contextmanager
def exact() -> Iterator[None]:
    """A local Decimal context in which sums and products of officers' figures are exact."""
    with localcontext(_EXACT):
        yield


class ScoringInputError(Exception):
    """An answer that cannot be scored; ``message`` is Vietnamese and safe to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- raw answers -----------------------------------------------------------------------------


_TOO_MANY_DIGITS = f"Số quá dài (tối đa {MAX_DIGITS} chữ số)."


def _non_negative_int(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ScoringInputError("Số phải là số nguyên không âm.")
    if len(str(value)) > MAX_DIGITS:
        raise ScoringInputError(_TOO_MANY_DIGITS)


def checked_decimal(value: object, what: str) -> Decimal:
    """``value`` as an exact, finite, non-negative ``Decimal`` of at most MAX_DIGITS digits.

    The type is checked, not coerced: a float (already rounded), a string or a bool is
    refused with a Vietnamese message; an ``int`` is taken exactly."""
    if isinstance(value, int) and not isinstance(value, bool):
        if len(str(abs(value))) > MAX_DIGITS:
            raise ScoringInputError(_TOO_MANY_DIGITS)
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ScoringInputError(f"{what} phải là một số.")
    if value < 0:
        raise ScoringInputError(f"{what} không được âm.")
    digits = value.as_tuple()
    exponent = int(digits.exponent)
    # Significant digits, counting the zeros a positive exponent stands for (1E+70 is 71 long).
    if len(digits.digits) + max(exponent, 0) > MAX_DIGITS or exponent < -MAX_DIGITS:
        raise ScoringInputError(_TOO_MANY_DIGITS)
    return value


_non_negative_decimal = checked_decimal


@dataclass(frozen=True, slots=True)
class YesNoInput:
    value: bool

    def __post_init__(self) -> None:
        # A truthy string ("no") or 1 must not pass for "yes": only a real bool is an answer.
        if not isinstance(self.value, bool):
            raise ScoringInputError("Câu trả lời có/không không hợp lệ.")


@dataclass(frozen=True, slots=True)
class TierInput:
    """The position of the chosen tier in the rule's ``tiers`` (0 = first)."""

    index: int

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise ScoringInputError("Mức đã chọn không hợp lệ.")


@dataclass(frozen=True, slots=True)
class RatioInput:
    """Two figures of the officer's; plain ``int`` values are accepted and made ``Decimal``."""

    numerator: Decimal
    denominator: Decimal

    def __post_init__(self) -> None:
        # object.__setattr__: the dataclass is frozen, and normalising here keeps it so.
        object.__setattr__(self, "numerator", _non_negative_decimal(self.numerator, "Tử số"))
        object.__setattr__(self, "denominator", _non_negative_decimal(self.denominator, "Mẫu số"))


@dataclass(frozen=True, slots=True)
class CountInput:
    count: int

    def __post_init__(self) -> None:
        _non_negative_int(self.count)


@dataclass(frozen=True, slots=True)
class DeductionInput:
    """``count`` occurrences to deduct for; ``zero`` when the rule's ``zero_if`` happened."""

    count: int
    zero: bool = False

    def __post_init__(self) -> None:
        _non_negative_int(self.count)
        if not isinstance(self.zero, bool):
            raise ScoringInputError("Câu trả lời không đúng dạng của tiêu chí này.")


@dataclass(frozen=True, slots=True)
class NotApplicableInput:
    """The activity did not arise in the period ("không phát sinh")."""


LeafInput = YesNoInput | TierInput | RatioInput | CountInput | DeductionInput


@dataclass(frozen=True, slots=True)
class SumInput:
    """One answer per part of a sum rule, in the order of the parts."""

    parts: tuple[LeafInput, ...]


RawInput = LeafInput | SumInput | NotApplicableInput


@dataclass(frozen=True, slots=True)
class ScoreResult:
    points: Decimal
    max: Decimal
    explanation: str
    not_applicable: bool = False
    excluded: bool = False


# --- formatting ------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    with localcontext(_CONTEXT):  # normalize() rounds to the context's precision
        text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def format_points(value: Decimal) -> str:
    """Points the Vietnamese way: ``1,5``, ``2``, ``0,25``, ``−0,5``."""
    text = _plain(value)
    sign = ""
    if text.startswith("-"):
        sign, text = "−", text[1:]
    return sign + text.replace(".", ",")


def format_number(value: Decimal) -> str:
    """An officer's figure: thousands grouped by ``.``, decimals after ``,`` (``1.234,5``)."""
    text = _plain(value)
    sign = ""
    if text.startswith("-"):
        sign, text = "−", text[1:]
    whole, _, frac = text.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + frac if frac else "")


def format_percent(value: Decimal) -> str:
    """A percentage truncated (never rounded up) to two decimals, without the ``%`` sign."""
    with localcontext(_CONTEXT):
        return format_points(value.quantize(_CENT, rounding=ROUND_DOWN))


def _percent_text(numerator: Decimal, denominator: Decimal) -> str:
    with localcontext(_CONTEXT):
        exact = numerator * _HUNDRED / denominator
        shown = exact.quantize(_CENT, rounding=ROUND_DOWN)
        approx = shown * denominator != numerator * _HUNDRED
    return ("≈ " if approx else "= ") + format_points(shown) + " %"


# --- parsing officers' numbers ---------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_NUMBER_CHARS = re.compile(r"[0-9., ]+")
_BAD_NUMBER = "Vui lòng nhập một số không âm, ví dụ 97 hoặc 97,5."
_PERCENT = (
    "Không gõ dấu «%»: hãy nhập số lượng (ví dụ 97, hoặc 97/100 cho tử số/mẫu số); "
    "tỷ lệ phần trăm do tôi tự tính."
)


def _split_decimal(text: str) -> tuple[str, str, str | None]:
    """Split into (integer part, fraction, grouping separator) by Vietnamese conventions.

    ``,`` is the Vietnamese decimal mark and ``.`` its thousands separator; ``97.5`` (English
    style) is still understood. A lone ``.`` followed by exactly three digits (``1.234``) is read
    as a thousands separator, as a Vietnamese officer writing a file count means it.
    """
    dots, commas = text.count("."), text.count(",")
    decimal_mark: str
    group: str | None
    if dots and commas:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        group = "." if decimal_mark == "," else ","
    elif commas:
        decimal_mark, group = (",", None) if commas == 1 else ("", ",")
    elif dots == 1:
        whole, frac = text.split(".")
        vn_thousands = len(frac) == 3 and 1 <= len(whole.replace(" ", "")) and whole[0] != "0"
        decimal_mark, group = ("", ".") if vn_thousands else (".", None)
    elif dots:
        decimal_mark, group = "", "."
    else:
        decimal_mark, group = "", None
    if decimal_mark:
        if text.count(decimal_mark) != 1:
            raise ScoringInputError(_BAD_NUMBER)
        whole, frac = text.split(decimal_mark)
        if not frac.isdigit():
            raise ScoringInputError(_BAD_NUMBER)
        return whole, frac, group
    return text, "", group


def parse_number(text: str) -> Decimal:
    """Read a non-negative number typed by an officer: ``97``, ``97,5``, ``97.5``, ``1 234``."""
    cleaned = _SPACES.sub(" ", text).strip()
    if "%" in cleaned:
        raise ScoringInputError(_PERCENT)
    if not cleaned or not _NUMBER_CHARS.fullmatch(cleaned):
        raise ScoringInputError(_BAD_NUMBER)
    whole, frac, group = _split_decimal(cleaned)
    if " " in whole:
        if group is not None:
            raise ScoringInputError(_BAD_NUMBER)
        group = " "
    if group is not None:
        parts = whole.split(group)
        if not (1 <= len(parts[0]) <= 3) or any(len(p) != 3 for p in parts[1:]):
            raise ScoringInputError(_BAD_NUMBER)
        whole = "".join(parts)
    if not whole.isdigit():
        raise ScoringInputError(_BAD_NUMBER)
    try:
        value = Decimal(whole + ("." + frac if frac else ""))
    except InvalidOperation as exc:  # pragma: no cover - guarded by the checks above
        raise ScoringInputError(_BAD_NUMBER) from exc
    return checked_decimal(value, "Số")


def parse_count(text: str) -> int:
    """Read a count: a non-negative whole number."""
    value = parse_number(text)
    if value != value.to_integral_value():
        raise ScoringInputError("Số phải là số nguyên không âm.")
    return int(value)


_RATIO_HELP = "Vui lòng nhập hai số dạng tử số/mẫu số, ví dụ 97/100."


def parse_ratio(text: str) -> tuple[Decimal, Decimal]:
    """Read "numerator/denominator": ``97/100``, ``97 / 100`` or ``97 100``."""
    if "%" in text:
        raise ScoringInputError(_PERCENT)
    if "/" in text:
        pieces = text.split("/")
    else:
        pieces = _SPACES.sub(" ", text).strip().split(" ")
    if len(pieces) != 2 or not all(p.strip() for p in pieces):
        raise ScoringInputError(_RATIO_HELP)
    try:
        return parse_number(pieces[0]), parse_number(pieces[1])
    except ScoringInputError as exc:
        if exc.message == _TOO_MANY_DIGITS:
            raise
        raise ScoringInputError(_RATIO_HELP) from exc


# --- scoring ---------------------------------------------------------------------------------


def _admits(th: Threshold, numerator: Decimal, denominator: Decimal) -> bool:
    """Exact ``numerator ÷ denominator ≥ th.min`` (``>`` if strict), with denominator > 0."""
    with exact():
        left, right = numerator, th.min * denominator
    return left > right if th.strict else left >= right


def _range_label(thresholds: Sequence[Threshold], i: int | None, unit: str) -> str:
    """The band a value fell in: ``95–<98 %``; ``i`` None means below the lowest threshold."""
    if i is None:
        last = thresholds[-1]
        return f"mức {'≤' if last.strict else 'dưới'} {format_points(last.min)}{unit}"
    th = thresholds[i]
    if th.label:
        return f"mức {th.label}"
    low = (">" if th.strict else "") + format_points(th.min)
    if i == 0:
        if unit == " %" and th.min == _HUNDRED and not th.strict:
            return f"mức 100{unit}"
        return f"mức {'>' if th.strict else '≥'} {format_points(th.min)}{unit}"
    upper = thresholds[i - 1]
    return f"mức {low}–{'' if upper.strict else '<'}{format_points(upper.min)}{unit}"


def _pick(
    thresholds: Sequence[Threshold], below: Decimal, numerator: Decimal, denominator: Decimal
) -> tuple[Decimal, int | None]:
    for i, th in enumerate(thresholds):
        if _admits(th, numerator, denominator):
            return th.points, i
    return below, None


def _wrong_form() -> ScoringInputError:
    return ScoringInputError("Câu trả lời không đúng dạng của tiêu chí này.")


def _score_yes_no(rule: YesNoRule, raw: object) -> tuple[Decimal, str]:
    if not isinstance(raw, YesNoInput):
        raise _wrong_form()
    points = rule.if_yes if raw.value else rule.if_no
    return points, f"{'Có' if raw.value else 'Không'} → {format_points(points)} điểm"


def _score_tiers(rule: TiersRule, raw: object) -> tuple[Decimal, str]:
    if not isinstance(raw, TierInput):
        raise _wrong_form()
    if raw.index >= len(rule.tiers):
        raise ScoringInputError("Mức đã chọn không hợp lệ.")
    tier = rule.tiers[raw.index]
    return tier.points, f"Mức: {tier.label} → {format_points(tier.points)} điểm"


def _score_ratio(rule: RatioRule, raw: object, not_applicable_hint: bool) -> tuple[Decimal, str]:
    if not isinstance(raw, RatioInput):
        raise _wrong_form()
    num, den = raw.numerator, raw.denominator
    if den == 0 and rule.comparison:
        return _score_comparison_zero(rule, num)
    if den == 0:
        if rule.when_zero is None:
            hint = (
                " Nếu không phát sinh, hãy chọn «Không phát sinh»." if not_applicable_hint else ""
            )
            raise ScoringInputError("Mẫu số phải lớn hơn 0." + hint)
        if num != 0:
            raise ScoringInputError("Tử số không được lớn hơn mẫu số.")
        label = rule.when_zero_label or f"Không có {rule.denominator}"
        return rule.when_zero, f"{label} → {format_points(rule.when_zero)} điểm"
    if num > den and not (rule.allow_over_100 or rule.comparison):
        raise ScoringInputError("Tử số không được lớn hơn mẫu số.")
    with exact():
        percent_num = num * _HUNDRED
    points, i = _pick(rule.thresholds, rule.below, percent_num, den)
    return points, (
        f"{format_number(num)}/{format_number(den)} {rule.numerator} "
        f"{_percent_text(num, den)} → {_range_label(rule.thresholds, i, ' %')} → "
        f"{format_points(points)} điểm"
    )


def _score_comparison_zero(rule: RatioRule, num: Decimal) -> tuple[Decimal, str]:
    """A comparison with a base period of 0: 0 then 0 is equal (100 %), more is an increase
    (every threshold is reached; the first one scores)."""
    if num == 0:
        points, i = _pick(rule.thresholds, rule.below, _HUNDRED * _HUNDRED, _HUNDRED)
        how = f"0/0 {rule.numerator} = bằng {rule.denominator} (100 %)"
    else:
        points, i = rule.thresholds[0].points, 0
        how = f"{format_number(num)}/0 {rule.numerator} = tăng so với {rule.denominator} (0)"
    return points, (
        f"{how} → {_range_label(rule.thresholds, i, ' %')} → {format_points(points)} điểm"
    )


def _check_cap(cap: int | None, count: int, unit: str) -> None:
    if cap is not None and count > cap:
        raise ScoringInputError(
            f"Nhiều nhất chỉ có {cap} {unit}; bạn nhập {count}. Hãy kiểm tra lại số liệu."
        )


def _score_count(rule: CountRule, raw: object) -> tuple[Decimal, str]:
    if not isinstance(raw, CountInput):
        raise _wrong_form()
    _check_cap(rule.max_count, raw.count, rule.unit)
    points, i = _pick(rule.thresholds, rule.below, Decimal(raw.count), Decimal(1))
    return points, (
        f"{raw.count} {rule.unit} → {_range_label(rule.thresholds, i, '')} → "
        f"{format_points(points)} điểm"
    )


def _score_deductions(rule: DeductionRule, maximum: Decimal, raw: object) -> tuple[Decimal, str]:
    if not isinstance(raw, DeductionInput):
        raise _wrong_form()
    _check_cap(rule.max_count, raw.count, rule.unit)
    of_max = f"/{format_points(maximum)} điểm"
    if raw.zero:
        if rule.zero_if is None:
            raise ScoringInputError("Tiêu chí này không có trường hợp bị 0 điểm.")
        return _ZERO, f"{rule.zero_if} → 0{of_max}"
    if raw.count == 0:
        return maximum, f"Không có {rule.unit} → {format_points(maximum)}{of_max}"
    with exact():
        deducted = rule.per * raw.count
        points = max(rule.floor, maximum - deducted)
    floor_note = (
        f" (không thấp hơn {format_points(rule.floor)})" if maximum - deducted < rule.floor else ""
    )
    return points, (
        f"{raw.count} {rule.unit} × {format_points(rule.per)} = −{format_points(deducted)} → "
        f"{format_points(points)}{of_max}{floor_note}"
    )


def _score_leaf(
    rule: object, maximum: Decimal, raw: object, not_applicable_hint: bool = False
) -> tuple[Decimal, str]:
    if isinstance(rule, YesNoRule):
        return _score_yes_no(rule, raw)
    if isinstance(rule, TiersRule):
        return _score_tiers(rule, raw)
    if isinstance(rule, RatioRule):
        return _score_ratio(rule, raw, not_applicable_hint)
    if isinstance(rule, CountRule):
        return _score_count(rule, raw)
    if isinstance(rule, DeductionRule):
        return _score_deductions(rule, maximum, raw)
    raise _wrong_form()


def _score_sum(rule: SumRule, maximum: Decimal, raw: object) -> tuple[Decimal, str]:
    if not isinstance(raw, SumInput):
        raise _wrong_form()
    if len(raw.parts) != len(rule.parts):
        raise ScoringInputError(f"Tiêu chí này cần trả lời đủ {len(rule.parts)} phần.")
    total = _ZERO
    texts = []
    for part, answer in zip(rule.parts, raw.parts, strict=True):
        points, text = _score_leaf(part.rule, part.max, answer)
        with exact():
            total += points
        texts.append(f"{part.label}: {text}")
    summary = f"tổng {format_points(total)}/{format_points(maximum)} điểm"
    return total, "; ".join(texts) + "; " + summary


def score(criterion: Criterion, raw: RawInput) -> ScoreResult:
    """Score one self-assessed leaf criterion from the officer's answer.

    Raises ``ScoringInputError`` (Vietnamese message) when the answer does not fit the rule,
    for survey criteria (scored by the province) and for groups of criteria.
    """
    rule = criterion.rule
    if criterion.children or rule is None:
        parts = level_name(f"{criterion.code}.1")
        raise ScoringInputError(
            f"{node_label(criterion.code)} gồm các {parts}; hãy chấm từng {parts}."
        )
    if isinstance(rule, SurveyRule):
        raise ScoringInputError(
            f"{node_label(criterion.code)} do tỉnh chấm qua điều tra xã hội học, không tự chấm."
        )
    maximum = criterion.max
    if isinstance(raw, NotApplicableInput):
        na = criterion.not_applicable
        if na is None:
            raise ScoringInputError(
                f"{node_label(criterion.code)} không có trường hợp «Không phát sinh»; "
                "hãy chấm theo kết quả thực tế."
            )
        note = f" ({na.note})" if na.note else ""
        if na.policy == "exclude":
            return ScoreResult(
                points=_ZERO,
                max=maximum,
                explanation=(
                    f"Không phát sinh{note} → loại khỏi tổng điểm "
                    f"(điểm tối đa giảm {format_points(maximum)})"
                ),
                not_applicable=True,
                excluded=True,
            )
        return ScoreResult(
            points=maximum,
            max=maximum,
            explanation=f"Không phát sinh{note} → đạt tối đa {format_points(maximum)} điểm",
            not_applicable=True,
        )
    if isinstance(rule, SumRule):
        points, text = _score_sum(rule, maximum, raw)
    else:
        points, text = _score_leaf(rule, maximum, raw, criterion.not_applicable is not None)
    zero_case = (
        isinstance(rule, RatioRule) and isinstance(raw, RatioInput) and raw.denominator == 0
    )
    return ScoreResult(points=points, max=maximum, explanation=text, not_applicable=zero_case)


# --- totals ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AreaSummary:
    """Self-scored figures of one area; ``max`` excludes survey items, not "không phát sinh"."""

    code: str
    title: str
    points: Decimal
    max: Decimal
    excluded_max: Decimal
    scored: int
    total: int


@dataclass(frozen=True, slots=True)
class Summary:
    areas: tuple[AreaSummary, ...]
    self_points: Decimal
    self_max: Decimal
    scored: int
    total: int
    excluded_max: Decimal
    survey_points: Decimal
    survey_max: Decimal
    bonus: Decimal
    penalty: Decimal
    set_total: Decimal
    index: Decimal  # percent, floored to 4 decimals; ``band`` is decided on the exact value
    band: str

    @property
    def denominator(self) -> Decimal:
        """The maximum the index is measured against: set total minus excluded items."""
        return self.set_total - self.excluded_max


def _block_points(
    block: BonusBlock | None, counts: Mapping[str, int] | None, what: str
) -> Decimal:
    if not counts:
        return _ZERO
    if block is None:
        raise ScoringInputError(f"Bộ tiêu chí này không có điểm {what}.")
    items = {item.code: item for item in block.items}
    total = _ZERO
    for code, count in counts.items():
        item = items.get(code)
        if item is None:
            raise ScoringInputError(f"Không có mục điểm {what} «{code}».")
        _non_negative_int(count)
        if count:
            total += item.points * (count if item.per_occurrence else 1)
    return min(total, block.cap)


def rating_band(cset: CriteriaSet, numerator: Decimal, denominator: Decimal = _HUNDRED) -> str:
    """The first band whose minimum the index ``numerator ÷ denominator × 100`` reaches.

    Compared exactly; an index below every band (a large penalty) gets the last band.
    """
    with exact():
        scaled = numerator * _HUNDRED
    for band in cset.rating:
        if denominator > 0 and _admits(Threshold(min=band.min, points=_ZERO), scaled, denominator):
            return band.name
    return cset.rating[-1].name


def summarise(
    cset: CriteriaSet,
    results: Mapping[str, ScoreResult],
    bonus: Mapping[str, int] | None = None,
    penalty: Mapping[str, int] | None = None,
    survey: Mapping[str, Decimal] | None = None,
) -> Summary:
    """Totals of an assessment: per area, self-scored, survey, bonus/penalty, index and band.

    ``results`` maps leaf codes to their scores (unscored leaves count 0); ``bonus`` and
    ``penalty`` map item codes to occurrences; ``survey`` maps survey criterion codes to the
    points the province gave. Every sum is exact (see ``exact``); only the index shown is
    floored.
    """
    with exact():
        return _summarise(cset, results, bonus, penalty, survey)


def _summarise(
    cset: CriteriaSet,
    results: Mapping[str, ScoreResult],
    bonus: Mapping[str, int] | None = None,
    penalty: Mapping[str, int] | None = None,
    survey: Mapping[str, Decimal] | None = None,
) -> Summary:
    by_code = cset.by_code()
    for code in results:
        node = by_code.get(code)
        if node is None or node.children or node.is_survey:
            raise ScoringInputError(f"Không có tiêu chí tự chấm mã {code}.")
    survey_points = _ZERO
    for code, value in (survey or {}).items():
        node = by_code.get(code)
        if node is None or not node.is_survey:
            raise ScoringInputError(f"Không có tiêu chí điều tra xã hội học mã {code}.")
        if isinstance(value, Decimal) and value.is_finite() and value >= 0:
            value = checked_decimal(value, f"Điểm tiêu chí {code}")
        elif not isinstance(value, Decimal):
            raise ScoringInputError(f"Điểm tiêu chí {code} phải là một số.")
        if not value.is_finite() or value < 0 or value > node.max:
            raise ScoringInputError(
                f"Điểm tiêu chí {code} phải từ 0 đến {format_points(node.max)}."
            )
        survey_points += value

    areas = []
    for area in cset.areas:
        leaves = [c for c in area.walk() if c.is_leaf and not c.is_survey]
        done = [results[c.code] for c in leaves if c.code in results]
        areas.append(
            AreaSummary(
                code=area.code,
                title=area.title,
                points=sum((r.points for r in done), _ZERO),
                max=sum((c.max for c in leaves), _ZERO),
                excluded_max=sum((r.max for r in done if r.excluded), _ZERO),
                scored=len(done),
                total=len(leaves),
            )
        )
    self_points = sum((a.points for a in areas), _ZERO)
    excluded_max = sum((a.excluded_max for a in areas), _ZERO)
    bonus_points = _block_points(cset.bonus, bonus, "thưởng")
    penalty_points = _block_points(cset.penalty, penalty, "trừ")
    earned = self_points + survey_points + bonus_points - penalty_points
    denominator = cset.total - excluded_max
    with localcontext(_CONTEXT):
        quotient = earned * _HUNDRED / denominator if denominator > 0 else _ZERO
        # Floored to 4 decimals, for display only: ``band`` is decided on the exact figures.
        index = quotient.quantize(_INDEX_STEP, rounding=ROUND_FLOOR)
    return Summary(
        areas=tuple(areas),
        self_points=self_points,
        self_max=cset.self_scored_max,
        scored=sum(a.scored for a in areas),
        total=sum(a.total for a in areas),
        excluded_max=excluded_max,
        survey_points=survey_points,
        survey_max=sum((c.max for c in cset.leaves() if c.is_survey), _ZERO),
        bonus=bonus_points,
        penalty=penalty_points,
        set_total=cset.total,
        index=index,
        band=rating_band(cset, earned, denominator),
    )
