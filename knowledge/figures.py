"""Figures in a question, scored with the criterion's own rule.

An officer often gives the figures a rule needs: "bên em đạt 97,6 % thì được mấy điểm",
"45/50 hồ sơ đúng hạn", "trễ 2 báo cáo quý". :func:`extract` reads the quantities of a
question — percentages, "X of Y" ratios, counts of something — and leaves out what is not a
quantity for scoring: dates ("15/11", "ngày 05/11/2021"), years, document numbers
("2400/QĐ-UBND", "61/2018/NĐ-CP") and criterion codes ("3.4.1"). :func:`estimate` then scores
them with :func:`criteria.scoring.score`, the engine /chamdiem uses, when they fit the rule:

* ratio rule — one "X of Y" (numerator, denominator) or one percentage;
* tiers rule — one percentage that falls in exactly one tier whose label states a percentage
  band ("hoàn thành từ 80% đến dưới 100%");
* count rule — one count of the rule's unit ("2 phương án");
* deductions rule — one count of the rule's unit said to be late, missing or in breach
  ("trễ 2 báo cáo", "3 nhiệm vụ quá hạn");
* sum of parts — the one part the figures fit, scored alone.

Anything else (no figure, several different figures, figures of another kind) gives None:
an estimate is only shown when the question itself settles it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from criteria.schema import (
    CountRule,
    Criterion,
    DeductionRule,
    RatioRule,
    SumRule,
    TiersRule,
    level_name,
)
from criteria.scoring import (
    CountInput,
    DeductionInput,
    RatioInput,
    ScoringInputError,
    TierInput,
    format_number,
    format_points,
    parse_number,
    score,
)
from knowledge.numbers import spoken_numbers
from knowledge.text import fold

__all__ = ["Estimate", "Quantity", "estimate", "estimate_for", "extract"]

Kind = Literal["percent", "ratio", "count"]

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Quantity:
    """One figure of a question.

    ``percent``: ``value`` is the percentage. ``ratio``: ``value`` of ``denominator``.
    ``count``: ``value`` things; ``before`` and ``after`` are the folded words around the
    number (up to three before, six after), which say what is counted.
    """

    kind: Kind
    value: Decimal
    denominator: Decimal | None = None
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Estimate:
    """Points computed from the question's figures; ``text`` is the line shown to the user."""

    code: str
    points: Decimal
    max: Decimal  # of the part, when ``part`` names one
    reason: str
    text: str
    part: str | None = None  # the part of a sum rule the figures score

    def to_json(self) -> dict[str, Any]:
        return {
            "criterion_code": self.code,
            "part": self.part,
            "points": float(self.points),
            "max": float(self.max),
            "text": self.text,
        }


# --- extraction ------------------------------------------------------------------------------

# A number as officers write it: 97 · 97,6 · 97.6 · 1.250 · 1.250,5 (a code such as 3.4.1 too;
# codes are told apart below).
_NUM = r"\d+(?:[.,]\d+)*"
_PERCENT_RE = re.compile(rf"(?<![\d.,/])({_NUM})\s*(?:%|phan tram\b)")
_SLASH_RE = re.compile(rf"(?<![\d.,/])({_NUM})\s*/\s*({_NUM})(?![\d.,]*\d)(\s*/\s*\d+|/[a-z])?")
_OF_RE = re.compile(
    rf"(?<![\d.,/])({_NUM})((?:\s+[a-z]+){{0,5}}?)\s+(?:tren|trong)"
    rf"(?:\s+(?:tong so|tong|so|tat ca))?\s+({_NUM})(?![\d.,]*\d)(?!\s*(?:%|phan tram\b))"
)
_COUNT_RE = re.compile(rf"(?<![\d.,/])({_NUM})(?![\d.,]*\d)(?!\s*[/-])")
_CODE_RE = re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,2}$")
_WORD_RE = re.compile(r"[a-z]+")
# Every pattern above needs a digit, and folding makes none (checked on every code point):
# a question without one has no quantities.
_DIGIT_RE = re.compile(r"\d")

