"""Vietnamese text handling: normalisation, folding, abbreviations and criterion codes."""

from __future__ import annotations

import pytest

from knowledge.text import (
    analyze,
    expand,
    find_codes,
    fold,
    has_diacritics,
    is_stopword,
    normalize,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Kế hoạch CCHC", "kế hoạch cchc"),
        ("  Tiêu   chí\t3.4.1 ?!", "tiêu chí 3.4.1"),
        ("TỶ LỆ HỒ SƠ", "tỷ lệ hồ sơ"),
        ("tỉ lệ", "tỷ lệ"),  # i/y spelling variants unified
        ("hòa giải, thủy lợi", "hoà giải thuỷ lợi"),  # old and new tone placement
        ("hoà giải thuỷ lợi", "hoà giải thuỷ lợi"),
        ("Ðiểm", "ðiểm"),  # a look-alike letter is not silently turned into đ
        ("NĐ 62/2020/NĐ-CP", "nđ 62/2020 nđ cp"),
        ("đạt 100% chỉ tiêu", "đạt 100 phần trăm chỉ tiêu"),
        ("0,25 điểm", "0,25 điểm"),
        ("(Phòng Nội vụ)", "phòng nội vụ"),
        # Chat shorthand: typed without accents, it stands for its words without accents
        # (accents typed are evidence the search relies on); with đ, for the accented word.
        ("ko dc ntn", "khong duoc nhu the nao"),
        ("ko đc", "khong được"),
        ("bn %", "bao nhieu phần trăm"),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_composes_decomposed_unicode() -> None:
    decomposed = "Tie\u0302u chi\u0301"  # "Tiêu chí" typed with combining marks
    assert normalize(decomposed) == "tiêu chí"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Đơn vị sự nghiệp", "Don vi su nghiep"),
        ("đường", "duong"),
        ("bán bạn bàn", "ban ban ban"),
        ("kế hoạch", "ke hoach"),
        ("abc 123", "abc 123"),
    ],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_has_diacritics() -> None:
    assert has_diacritics("kế hoạch")
    assert has_diacritics("đ")
    assert not has_diacritics("ke hoach")


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("cải cách hành chính", "cchc"),
        ("cai cach hanh chinh", "cchc"),
        ("CCHC", "cchc"),
        ("thủ tục hành chính", "tthc"),
        ("TTHC", "tthc"),
        ("văn bản quy phạm pháp luật", "qppl"),
        ("văn bản QPPL", "qppl"),
        ("VBQPPL", "qppl"),
        ("QPPL", "qppl"),
        ("cán bộ, công chức, viên chức", "cbcc vien chuc"),
        ("CBCCVC", "cbcc vien chuc"),
        ("cán bộ công chức", "cbcc"),
        ("tài liệu kiểm chứng", "tlkc"),
        ("dịch vụ công trực tuyến", "dvc truc tuyen"),
        ("DVCTT", "dvc truc tuyen"),
        ("dịch vụ công", "dvc"),
        ("phản ánh, kiến nghị", "pakn"),
        ("đơn vị sự nghiệp công lập", "dvsncl"),
        ("ĐVSNCL", "dvsncl"),
        ("ngân sách nhà nước", "nsnn"),
        ("kinh tế - xã hội", "ktxh"),
        ("KT-XH", "ktxh"),
        ("Hội đồng nhân dân", "hdnd"),
        ("HĐND", "hdnd"),
        ("Ủy ban nhân dân", "ubnd"),
        ("uỷ ban nhân dân", "ubnd"),
        ("công nghệ thông tin", "cntt"),
        ("bưu chính công ích", "bcci"),
        ("hệ thống quản lý chất lượng", "iso"),
        ("tiêu chí", "tc"),
        ("tieu chi", "tc"),
        ("kế hoạch", "kh"),
        ("KH", "kh"),
        ("báo cáo", "bc"),
        ("quyết định", "qd"),
        ("QĐ", "qd"),
        ("nghị định", "nd"),
        ("thông tư", "tt"),
        ("bộ phận một cửa", "bo phan motcua"),
        ("BPMC", "bo phan motcua"),
        ("một cửa", "motcua"),
        ("cải cách hành chánh", "cchc"),  # southern spelling
        ("theo dõi tình hình thi hành pháp luật", "theo doi thpl"),  # the legal name
        ("theo dõi việc thực thi luật", "theo doi viec thpl"),  # the everyday word
        ("công bố tiêu chuẩn i sô", "cong bo tieu chuan iso"),  # as voice typing writes ISO
    ],
)
def test_abbreviations_meet_their_spelled_out_form(raw: str, folded: str) -> None:
    assert analyze(raw).folded_text == folded


