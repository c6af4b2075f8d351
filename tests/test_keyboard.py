"""Ways of typing on phones that leave keys in the text: letters held down, Telex keys typed
with the input method off, phone onsets (f, w, z, j), words run together."""

from __future__ import annotations

import pytest

from knowledge.chat import read_message
from knowledge.search import SearchIndex
from knowledge.spelling import key_readings, syllable_splits
from knowledge.text import tokens, unhold


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("tieeu", "tieu"),  # tiêu: ee is ê
        ("chis", "chi"),  # chí: s is the acute tone
        ("hoof", "ho"),  # hồ
        ("sow", "so"),  # sơ
        ("dduwowcj", "duoc"),  # được
        ("nguowif", "nguoi"),  # người
        ("quyeets", "quyet"),  # quyết
        ("nhw", "nhu"),  # như: w alone is ư
        ("khongg", "khong"),  # a letter held down
    ],
)
def test_keys_left_in_a_word_are_dropped(typed: str, meant: str) -> None:
    sure, _ = key_readings(typed)
    assert sure[0] == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("fap", "phap"), ("wy", "quy"), ("zai", "giai"), ("jup", "giup"), ("kai", "cai")],
)
def test_phone_onsets_are_readings_to_confirm(typed: str, meant: str) -> None:
    sure, onset = key_readings(typed)
    assert not sure and meant in onset


def test_a_syllable_or_two_words_run_together_has_no_key_readings() -> None:
    # "xoong" is a word; in "hoso" the s opens the second word: it is no tone key.
    assert key_readings("xoong") == ((), ())
    assert key_readings("theo") == ((), ())
    assert "ho" not in key_readings("hoso")[0]


def test_words_run_together_split_into_syllables() -> None:
    assert ("tieu", "chi") in syllable_splits("tieuchi")
    assert ("dich", "vu", "cong") in syllable_splits("dichvucong")
    assert ("ko", "phai") in syllable_splits("kophai")  # chat shorthand counts as a word
    # Abbreviations and syllables are not split.
    assert syllable_splits("cchc") == ()
    assert syllable_splits("tieu") == ()


def test_letters_held_down_count_once_or_twice() -> None:
    assert unhold("khongggg") == "khongg"  # a consonant twice: search reads it further
    assert unhold("nhaaaa") == "nha"  # a vowel once
    assert unhold("ccchc") == "cchc"  # abbreviations double their consonants
    assert unhold("hồ sơ") == "hồ sơ"
    assert tokens("vậyyyy ạaaa") == ["vậy", "ạa"]


QUESTION = "tỷ lệ hồ sơ giải quyết đúng hạn tính thế nào"


@pytest.mark.parametrize(
    "typed",
    [
        "tyr leej hoof sow giair quyeets ddungs hanj tinhs theess naof",  # Telex, method off
        "tyle hoso giaiquyet dunghan tinh the nao",  # words run together
        "ty le ho so giai quyet dung hannnn tinh the naooo",  # letters held down
        "TY LE HO SO GIAI QUYET DUNG HAN TINH THE NAO",
        "ty le ho so giai wyet dung han tinh ntn z",  # phone onset w for qu
    ],
)
def test_a_question_typed_with_keys_left_in_finds_the_same_criteria(
    index: SearchIndex, typed: str
) -> None:
    plain = index.search(QUESTION)
    result = index.search(typed)
    assert result.decision != "none"
    assert {h.criterion_codes for h in result.results[:2]} == {
        h.criterion_codes for h in plain.results[:2]
    }


def test_two_slips_side_by_side_are_read_next_to_each_other(index: SearchIndex) -> None:
    # "tar" alone could be tà, tác, tra…; next to "kieem" read as kiem, it is tra.
    fixed = index._respell(read_message("kieem tar cchc cac xa thi cham the nao"))
    assert fixed is not None and "kiem tra" in fixed


def test_a_slip_is_read_as_a_word_of_the_lexicons_phrases(index: SearchIndex) -> None:
    # The index holds "minh chứng" as its canonical term only: "mih" is read as "minh" by
    # the pair the lexicon's phrase makes with "chứng".
    fixed = index._respell(read_message("mục sáng kiến thì nộp mih chứng gì ạ"))
    assert fixed is not None and "minh chứng" in fixed


def test_a_foreign_word_is_not_respelt_by_its_onset(index: SearchIndex) -> None:
    # "wifi" could read "qui" (w for qu), but no known pair confirms it.
    assert index._respell(read_message("wifi cua xa bi hong thi goi ai sua")) is None
    assert index.search("wifi cua xa bi hong thi goi ai sua").decision == "none"