# Words that make "15/11" a date rather than 15 of 11, or a percentage a band being asked
# about ("dưới 90%") rather than the officer's own figure.
_DATE_WORDS = frozenset("ngay hom han den tu truoc sau thang luc chot tuan toi vao".split())
_BAND_WORDS = frozenset("duoi tren tu den hon toi thieu nhat muc".split())
# Tokens allowed between a number and the thing counted ("2 cái báo cáo", "3 bản").
_CLASSIFIERS = frozenset("cai ban chiec con".split())


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    text = re.sub(r"[\u00a0\u202f\u2009]", " ", text)
    return fold(text)


def _number(text: str, code_ok: bool = False) -> Decimal | None:
    """``text`` as a number; None for a criterion code (3.4, 3.4.1) unless ``code_ok``."""
    if not code_ok and _CODE_RE.match(text):
        return None  # 1.250 (three digits after the dot) is a number, not a code
    try:
        return parse_number(text)
    except ScoringInputError:
        return None


def _words_before(text: str, start: int, n: int) -> tuple[str, ...]:
    head = re.split(r"[,.;:!?\n]\s", text[max(0, start - 60) : start])[-1]
    return tuple(_WORD_RE.findall(head)[-n:])


def _words_after(text: str, end: int, n: int) -> tuple[str, ...]:
    # Stop at the next number or sentence end: what follows it is about something else.
    tail = re.split(r"\d|[,.;:!?\n](?:\s|$)", text[end : end + 80], maxsplit=1)[0]
    return tuple(_WORD_RE.findall(tail)[:n])


def _is_date(text: str, start: int, a: Decimal, b: Decimal, rest: str | None) -> bool:
    if rest:  # 05/11/2021, 61/2018/NĐ-CP
        return True
    if 1900 <= b <= 2100:  # 45/2016: a document number
        return True
    if not (1 <= a <= 31 and 1 <= b <= 12 and a == a.to_integral_value()):
        return False
    return a > b or any(w in _DATE_WORDS for w in _words_before(text, start, 2))


_RUN_RE = re.compile(r"\d+")


def _number_starts(text: str) -> list[int]:
    """Where a match of the four patterns above can start: each begins with a number not
    preceded by a digit, '.', ',' or '/' (the same look-behind), i.e. at the start of a run of
    digits whose previous character is none of '.,/'."""
    starts = []
    for run in _RUN_RE.finditer(text):
        i = run.start()
        if i == 0 or text[i - 1] not in ".,/":  # (a run's previous character is no digit)
            starts.append(i)
    return starts