def test_abbreviation_table_works_inside_sentences_both_ways() -> None:
    long = analyze("Kế hoạch cải cách hành chính năm 2021 ban hành chậm")
    short = analyze("KH CCHC nam 2021 ban hanh cham")
    assert long.folded == short.folded == ("kh", "cchc", "nam", "2021", "ban", "hanh", "cham")


def test_longest_phrase_wins() -> None:
    assert analyze("cán bộ công chức viên chức").folded == ("cbcc", "vien", "chuc")
    assert analyze("bộ phận một cửa").folded == ("bo", "phan", "motcua")
    assert analyze("Bộ phận một cửa").accented == ("bộ", "phận", "motcua")


def test_accented_form_stays_aligned_with_the_folded_form() -> None:
    an = analyze("Bán hồ sơ CCHC")
    assert an.folded == ("ban", "hs", "cchc")
    assert an.accented == ("bán", "hs", "cchc")
    assert an.accents
    assert not analyze("ban ho so").accents


def test_expand_spells_abbreviations_out() -> None:
    assert expand("KH CCHC năm") == "kế hoạch cải cách hành chính năm"


def test_stopwords_respect_typed_accents() -> None:
    assert is_stopword("hon", "hơn")
    assert is_stopword("hon", "hon")  # untyped accents: the common word
    assert not is_stopword("hon", "hôn")  # "kết hôn" keeps its topic word
    assert not is_stopword("cua", "cửa")
    assert analyze("kết hôn").content == ("ket", "hon")
    assert analyze("có được không").content == ()


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("tiêu chí 3.4.1", ["3.4.1"]),
        ("Tiêu chí 7.2.2 chấm thế nào?", ["7.2.2"]),
        ("tieu chi 3.4.1", ["3.4.1"]),
        ("TIÊU CHÍ 3.4", ["3.4"]),
        ("tc 3.4", ["3.4"]),
        ("TC7.2", ["7.2"]),
        ("tc7.2.1", ["7.2.1"]),
        ("tiêu chí số 5.1", ["5.1"]),
        ("chỉ tiêu 8.3.1", ["8.3.1"]),
        ("mục 3.4", ["3.4"]),
        ("ý 4.3 tính sao", ["4.3"]),  # a criterion's item, as officers call it
        ("y 7.1 co cham khong", ["7.1"]),
        ("tctp 3.1 làm thế nào", ["3.1"]),
        ("lĩnh vực 3", ["3"]),
        ("tiêu chí 5 chấm thế nào", ["5"]),  # an area, nothing counted after it
        ("lĩnh vực 4 phòng nào chấm", ["4"]),  # an area and its question, not a count
        ("tiêu chí 3 hồ sơ trễ hạn tính sao", ["3"]),
        ("chỉ tiêu 6 tỷ lệ giải ngân", ["6"]),  # "tỷ lệ" is no amount of money
        ("3.4.1", ["3.4.1"]),
        ("6.5", ["6.5"]),  # a lone two-part code is the whole question
        ("hồ sơ ở 3.4.1 trễ hạn", ["3.4.1"]),
        ("so sánh tc 3.4.1 và tc 3.4.2", ["3.4.1", "3.4.2"]),
        ("tc 3.4.1, tiêu chí 3.4.1", ["3.4.1"]),
        ("Tiêu chí 2.1 (không phát sinh)", ["2.1"]),
        ("8.2 có phải tự chấm không", ["8.2"]),  # a two-part code opening the question
        ("3.4 tính sao", ["3.4"]),
        ("6.4 năm nay huyện không bị kết luận gì", ["6.4"]),  # "năm nay": this year, no unit
        # Other ways of writing a code after a word that names one.
        ("tc 3-4-1 tính sao", ["3.4.1"]),
        ("tiêu chí 3,4,1 chấm sao", ["3.4.1"]),
        ("tiêu chí 3.4 .1 tính sao", ["3.4.1"]),
        ("tc 3 . 4 . 1", ["3.4.1"]),
        ("tc 3_4_1", ["3.4.1"]),
        ("tiêu chí 3/4/1", ["3.4.1"]),
        ("tc 3 4 1 ai chấm", ["3.4.1"]),
        ("tc 341 chấm sao", ["3.4.1"]),
        ("mục III.4.1 chấm thế nào", ["3.4.1"]),
        ("lĩnh vực III có mấy tiêu chí", ["3"]),
        ("tiêu chí thành phần 2 của 3.4", ["3.4.2"]),
        ("tctp 2 của tiêu chí 3.4 tính sao", ["3.4.2"]),
        ("ý 1 mục 7.2", ["7.2.1"]),
        ("III.4.1 chấm sao", ["3.4.1"]),
        ("phạm vi. 3.4.1 thì sao", ["3.4.1"]),
    ],
)
def test_find_codes(text: str, codes: list[str]) -> None:
    assert find_codes(text) == codes