def test_a_full_stop_without_a_space_still_ends_a_sentence() -> None:
    msg = read_message(
        "Chào mn, e ở p.Tư pháp huyện.Năm nay bên e nộp báo cáo trễ.Vậy tiêu chí đó bị trừ "
        "bao nhiêu điểm ạ?"
    )
    # The ask is the last sentence only; "p.Tư pháp" and numbers stay whole.
    assert msg.ask.startswith("tc đó bị trừ")
    assert "tư pháp" in msg.context and "trễ" in msg.context
    assert read_message("tỷ lệ 97.5% thì sao").ask == "tỷ lệ 97.5 phần trăm thì sao"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # A key next door gives f, j, w or z: read when a neighbour confirms it.
        ("tjeu chi cong khai tthc nop nhung gi", "tieu chi"),
        ("ke hozch kiem zoat tthc dat 70%", "ke hoach kiem soat"),
        # ... or another syllable: read when it makes a known pair ("din loi" is xin lỗi).
        ("mau phieu din loi dan lay o dau", "xin loi"),
    ],
)
def test_a_neighbouring_key_is_read_when_a_known_pair_confirms_it(
    index: SearchIndex, typed: str, meant: str
) -> None:
    fixed = index._respell(read_message(typed))
    assert fixed is not None and meant in fixed


def test_foreign_words_stay_foreign(index: SearchIndex) -> None:
    assert index._respell(read_message("flan va zoom la gi")) is None


def test_two_unknown_consonants_are_chat_shorthand_not_topic(index: SearchIndex) -> None:
    # "th" (thì), "nh" (nhưng), "hđ": no vowel, unknown here — like a one-letter word, they
    # neither choose candidates nor count as an unknown topic; "kh" (kế hoạch) is ours.
    _, q = index.read("bao cao quy nop tre th bi tru bao nhieu, nh kh van dung han")
    assert "th" not in q.credit and "nh" not in q.credit
    assert q.credit.get("kh") == 1.0


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        # VNI keys with the input method off: digits after the vowel.
        ("tie6u chi1 d9o7t5 hoa2n tha2nh", "tieu chi dot hoan thanh"),
        # VIQR marks.
        ("bao nhie^u die^m, ddu+o+`c ca'c", "bao nhieu diem, dduoc cac"),
        # Codes, document numbers, years and figures are no keys; nor is a bracket.
        ("tc3.4.1 nd61 iso9001 nam2021 97,5% UBND(huyen) KH+BC", None),
    ],
)
def test_vni_and_viqr_keys_are_dropped(typed: str, read: str | None) -> None:
    from knowledge.chat import _clean

    assert _clean(typed) == (read or typed)


def test_two_letters_with_a_slash_are_the_abbreviation() -> None:
    assert tokens("b/c h/s k/h q/d, a/b/c 1/2") == ["bc", "hs", "kh", "qd", "a", "b", "c", "1/2"]


@pytest.mark.parametrize(
    "question",
    [
        "cong chuc bi canh cao thi bao lau moi dc nang luong lai",
        "nhan vien mot cua dc huong phu cap bn 1 thang",
    ],
)
def test_an_off_topic_phrase_without_accents_is_itself_where_no_other_reading_fits(
    index: SearchIndex, question: str
) -> None:
    # "nang luong" could be năng lượng, "phu cap" phủ cấp: each word reads otherwise, but
    # nothing around them does, so they are what they say, as with accents.
    assert index.search(question).decision == "none"


@pytest.mark.parametrize(
    "question",
    [
        "vay tien do thuc hien ke hoach cchc cham the nao",  # vậy tiến độ, not vay tiền
        "ke hoach cchc co cai dat 90% thi dc may diem",  # cái đạt, not cài đặt
    ],
)
def test_an_off_topic_phrase_that_reads_otherwise_in_context_proves_nothing(
    index: SearchIndex, question: str
) -> None:
    assert index.search(question).decision != "none"


def test_a_phone_onset_comes_before_a_slip_and_reads_two_letter_words(index: SearchIndex) -> None:
    # "fong" could be a slip for long or dong; typed on purpose, f is ph: phòng.
    fixed = index._respell(read_message("truong fong noi vu bao fo truong fong vuot wy dinh"))
    assert fixed is not None
    assert "truong phong" in fixed and "pho truong" in fixed and "quy dinh" in fixed
