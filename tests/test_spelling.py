"""Vietnamese syllable shape and typo correction in search."""

from __future__ import annotations

import pytest

from knowledge.chat import read_message
from knowledge.search import SearchIndex
from knowledge.spelling import is_syllable


@pytest.mark.parametrize(
    "word",
    "theo nghiep quyet giai khong duoc truong nguoi huyen viec chuyen gi gia gieng quy quyen "
    "que qua quoc ke ky nghi nghieng uy oan khuyu ngoai thuong tuoi khoe thuy dieu".split(),
)
def test_real_syllables(word: str) -> None:
    assert is_syllable(word)


@pytest.mark.parametrize(
    "word",
    # Swapped, dropped or misplaced letters, and c/k, g/gh, ng/ngh spelt against the rules.
    "teho hein thnh nhgi ikem hpap xogn pahi cuha hnah phng tnih dnug ocng igao chng tken "
    "ngiep ca1 cchc ubnd kan ghat".split(),
)
def test_not_syllables(word: str) -> None:
    assert not is_syllable(word)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Kế hoạch thoe dõi thi hành pháp luật bên em ban hành trễ thì chấm sao", "2.4"),
        (
            "Tinh giản biên chế thì nộp kèm những quyết định gì để làm tài liệu kiểm chng ạ?",
            "4.2.2",
        ),
        ("kien nhgi cua kiem toan nha nuoc moi thuc hien 80%", "6.3"),
        (
            "TTHC thay đổi thì bao lâu pảhi công bố lại hệ thống quản lý chất lượng ISO?",
            "7.3.2",
        ),
    ],
)
def test_typos_are_read_as_the_words_meant(index: SearchIndex, query: str, code: str) -> None:
    result = index.search(query)
    assert result.decision != "none"
    assert code in result.results[0].criterion_codes


@pytest.mark.parametrize(
    ("slip", "meant", "prev", "nxt"),
    [("pap", "phap", "thi hanh", "luat"), ("gioa", "giao", "tinh", "ho so")],
)
def test_a_slip_that_is_still_a_syllable_is_fixed_by_a_known_word_pair(
    index: SearchIndex, slip: str, meant: str, prev: str, nxt: str
) -> None:
    # "pap" and "gioa" are syllables, but one left-out letter or one swap away they make a
    # word pair the index knows with a neighbour.
    fixed = index._respell(read_message(f"{prev} {slip} {nxt} cham the nao"))
    assert fixed is not None and f" {meant} " in f" {fixed} "
    # Typed with accents, a syllable is the word it spells.
    assert index._respell(read_message("ông bà để lại đất ở quê")) is None


def test_an_unknown_real_word_is_not_bent_into_a_known_one(index: SearchIndex) -> None:
    # "mưa" (rain) is a syllable one letter from words the index knows: without a word pair
    # to confirm it, it stays what it is, and the question stays out of scope.
    assert index.search("hôm nay trời mưa to quá mọi người ơi").decision == "none"


def test_an_off_topic_phrase_without_accents_that_also_reads_as_our_words_proves_nothing(
    index: SearchIndex,
) -> None:
    # "the dang" is "thẻ đảng" (off topic) but also "thể đăng" (có thể đăng tải): typed
    # without accents it does not turn the question away.
    result = index.search(
        "co the dang tai ket qua giai quyet ho so len cong thong tin dien tu khong"
    )
    assert result.decision != "none"
    # Typed with accents, the phrase is what it says.
    assert index.search("thẻ đảng bị mất thì làm lại thế nào").decision == "none"
    # A longer phrase is itself, with or without accents.
    longer = index.search("cach tinh thue thu nhap ca nhan khi co 2 nguoi phu thuoc")
    assert longer.decision == "none"


def test_question_words_without_accents_that_make_a_known_pair_are_words(
    index: SearchIndex,
) -> None:
    # "muon" is muốn (a question word) or muộn (late): next to "nop" it is nộp muộn.
    late = index.search("bao cao cchc quy nop muon 3 ngay thi tru bao nhieu")
    assert late.decision == "answer" and "1.2" in late.results[0].criterion_codes
    # With accents typed, "muốn" stays a question word.
    assert "muon" not in index.read("báo cáo cchc quý bên tôi nộp muốn sớm")[1].uniq


def test_counts_and_years_are_quantities_not_topic_but_document_numbers_are(
    index: SearchIndex,
) -> None:
    _, q = index.read("huyen co 3 xa nam 2019 chua ban hanh qd theo nd 61")
    assert q.counts.get("3") is False and q.counts.get("2019") is False
    assert q.counts.get("61") is True


def test_an_everyday_word_without_accents_that_makes_a_known_pair_counts(
    index: SearchIndex,
) -> None:
    # "anh" alone is a form of address (anh chị), but "phan anh" is phản ánh.
    _, q = index.read("dan ko gui phan anh gi thi sao")
    assert q.counts.get("anh") is True


def test_a_typo_inside_a_field_phrase_is_read_as_the_phrase(index: SearchIndex) -> None:
    # The index holds "kế hoạch" only as its canonical token "kh": the pair "ke hoach" is
    # known through the phrase table, so "hoahc" is hoạch, not hoặc.
    fixed = index._respell(read_message("han chot ban hanh ke hoahc cchc nam"))
    assert fixed is not None and "ke hoach" in fixed