@pytest.mark.parametrize(
    "text",
    [
        "tỷ lệ 95.5% hồ sơ",  # a decimal, not a code
        "đạt 2.5 điểm",
        "ngày 15.11.2021",
        "NĐ 62/2020",
        "0,25 điểm",
        "DVC mức 3",  # folded "mức" is "muc" too: a one-part number after it is no code
        "ý 3 là gì",  # the third point of a list, not area 3
        "y tế 2.5 điểm",
        "tc 90%",
        "kế hoạch năm 2021",
        "2.5 điểm là tối đa à",  # a leading decimal followed by a unit
        "97.5% hồ sơ đúng hạn",
        "1.5 tỷ đồng giải ngân",
        "1.5 năm mới làm xong",  # a year and a half
        "tinh giản 8 người trên chỉ tiêu 10 người",  # a quota of ten, not area 10
        "chỉ tiêu 5% hồ sơ trực tuyến",
        "chi tieu 4 bien che nam nay",
        "vượt chỉ tiêu 5/4 người",  # a fraction after "chỉ tiêu"
        "vượt 17 chỉ tiêu; 2 chỉ tiêu gần đạt",  # two counts, a sentence apart
        "chỉ tiêu 2,5 tỷ",  # a decimal comma
        "tc 3,5 điểm",
        "mức 3 4 5 điểm",  # numbers split by spaces are a code only after "tiêu chí"
        "chỉ tiêu 112 người",  # digits run together after "chỉ tiêu": a quota
        "chỉ tiêu 80 lượt. Đến nay cử 60 lượt",  # no set has area 80: a quota
        "chỉ tiêu 5 lượt cán bộ",  # what a quota counts
        "tc 341 người",
        "nội dung 3 trong 2.5 điểm",  # a score, not an item of a criterion
        "thuộc phạm vi. 3 hồ sơ trễ",  # "vi" ending a word, not a Roman six
    ],
)
def test_find_codes_ignores_numbers_that_are_not_codes(text: str) -> None:
    assert find_codes(text) == []


def test_chat_shorthand_of_officers() -> None:
    # "cho e hỏi", "ti le" typed without accents: the pronoun is no topic, "ti" is "tỷ".
    assert analyze("cho e hỏi ti le").content == ("hoi", "ty", "le")
    assert analyze("cho em hỏi chút").content == ("hoi",)
    # "ảnh" (a photo) is a topic word, not a pronoun.
    assert "anh" in analyze("ảnh chụp có được làm TLKC").content