def _matches(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for one of the four patterns, tried only where a match can
    start (``starts``, in order): the same matches. finditer tries every position, and the
    leading look-behind keeps the regex engine from skipping to the next digit by itself;
    a question is mostly words."""
    end = 0
    for i in starts:
        if i < end:
            continue
        found = pattern.match(text, i)
        if found is not None:
            end = found.end()
            yield found


def extract(question: str) -> list[Quantity]:
    """The quantities in ``question``, in order of appearance (dates, codes, years left out)."""
    question = spoken_numbers(question)  # "chín mươi bảy phẩy sáu phần trăm": 97,6 %
    if _DIGIT_RE.search(question) is None:
        return []
    text = _fold(question)
    found: list[tuple[int, Quantity]] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def around(start: int, end: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return _words_before(text, start, 3), _words_after(text, end, 6)

    starts = _number_starts(text)
    for m in _matches(_SLASH_RE, text, starts):
        a, b = _number(m.group(1)), _number(m.group(2))
        taken.append(m.span())
        if a is None or b is None or _is_date(text, m.start(), a, b, m.group(3)):
            continue
        found.append((m.start(), Quantity("ratio", a, b, *around(*m.span()))))
    for m in _matches(_PERCENT_RE, text, starts):
        if not free(*m.span()):
            continue
        taken.append(m.span())
        value = _number(m.group(1), code_ok=True)
        before, after = around(*m.span())
        if value is None or (before and before[-1] in _BAND_WORDS):
            continue
        found.append((m.start(), Quantity("percent", value, None, before, after)))
    for m in _matches(_OF_RE, text, starts):
        if not free(*m.span()):
            continue
        a, b = _number(m.group(1)), _number(m.group(3))
        if a is None or b is None:
            continue
        taken.append(m.span())
        before, after = around(*m.span())
        middle = tuple(m.group(2).split())
        found.append((m.start(), Quantity("ratio", a, b, before, (*middle, *after))))
        # "trễ 2 trong 50 hồ sơ": 2 is also a count of the thing named after 50.
        found.append((m.start(), Quantity("count", a, None, before, middle or after)))
    for m in _matches(_COUNT_RE, text, starts):
        if not free(*m.span()):
            continue
        value = _number(m.group(1))
        before, after = around(*m.span())
        if value is None or value != value.to_integral_value():
            continue
        if before and before[-1] in ("ngay", "so", "thang", "quy", "nam", "muc", "khoan"):
            continue  # a date, a document number, a quarter, a year, a level, an article
        if 1900 <= value <= 2100 and not after:
            continue  # a year
        found.append((m.start(), Quantity("count", value, None, before, after)))
    return [q for _, q in sorted(found, key=lambda item: item[0])]


# --- matching figures to a rule --------------------------------------------------------------

# The second word of a unit that is not part of its noun ("phòng có số cấp phó…" → "phòng").
_NOT_NOUN = frozenset("co bi duoc da con gui tiep".split())
# Words saying a counted thing is late, missing or in breach, grouped by meaning; a deduction
# rule's unit names the group it counts.
_CUES: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (
        frozenset({"cham", "tre", "qua han"}),
        frozenset({"cham", "tre", "muon", "qua han", "tre han", "cham han", "khong dung han"}),
    ),
    (frozenset({"thieu"}), frozenset({"thieu", "chua co", "khong co"})),
    (frozenset({"vuot"}), frozenset({"vuot", "qua", "thua"})),
    (frozenset({"vi pham"}), frozenset({"vi pham", "sai"})),
    (
        frozenset({"ky luat"}),
        frozenset(
            {"ky luat", "khien trach", "canh cao", "cach chuc", "giang chuc", "buoc thoi viec"}
        ),
    ),
    (frozenset({"thieu sot"}), frozenset({"thieu sot", "sai sot", "sai", "thieu"})),
)


@lru_cache(maxsize=1024)
def _unit_words(unit: str) -> tuple[str, ...]:
    """The folded words of a rule's text (a unit, a numerator …): a few hundred texts in all,
    read for every question with figures, so each is read once."""
    return tuple(_WORD_RE.findall(_fold(unit)))


def _noun(unit: str) -> tuple[str, ...]:
    words = _unit_words(unit)
    if len(words) >= 2 and words[1] not in _NOT_NOUN:
        return tuple(words[:2])
    return tuple(words[:1])


# Everyday names officers give a unit's noun ("trễ 3 việc", "xong 20 nv", "2 người bị kỷ luật").
_NOUN_ALIASES: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {
    ("nhiem", "vu"): (("viec",), ("nv",)),
    ("bao", "cao"): (("bc",),),
    ("ho", "so"): (("hs",),),
    ("truong", "hop"): (
        ("cong", "chuc"),
        ("can", "bo"),
        ("vien", "chuc"),
        ("nguoi",),
        ("cbcc",),
        ("cbccvc",),
        ("ca", "nhan"),
    ),
}


def _thing(q: Quantity) -> list[str]:
    """The words after the number, without a classifier ("2 cái báo cáo" → báo cáo …)."""
    after = list(q.after)
    return after[1:] if after and after[0] in _CLASSIFIERS else after


def _names(q: Quantity, noun: tuple[str, ...]) -> bool:
    """Whether the words right after the number name ``noun`` or an everyday name of it."""
    after = _thing(q)
    return any(
        tuple(after[: len(name)]) == name for name in (noun, *_NOUN_ALIASES.get(noun, ()))
    )


def _has(words: tuple[str, ...], phrases: frozenset[str]) -> bool:
    joined = " " + " ".join(words) + " "
    return any(f" {p} " in joined for p in phrases)


def _cues(unit: str) -> frozenset[str]:
    joined = " " + " ".join(_unit_words(unit)) + " "
    out: set[str] = set()
    for keys, cues in _CUES:
        if any(f" {k} " in joined for k in keys):
            out |= cues
    return frozenset(out)


def _distinct(values: list[Any]) -> Any | None:
    """The one value of ``values`` (repeats allowed), or None when none or several."""
    unique = set(values)
    return unique.pop() if len(unique) == 1 else None


def _counts(quantities: list[Quantity], unit: str, need_cue: bool) -> int | None:
    noun = _noun(unit)
    cues = _cues(unit) if need_cue else frozenset()
    picked = []
    for q in quantities:
        if q.kind != "count" or not _names(q, noun):
            continue
        # The cue is right before the number ("trễ 2 báo cáo") or after the noun
        # ("3 nhiệm vụ quá hạn"); the noun itself may carry it ("2 thiếu sót").
        if need_cue and not (_has(q.before[-2:], cues) or _has(q.after, cues)):
            continue
        picked.append(int(q.value))
    value = _distinct(picked)
    return value if isinstance(value, int) else None


_TIER_BAND = re.compile(
    r"tu (\d+(?:[.,]\d+)?) ?% (?:den )?duoi (\d+(?:[.,]\d+)?) ?%"
    r"|duoi (\d+(?:[.,]\d+)?) ?%"
    r"|tu (\d+(?:[.,]\d+)?) ?% tro len"
    r"|(\d+(?:[.,]\d+)?) ?%"
)


@lru_cache(maxsize=1024)
def _tier_band(label: str) -> tuple[Decimal, Decimal, bool] | None:
    """The percentage band a tier label states: (low, high, high included), or None (read
    once per label)."""
    m = _TIER_BAND.search(_fold(label))
    if m is None:
        return None

    def num(s: str) -> Decimal:
        return Decimal(s.replace(",", "."))

    if m.group(1):
        return num(m.group(1)), num(m.group(2)), False
    if m.group(3):
        return Decimal(0), num(m.group(3)), False
    if m.group(4):
        return num(m.group(4)), Decimal("1e9"), True
    value = num(m.group(5))
    return value, value, True


def _percent(quantities: list[Quantity]) -> Decimal | None:
    value = _distinct([q.value for q in quantities if q.kind == "percent"])
    return value if isinstance(value, Decimal) else None


_LATE = frozenset({"tre", "cham", "muon", "qua han", "tre han", "cham han"})


def _late(q: Quantity) -> bool:
    """Whether the officer says the figure counts late things ("trễ 2", "2 hồ sơ quá hạn")."""
    return _has(q.before[-2:], _LATE) or _has(q.after[:4], _LATE)


def _denominator_noun(rule: RatioRule) -> tuple[str, ...]:
    """What the denominator counts: "tổng số hồ sơ đã giải quyết" → ("ho", "so")."""
    words = _unit_words(rule.denominator)
    while words[:1] in (("tong",), ("so",)):
        words = words[1:]
    return _noun(" ".join(words))


def _ratio(rule: RatioRule, quantities: list[Quantity]) -> tuple[object, str | None] | None:
    numerator = " " + " ".join(_unit_words(rule.numerator)) + " "
    about_late = any(f" {w} " in numerator for w in _LATE)
    on_time = " dung han " in numerator and not about_late
    pairs = []
    for q in quantities:
        if q.kind != "ratio" or q.denominator is None:
            continue
        if not _late(q) or about_late:
            pairs.append((q.value, q.denominator))
        elif on_time and q.value <= q.denominator:
            pairs.append((q.denominator - q.value, q.denominator))  # 2 late of 50: 48 on time
    ratio = _distinct(pairs)
    if ratio is not None:
        return RatioInput(*ratio), None
    if pairs:
        return None
    percents = []
    for q in quantities:
        if q.kind != "percent":
            continue
        if not _late(q) or about_late:
            percents.append(q.value)
        elif on_time and q.value <= _HUNDRED:
            percents.append(_HUNDRED - q.value)
    pct = _distinct(percents)
    if pct is not None:
        return RatioInput(pct, _HUNDRED), f"{format_number(pct)} %"
    if percents or not on_time:
        return None
    # "1.200 hồ sơ, trễ 29": a total of the denominator's things and a count of late ones.
    noun = _denominator_noun(rule)
    late, totals = [], []
    for q in quantities:
        if q.kind != "count":
            continue
        said_late = _has(q.before[-1:], _LATE) or _has(q.after[:2], _LATE)
        if said_late or (_late(q) and _names(q, noun)):
            late.append(q.value)
        elif _names(q, noun) and not _late(q):
            totals.append(q.value)
    n_late, total = _distinct(late), _distinct(totals)
    if n_late is None or total is None or not 0 < total or n_late > total:
        return None
    return RatioInput(total - n_late, total), None


# Words right before a count saying it is the part done ("xong 20", "mới xử lý 1").
_DONE = frozenset({"xong", "duoc", "hoan thanh", "dat", "xu ly", "thuc hien", "lam"})


def _done_of_total(rule: RatioRule, quantities: list[Quantity]) -> RatioInput | None:
    """"KH có 24 nhiệm vụ, xong 20": exactly two counts, a total and the part done of it."""
    numerator = " " + " ".join(_unit_words(rule.numerator)) + " "
    if any(f" {w} " in numerator for w in _LATE) or " dung han " in numerator:
        return None  # on-time rules read late counts instead (_ratio)
    counts = [q for q in quantities if q.kind == "count"]
    if len(counts) != 2 or any(q.kind == "ratio" for q in quantities):
        return None
    total, part = counts
    thing = _thing(total)
    if not thing or _has(total.before[-2:], _DONE) or not _has(part.before[-2:], _DONE):
        return None
    noun = tuple(thing[:2]) if len(thing) > 1 else tuple(thing)
    if _thing(part):  # "120 lượt …, được 95 lượt": the part names the total's things
        same = _names(part, noun) or _thing(part)[0] == thing[0]
    else:  # "phát hiện 2 văn bản, xử lý 1": the total names the rule's denominator
        same = _names(total, _denominator_noun(rule))
    if not same or part.value > total.value or total.value == 0 or _late(part):
        return None
    return RatioInput(part.value, total.value)


# The rules :func:`_input` reads figures for; any other gets no estimate.
_FIGURED = (RatioRule, TiersRule, CountRule, DeductionRule)


def _input(criterion: Criterion, quantities: list[Quantity]) -> tuple[object, str | None] | None:
    """The scoring input the figures give for ``criterion``'s rule, and how to show them."""
    rule = criterion.rule
    if isinstance(rule, RatioRule):
        made = _ratio(rule, quantities)
        if made is None and (done := _done_of_total(rule, quantities)) is not None:
            return done, None
        return made
    if isinstance(rule, TiersRule):
        pct = _percent(quantities)
        if pct is None:
            return None
        fits = []
        for i, tier in enumerate(rule.tiers):
            band = _tier_band(tier.label)
            if band is None:
                continue
            low, high, closed = band
            if low <= pct and (pct <= high if closed else pct < high):
                fits.append(i)
        if len(fits) != 1:
            return None
        return TierInput(fits[0]), f"{format_number(pct)} %"
    if isinstance(rule, CountRule):
        count = _counts(quantities, rule.unit, need_cue=False)
        return (CountInput(count), None) if count is not None else None
    if isinstance(rule, DeductionRule):
        count = _counts(quantities, rule.unit, need_cue=True)
        return (DeductionInput(count), None) if count is not None else None
    return None


def _reason(criterion: Criterion, explanation: str, shown: str | None, points: Decimal) -> str:
    """The engine's explanation, the figure as the officer gave it, points out of the max."""
    parts = explanation.split(" → ")
    if shown is not None:
        # "97,6/100 số hồ sơ … = 97,6 %" → "97,6 %"; "Mức: …" → "97,6 % → mức «…»".
        if isinstance(criterion.rule, TiersRule):
            parts[0] = f"{shown} → mức «{parts[0].removeprefix('Mức: ')}»"
        else:
            parts[0] = shown
    last = parts[-1]
    whole = f"{format_points(points)} điểm"
    if last == whole:
        parts[-1] = f"{format_points(points)}/{format_points(criterion.max)} điểm"
    return " → ".join(parts)


def _part_criteria(criterion: Criterion) -> list[Criterion]:
    """The parts of a sum rule as criteria of their own (same code), for the scoring engine;
    made once per criterion object (it is immutable; a reload makes new ones)."""
    rule = criterion.rule
    if not isinstance(rule, SumRule):
        return [criterion]
    held = _PARTS.get(id(criterion))
    if held is None or held[0] is not criterion:
        parts = [
            Criterion(code=criterion.code, title=part.label, max=part.max, rule=part.rule)
            for part in rule.parts
        ]
        if len(_PARTS) >= 4096:  # reloads made new criteria: forget the old ones
            _PARTS.clear()
        held = _PARTS[id(criterion)] = (criterion, parts)
    return list(held[1])


# id(criterion) -> (criterion, its parts): the criterion is kept, so its id is not reused.
_PARTS: dict[int, tuple[Criterion, list[Criterion]]] = {}


def estimate(question: str, criterion: Criterion) -> Estimate | None:
    """Points for ``criterion`` from the figures in ``question``, or None if they do not fit.

    For a sum of parts, the one part the figures fit is scored alone ("phần «…»"); when they
    fit none or several parts, nothing.
    """
    if criterion.children or criterion.rule is None:
        return None
    whole = criterion.rule
    rules = [part.rule for part in whole.parts] if isinstance(whole, SumRule) else [whole]
    if not any(isinstance(each, _FIGURED) for each in rules):
        return None  # yes/no or hand-scored: no figure scores it (see _input)
    quantities = extract(question)
    if not quantities:
        return None
    fitting = []
    for target in _part_criteria(criterion):
        made = _input(target, quantities)
        if made is not None:
            fitting.append((target, *made))
    if len(fitting) != 1:
        return None
    target, raw, shown = fitting[0]
    try:
        result = score(target, raw)  # type: ignore[arg-type]
    except ScoringInputError:
        return None  # e.g. 55/50 on a rule that does not allow over 100 %
    reason = _reason(target, result.explanation, shown, result.points)
    part = target.title if target is not criterion else None
    if part is not None:
        reason = f"phần «{part}»: {reason}"
    rule = target.rule
    extra = ""
    if isinstance(rule, DeductionRule) and rule.zero_if:
        extra = f"; riêng trường hợp «{rule.zero_if}»: 0 điểm"
    if part is not None:
        extra += "; các phần khác chấm riêng"
    text = (
        f"Ước tính: {reason} theo {level_name(criterion.code)} {criterion.code}{extra} "
        "(cần xác nhận khi tự chấm)."
    )
    return Estimate(criterion.code, result.points, result.max, reason, text, part)


def estimate_for(
    question: str,
    decision: str,
    codes: tuple[str, ...],
    lookup: Callable[[str], Criterion | None],
) -> Estimate | None:
    """The estimate for a decided answer: only for ``answer`` on exactly one criterion."""
    if decision != "answer" or len(codes) != 1:
        return None
    criterion = lookup(codes[0])
    return estimate(question, criterion) if criterion is not None else None
