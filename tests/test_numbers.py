"""Numbers and codes said aloud (voice typing) read as digits (knowledge/numbers.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.numbers import spoken_numbers


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("huyện có một trăm hai mươi thủ tục", "huyện có 120 thủ tục"),
        ("chỉ bốn mươi hai thủ tục có hồ sơ", "chỉ 42 thủ tục có hồ sơ"),
        ("tỉ lệ ba mươi lăm phần trăm", "tỉ lệ 35 phần trăm"),
        ("đạt chín mươi bảy phẩy sáu phần trăm", "đạt 97,6 phần trăm"),
        ("hai mươi mốt xã, hai mươi tư phòng", "21 xã, 24 phòng"),
        ("năm hai nghìn không trăm hai mươi mốt", "năm 2021"),
        ("ngày mười lăm tháng mười hai", "ngày 15 tháng 12"),
        ("bốn nghìn tám trăm mười hai hồ sơ", "4812 hồ sơ"),
        ("một trăm lẻ năm hồ sơ", "105 hồ sơ"),
        ("được không phẩy năm điểm", "được 0,5 điểm"),
        # typed without accents
        ("mot tram hai muoi thu tuc", "120 thu tuc"),
        ("ba muoi lam phan tram", "35 phan tram"),
        # a criterion's code said aloud
        ("tiêu chí ba chấm bốn chấm một tính sao", "tiêu chí 3.4.1 tính sao"),
        ("tiêu chí ba chấm hai", "tiêu chí 3.2"),
        ("tieu chi bay cham hai cham bon la gi", "tieu chi 7.2.4 la gi"),
        # ... with the dot heard as "phẩy" (no number has two commas)
        ("ba phẩy một phẩy một ký tháng ba", "3.1.1 ký tháng ba"),
        ("tiêu chí ba phẩy sáu được mấy điểm", "tiêu chí 3.6 được mấy điểm"),
        ("tieu chi ba phay bon phay mot", "tieu chi 3.4.1"),
        # tens said short, as people speak: "chín lăm" is 95, "hai mốt" 21
        ("làm tròn lên chín lăm phần trăm", "làm tròn lên 95 phần trăm"),
        ("có hai mốt hồ sơ trễ", "có 21 hồ sơ trễ"),
        ("một trăm hai mốt hồ sơ", "121 hồ sơ"),  # after the hundreds too
        ("ba trăm chín lăm thủ tục", "395 thủ tục"),
        ("tỷ lệ ba phẩy năm", "tỷ lệ 3,5"),  # one comma: a number, not a code
        ("tiêu chí hai phẩy năm điểm", "tiêu chí 2,5 điểm"),  # what it is worth, not code 2.5
    ],
)
def test_numbers_said_in_words_are_written_in_digits(said: str, written: str) -> None:
    assert spoken_numbers(said) == written


@pytest.mark.parametrize(
    "text",
    [
        "bộ phận một cửa",  # one word: "một" is part of a name
        "mức độ ba bốn",  # two numbers, no multiplier
        "mười năm công tác",  # "mười năm": ten years ("mười lăm" is fifteen)
        "hai tram y te",  # without accents: two health stations, not 200
        "huyện được ba chấm điểm",  # "chấm" is scoring here
        "ba chấm bốn",  # one dot and no "tiêu chí": not a code
        "có không",
        "chin lam phan tram",  # without accents "lam" is also "làm"
        "nộp ngày mốt",  # "mốt" after no digit: the day after tomorrow
        "một lăm",  # "mười lăm" is fifteen; ten is never said "một"
    ],
)
def test_words_that_are_not_a_number_stay(text: str) -> None:
    assert spoken_numbers(text) == text


def test_twenty_years_keeps_its_year() -> None:
    # Five after "mươi" is "lăm": "năm" after it is the year.
    assert spoken_numbers("hai mươi năm công tác") == "20 năm công tác"
    # A punctuation mark ends a number.
    assert spoken_numbers("sáu trăm, hai mươi") == "600, 20"



_NUMBER_WORDS = frozenset(
    "một mốt hai ba bốn tư năm lăm nhăm sáu bảy bẩy tám chín không mười mươi trăm lẻ linh "
    "nghìn ngàn triệu phẩy chấm mot muoi tram nghin trieu phay cham".split()
)
_OTHER_WORDS = "tiêu chí tieu chi hồ sơ điểm phần trăm 3.4.1 97,6 %".split()


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(_NUMBER_WORDS) + _OTHER_WORDS), max_size=40),
    st.sampled_from([" ", ", ", "  ", ". "]),
)
def test_any_run_of_number_words_is_read_without_error(words: list[str], sep: str) -> None:
    text = sep.join(words)
    out = spoken_numbers(text)
    # Only number words become digits: every other word is kept, in its order, and nothing
    # is added.
    def others(t: str) -> list[str]:
        return [w for w in t.split() if w.strip(",.") not in _NUMBER_WORDS and not _has_digit(w)]

    assert others(out) == others(text)
    assert len(out.split()) <= len(text.split())
