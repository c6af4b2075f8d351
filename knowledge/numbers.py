"""Numbers said in words, as voice typing writes them, turned into digits.

Officers dictate questions to the phone ("huyện em có một trăm hai mươi thủ tục mà chỉ bốn mươi
hai thủ tục phát sinh hồ sơ, tỷ lệ chín mươi bảy phẩy sáu phần trăm"): the figures are then
words, which search would read as topic words and the rule estimates would not see. A run of
number words that only a number can be — it has a multiplier (mười/mươi, trăm, nghìn/ngàn,
triệu), a "lẻ/linh" or a "phẩy", and at least two words — is written in digits ("120", "42",
"97,6"). A lone "một" (một cửa), "ba bốn" (mức độ 3, 4: two numbers) or "hai mươi năm" (twenty
years: five after "mươi" is "lăm") stay as they are. Typed with accents, every word must carry
the numeral's own marks ("trạm", "sau", "nam" are other words); typed without any, a run of two
words with "tram" or "le" is left alone ("hai tram y te": two health stations). A criterion's
code said aloud, "ba chấm bốn chấm một" or "ba phẩy bốn phẩy một" (or two parts after "tiêu
chí"), is written "3.4.1". Tens said short, "chín lăm" (95), "hai mốt" (21), are read when typed
with accents.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise

from knowledge.text import fold

__all__ = ["spoken_numbers"]


def _fold(word: str) -> str:
    return fold(word.lower())


# Digits by their accented spellings (the folded form is the key when typed without accents).
_DIGITS_ACCENTED = {
    "không": 0, "một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7,
    "tám": 8, "chín": 9,
}
_DIGITS_FOLDED = {_fold(w): v for w, v in _DIGITS_ACCENTED.items()}
# ... and the forms used only after "mươi" (mốt 1, tư 4, lăm/nhăm 5) or "mười" (lăm 5).
_AFTER_TENS_ACCENTED = {"mốt": 1, "tư": 4, "lăm": 5, "nhăm": 5}
_AFTER_TENS = tuple(_AFTER_TENS_ACCENTED.items())
_AFTER_TEN = (("lăm", 5), ("nhăm", 5))  # "mười lăm"; "mười năm" is ten years
_AFTER_POINT = (("lăm", 5), ("nhăm", 5), ("mốt", 1))
# ... and those said right after a digit for its tens, "mươi" left out ("chín lăm": 95).
_AFTER_TENS_SHORT = (("lăm", 5), ("nhăm", 5), ("mốt", 1))
_AFTER_TENS_SHORT_FORMS = frozenset(w for w, _ in _AFTER_TENS_SHORT)
_TEN_ACCENTED = ("mười",)  # 10, opening the tens
_TENS_ACCENTED = ("mươi",)  # × 10, after a digit
_HUNDRED_ACCENTED = ("trăm",)
_ZERO_TENS_ACCENTED = ("lẻ", "linh")
_SCALES_ACCENTED = {"nghìn": 1000, "ngàn": 1000, "triệu": 1_000_000}
_POINT_ACCENTED = ("phẩy",)

_ALL_ACCENTED = frozenset(
    [
        *_DIGITS_ACCENTED,
        *_AFTER_TENS_ACCENTED,
        *_TEN_ACCENTED,
        *_TENS_ACCENTED,
        *_HUNDRED_ACCENTED,
        *_ZERO_TENS_ACCENTED,
        *_SCALES_ACCENTED,
        *_POINT_ACCENTED,
    ]
)
_ALL_FOLDED = frozenset(_fold(w) for w in _ALL_ACCENTED)


_WORD_RE = re.compile(r"\w+")


@cache
def _folded(forms: tuple[str, ...]) -> frozenset[str]:
    """``forms`` as typed without accents."""
    return frozenset(_fold(w) for w in forms)


@cache
def _digits(extra: tuple[tuple[str, int], ...]) -> tuple[dict[str, int], dict[str, int]]:
    """The digit words with ``extra`` ones, by accented and by folded spelling."""
    accented = {**_DIGITS_ACCENTED, **dict(extra)}
    return accented, {_fold(w): v for w, v in accented.items()}


class _Reader:
    """Reads one number from ``words`` (each (folded, accented or None)) at ``i``."""

    def __init__(self, words: list[tuple[str, str | None]], joined: list[bool]) -> None:
        self.words = words
        # For each word, where its run of words ends: at the next punctuation mark (``joined``:
        # whether word i follows word i - 1 after spaces only).
        n = len(words)
        self.ends = [n] * n
        for k in range(n - 2, -1, -1):
            self.ends[k] = k + 1 if not joined[k + 1] else self.ends[k + 1]
        self.end = n  # the words of the number being read

    def at(self, i: int) -> None:
        """Read a number that starts at ``i`` (its words end at the next punctuation mark)."""
        self.end = self.ends[i]

    def _is(self, i: int, forms: tuple[str, ...]) -> bool:
        if i >= self.end:
            return False
        folded, accented = self.words[i]
        return folded in _folded(forms) if accented is None else accented in forms

    def _digit(self, i: int, extra: tuple[tuple[str, int], ...] = ()) -> int | None:
        if i >= self.end:
            return None
        folded, accented = self.words[i]
        by_accented, by_folded = _digits(extra)
        return by_folded.get(folded) if accented is None else by_accented.get(accented)

    def group(self, i: int) -> tuple[int, int, bool] | None:
        """(value below 1,000, words read, whether a multiplier was read) at ``i``."""
        start, value, multiplied = i, 0, False
        d = self._digit(i)
        if d is not None and self._is(i + 1, _HUNDRED_ACCENTED):
            value, i, multiplied = d * 100, i + 2, True
            if self._is(i, _ZERO_TENS_ACCENTED):
                unit = self._digit(i + 1)
                if unit is not None and unit > 0:
                    return value + unit, i + 2 - start, True
                return value, i - start, True
        if self._is(i, _TEN_ACCENTED):
            value, i, multiplied = value + 10, i + 1, True
            # after "mười": một … chín, five as "lăm" (not "năm": "mười năm" is ten years)
            unit = self._digit(i, _AFTER_TEN)
            if unit is not None and unit > 0 and not self._five_as_nam(i):
                value, i = value + unit, i + 1
            return value, i - start, multiplied
        d = self._digit(i)
        unit = self._digit(i + 1, _AFTER_TENS_SHORT) if self._spoken_tens(i + 1) else None
        if d is not None and d > 1 and unit is not None:
            # "chín lăm" (95), "hai mốt" (21): the tens said without "mươi", as people speak
            return value + d * 10 + unit, i + 2 - start, True
        if d is not None and d > 0 and self._is(i + 1, _TENS_ACCENTED):
            value, i, multiplied = value + d * 10, i + 2, True
            unit = self._digit(i, _AFTER_TENS)
            if unit is not None and unit > 0 and not self._five_as_nam(i):
                value, i = value + unit, i + 1
            return value, i - start, multiplied
        if multiplied:
            return value, i - start, True
        d = self._digit(i)
        if d is not None:
            return d, 1, False
        return None

    def _spoken_tens(self, i: int) -> bool:
        """Whether the word at ``i`` is "lăm", "nhăm" or "mốt" typed with its accents (a unit
        only said after tens: without accents "lam", "mot" are other words)."""
        if i >= self.end:
            return False
        accented = self.words[i][1]
        return accented is not None and accented in _AFTER_TENS_SHORT_FORMS

    def _five_as_nam(self, i: int) -> bool:
        """Whether the word at ``i`` is "năm" (a year, after a number: not its last digit)."""
        folded, accented = self.words[i]
        return folded == "nam" and (accented is None or accented == "năm")

    def number(self, i: int) -> tuple[str, int] | None:
        """(the number in digits, words read) at ``i``, or None when no number qualifies."""
        self.at(i)
        start, total, current, multiplied = i, 0, 0, False
        read_any = False
        while True:
            got = self.group(i)
            if got is None:
                break
            value, n, mult = got
            read_any, multiplied = True, multiplied or mult
            current, i = value, i + n
            scale = next(
                (v for w, v in _SCALES_ACCENTED.items() if self._is(i, (w,))), None
            )
            if scale is None:
                break
            total, current, i, multiplied = total + current * scale, 0, i + 1, True
        if not read_any:
            return None
        whole = total + current
        text = str(whole)
        if self._is(i, _POINT_ACCENTED):
            digits: list[str] = []
            k = i + 1
            while len(digits) < 3:
                d = self._digit(k, _AFTER_POINT)
                if d is None:
                    break
                digits.append(str(d))
                k += 1
            if digits:
                text, i, multiplied = f"{text},{''.join(digits)}", k, True
        if i - start < 2 or not multiplied:
            return None
        return text, i - start


# A criterion's code said aloud: "ba chấm bốn chấm một" (3.4.1), also with "phẩy" as voice
# typing hears the dot ("ba phẩy một phẩy một": no number has two commas); with one dot only
# after the word for criterion ("tiêu chí ba chấm hai"): "ba chấm bốn" alone may be a score.
_DIGIT_WORDS = "không|một|hai|ba|bốn|năm|sáu|bảy|bẩy|tám|chín"
_DIGIT_WORDS_FOLDED = "khong|mot|hai|ba|bon|nam|sau|bay|tam|chin"


def _code_re(digits: str, dot: str, criterion: str, score: str) -> re.Pattern[str]:
    """Three digit words joined by ``dot``, or two after ``criterion`` ("tiêu chí ") unless
    ``score`` follows ("tiêu chí hai phẩy năm điểm" is worth 2,5 points)."""
    d = rf"({digits})"
    return re.compile(
        rf"(?i)(?<!\w){d}\s+{dot}\s+{d}\s+{dot}\s+{d}(?!\w)"
        rf"|(?<={criterion}){d}\s+{dot}\s+{d}(?!\w)(?!\s+(?:{score})(?!\w))"
    )


_CODE_RE = _code_re(_DIGIT_WORDS, "(?:chấm|phẩy)", "tiêu chí ", "điểm|đ|phần trăm")
_CODE_FOLDED_RE = _code_re(_DIGIT_WORDS_FOLDED, "(?:cham|phay)", "tieu chi ", "diem|d|phan tram")
_CODE_DOTS = frozenset({"chấm", "cham", "phẩy", "phay"})


def _code(m: re.Match[str]) -> str:
    return ".".join(str(_digit_value(g)) for g in m.groups() if g)


def _digit_value(word: str) -> int:
    return _DIGITS_FOLDED[_fold(word)]


# The words without which nothing is read (a set look-up first: most messages have none).
_KEY_WORDS = frozenset(
    w
    for word in (
        *_TEN_ACCENTED,
        *_TENS_ACCENTED,
        *_HUNDRED_ACCENTED,
        *_SCALES_ACCENTED,
        *_POINT_ACCENTED,
        "chấm",
    )
    for w in (word, _fold(word))
)


_DIGIT_FORMS = frozenset(
    w for word in (*_DIGITS_ACCENTED, *_AFTER_TENS_ACCENTED) for w in (word, _fold(word))
)
_MULTIPLIER_FORMS = _KEY_WORDS - {"chấm", "cham"}
_AFTER_MULTIPLIER = (
    _DIGIT_FORMS | _MULTIPLIER_FORMS | {w for z in _ZERO_TENS_ACCENTED for w in (z, _fold(z))}
)


def spoken_numbers(text: str) -> str:
    """``text`` with its numbers said in words written in digits (see the module docstring)."""
    ws = _WORD_RE.findall(text.lower())
    if _KEY_WORDS.isdisjoint(ws) and _AFTER_TENS_SHORT_FORMS.isdisjoint(ws):
        return text
    pairs = list(pairwise(ws))
    if any(
        a in _DIGIT_FORMS and b in _CODE_DOTS and c in _DIGIT_FORMS
        for (a, b), c in zip(pairs, ws[2:], strict=False)
    ):
        text = (_CODE_FOLDED_RE if text.isascii() else _CODE_RE).sub(_code, text)
    # A multiplier next to a digit word or to another multiplier ("một trăm", "hai mươi",
    # "mười hai", "trăm lẻ", "không phẩy"), or tens said short ("chín lăm"): else no number is
    # said in words.
    if not any(
        (a in _MULTIPLIER_FORMS and b in _AFTER_MULTIPLIER)
        or (a in _DIGIT_FORMS and b in _MULTIPLIER_FORMS)
        or (a in _DIGIT_FORMS and b in _AFTER_TENS_SHORT_FORMS)
        for a, b in pairs
    ):
        return text
    accents = not text.isascii()
    matches = list(_WORD_RE.finditer(text))
    words: list[tuple[str, str | None]] = []
    joined: list[bool] = []
    for k, m in enumerate(matches):
        word = m.group(0)
        words.append((_fold(word), word.lower() if accents else None))
        joined.append(k > 0 and text[matches[k - 1].end() : m.start()].isspace())
    out: list[str] = []
    last = 0
    i = 0
    reader = _Reader(words, joined)
    while i < len(matches):
        if words[i][0] not in _ALL_FOLDED:
            i += 1
            continue
        got = reader.number(i)
        if got is None:
            i += 1
            continue
        digits, n = got
        if not accents and n == 2 and {words[i][0], words[i + 1][0]} & {"tram", "le"}:
            i += 1
            continue
        out.append(text[last : matches[i].start()])
        out.append(digits)
        last = matches[i + n - 1].end()
        i += n
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)