def test_southern_speech_reads_as_its_words() -> None:
    # "tính vô" is "tính vào" (an assessment phrase), "hông/hổng/hong" is "không", "dzậy" is
    # "vậy", "tui" is "tôi".
    assert analyze("tính vô phần này được hông").folded == (
        "tinh", "vao", "phan", "nay", "duoc", "khong"
    )
    assert analyze("vay co dung quy dinh hong").folded[-1] == "khong"
    assert analyze("tui hổng biết dzậy").folded == ("toi", "khong", "biet", "vay")


def test_has_words() -> None:
    from knowledge.text import has_words

    for text in ["tc 3.4.1", "3.4.1", "  6.5 ", "hỏi", "e", "TTHC?"]:
        assert has_words(text), text
    for text in ["", "👍", "?!", "12345", "\u200b", "\u200b\ufeff", "10/10", "3.4.1.5.6"]:
        assert not has_words(text), text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # "nhiêu" alone is chat shorthand for "bao nhiêu"; after "bao" it ends that phrase.
        ("trễ 1 hạn mất bao nhiêu điểm", "trễ 1 hạn mất bao nhiêu điểm"),
        ("Bao nhiêu?", "bao nhiêu"),
        ("bao nhiêu, bao nhiêu", "bao nhiêu bao nhiêu"),
        ("được nhiêu điểm", "được bao nhiêu điểm"),
        ("bao bn đ", "bao nhieu đ"),
        ("tính như thế ntn", "tính như thế nao"),
        ("trừ bn", "trừ bao nhieu"),
    ],
)
def test_shorthand_completing_a_begun_phrase_is_read_once(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_bao_nhieu_reads_the_same_with_and_without_accents() -> None:
    assert analyze("chấm bao nhiêu điểm").folded == analyze("cham bao nhieu diem").folded
    assert analyze("chấm bao nhiêu điểm").folded == analyze("chấm bn điểm").folded


def test_hai_long_keeps_both_words() -> None:
    # "lòng" is no question word: "hài lòng" (satisfaction) is a topic of the criteria.
    assert analyze("mức độ hài lòng của người dân").content[-4:] == ("hai", "long", "nguoi", "dan")
    assert "long" in analyze("muc do hai long").content


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("TN&TKQ", "TN trả kết quả"),
        ("pct xã bị kỷ luật", "phó chủ tịch xã bị kỷ luật"),
        ("ccvc của huyện", "công chức viên chức của huyện"),
        ("đang học đh tại chức", "đang học đại học tại chức"),
        ("trung tâm hcc", "trung tâm hành chính công"),
        ("có gcn iso chưa", "có giấy chứng nhận iso chưa"),
    ],
)
def test_office_shorthand_reads_as_its_words(typed: str, words: str) -> None:
    assert analyze(typed).folded == analyze(words).folded


def test_shorthand_no_syllable_spells_is_read_with_a_stray_tone_mark() -> None:
    # "nvụ", "bcáo", "tgian": a tone mark slipped onto shorthand that no syllable spells.
    assert analyze("40 nvụ xong 35").folded == ("40", "nhiem", "vu", "xong", "35")
    assert analyze("bcáo quý").folded[:1] == ("bc",)
    # A real syllable with its own marks stays itself ("nhịu" is a word, "ngũ" too).
    assert analyze("nói nhịu").folded == ("noi", "nhiu")


def test_numbers_listed_after_a_code_word_are_not_joined_into_a_code() -> None:
    # "1, 2, 3" is a list (spaces after the commas); "3,4,1" typed tight is a code.
    assert "1.2.3" not in find_codes("các chỉ tiêu 1, 2, 3 của nghị quyết")
    assert find_codes("tiêu chí 3,4,1") == ["3.4.1"]
