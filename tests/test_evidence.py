"""Typed evidence read before it is kept: references (number, date, kind), links, questions,
noise; explanations with a minimum length — pure, and at the service boundary."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.evidence import EvidenceRefused, check_explanation, read_typed


@pytest.mark.parametrize(
    ("text", "number", "issued", "doc_type"),
    [
        ("Kế hoạch 45/KH-UBND ngày 12/3/2021", "45/KH-UBND", date(2021, 3, 12), "Kế hoạch"),
        ("số 12/2021/QĐ-UBND ngày 05.01.2021", "12/2021/QĐ-UBND", date(2021, 1, 5), "Quyết định"),
        (
            "QĐ 1234/QĐ-UBND ngày 15 tháng 3 năm 2021",
            "1234/QĐ-UBND",
            date(2021, 3, 15),
            "Quyết định",
        ),
        ("1234/UBND-VP ngày 1-2-2021", "1234/UBND-VP", date(2021, 2, 1), "Công văn"),
        ("Báo cáo 12/BC-TP (chưa có ngày)", "12/BC-TP", None, "Báo cáo"),
        ("Ảnh chụp bảng niêm yết tại Bộ phận Một cửa huyện", None, None, None),
    ],
)
def test_references_are_read(
    text: str, number: str | None, issued: date | None, doc_type: str | None
) -> None:
    typed = read_typed(text)
    assert (typed.kind, typed.number, typed.issued, typed.doc_type) == (
        "text",
        number,
        issued,
        doc_type,
    )


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("https://vbpl.vn/a?b=1", "https://vbpl.vn/a?b=1"),
        ("www.hanoi.gov.vn", "https://www.hanoi.gov.vn"),
        ("http://cổngthôngtin.vn/x", "http://cổngthôngtin.vn/x"),
    ],
)
def test_links_are_validated(text: str, url: str) -> None:
    typed = read_typed(text)
    assert (typed.kind, typed.text) == ("link", url)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("danh mục có cần đóng dấu không?", "câu hỏi"),
        ("Cho em hỏi kế hoạch này nộp ở đâu", "câu hỏi"),
        ("abc", "quá ngắn"),
        ("7", "quá ngắn"),
        ("tài liệu đây", "quá ngắn"),
        ("Quyết định 12/QĐ-UBND ngày 30/02/2021", "không có thật"),
        ("https://", "link không hợp lệ"),
        ("https://a b.vn", "link không hợp lệ"),
        ("ftp://x.vn", "link không hợp lệ"),
        ("https://localhost:8080/x", "link không hợp lệ"),
        # A name before the host hides where the link goes; a right-to-left override makes
        # it read otherwise ("…/exe.png").
        ("https://vbpl.vn@other.example/x", "link không hợp lệ"),
        ("https://user:secret@vbpl.vn/x", "link không hợp lệ"),
        ("https://vbpl.vn/\u202egnp.exe", "link không hợp lệ"),
        ("https://vbpl.vn/a\u200bb", "link không hợp lệ"),
        # A year no document of the assessment has.
        ("Quyết định 12/QĐ-UBND ngày 12/3/0001", "không có thật"),
        ("Kế hoạch 45/KH-UBND ngày 12/3/2099", "không có thật"),
        ("Kế hoạch 45/KH-UBND ngày 12 tháng 3 năm 1800", "không có thật"),
        ("   ", "Chưa có nội dung"),
        ("x" * 2001, "quá dài"),
    ],
)
def test_noise_is_refused_with_a_hint(text: str, words: str) -> None:
    with pytest.raises(EvidenceRefused) as caught:
        read_typed(text)
    assert words in caught.value.user_message


@pytest.mark.parametrize("text", ["7", "ko có", "không có văn bản", " " * 30])
def test_explanation_too_short(text: str) -> None:
    with pytest.raises(EvidenceRefused, match="Giải trình quá ngắn"):
        check_explanation(text)
    assert check_explanation("  Năm 2021 không ban hành văn bản QPPL nào ") == (
        "Năm 2021 không ban hành văn bản QPPL nào"
    )
    # Word's line break pasted in (a vertical tab): a line break, as a spreadsheet can hold.
    assert check_explanation("Năm 2021 không ban hành\x0b văn bản QPPL nào\x00") == (
        "Năm 2021 không ban hành\n văn bản QPPL nào"
    )
