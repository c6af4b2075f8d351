"""What an officer types as evidence (tài liệu kiểm chứng), read before it is kept.

Pure functions, no database: a typed text is a **link** (validated: http(s), a real host name),
a **document reference** (its number such as ``45/KH-UBND`` and its date, checked to exist, are
read out for a preview the officer confirms), or a **description** long enough to mean
something. A question typed at the evidence step, a typo ("abc") or an impossible date is
refused with a Vietnamese hint saying what to send instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from bot.db.models import printable
from bot.errors import CchcError

MAX_TEXT = 2000
# A description without a document number must say at least this much.
MIN_DESCRIPTION = 20
MIN_DESCRIPTION_WORDS = 4
# A written explanation (giải trình) instead of evidence: a reason, not "7" or "ko có".
MIN_EXPLANATION = 20
MIN_EXPLANATION_WORDS = 4

LINK = "link"
TEXT = "text"


class EvidenceRefused(CchcError):
    """Typed evidence that cannot be kept; ``user_message`` says why and what to send."""


@dataclass(frozen=True, slots=True)
class TypedEvidence:
    """A typed evidence item as understood: what to store, and what was read from it."""

    kind: str  # "link" or "text"
    text: str
    number: str | None = None  # "45/KH-UBND"
    issued: date | None = None
    doc_type: str | None = None  # "Kế hoạch", "Quyết định", …
    host: str | None = None  # of a link


# --- links -----------------------------------------------------------------------------------

_LINK_START = re.compile(r"^([a-z][a-z0-9+.-]*://|www\.)", re.IGNORECASE)
_HOST = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _link(text: str) -> TypedEvidence:
    url = text if "://" in text else "https://" + text
    bad = EvidenceRefused(
        "Đường link không hợp lệ. Hãy gửi đủ địa chỉ, ví dụ "
        "https://vbpl.vn/huyen-a/van-ban-123 (không có dấu cách)."
    )
    if any(c.isspace() or unicodedata.category(c) == "Cf" for c in url) or len(url) > MAX_TEXT:
        # (Cf: invisible format characters, a right-to-left override among them: the link
        # would read otherwise than it goes, ".../‮gnp.exe" shown as ".../exe.png")
        raise bad
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
    except (ValueError, UnicodeError):
        raise bad from None
    if parts.scheme.lower() not in ("http", "https") or not _HOST.match(host):
        raise bad
    if "@" in parts.netloc:
        # A name (and password) before the host: "https://vbpl.vn@other.example/x" goes to
        # other.example; an evidence link never needs one, and a password is not kept.
        raise bad
    return TypedEvidence(kind=LINK, text=url, host=host)


# --- document references ---------------------------------------------------------------------

# "45/KH-UBND", "12/2021/QĐ-UBND", "1234/UBND-VP", "5/UBND"; optionally after "số".
_NUMBER = re.compile(
    r"(?:(?<=\s)|^)(?:số\s*)?(\d{1,6}(?:/\d{4})?/[A-ZĐ][A-ZĐ0-9]*(?:[-–][A-ZĐ0-9]+)*)",
    re.IGNORECASE,
)
_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)")
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_DOC_TYPES = (
    "Quyết định",
    "Kế hoạch",
    "Công văn",
    "Báo cáo",
    "Thông báo",
    "Chỉ thị",
    "Nghị quyết",
    "Tờ trình",
    "Biên bản",
    "Danh mục",
    "Hướng dẫn",
    "Quy chế",
    "Chương trình",
    "Văn bản",
)


def _nfc(text: str) -> str:
    """``text`` composed (NFC) and without control characters (:func:`printable`)."""
    return printable(unicodedata.normalize("NFC", text))


# A document's year: from the state's founding to next year (a report dated early next year
# on this year's work); outside, a typing slip ("12/3/0201", "12/3/2099").
FIRST_YEAR = 1945


def _date(text: str) -> tuple[date | None, bool]:
    """(the document's date, whether a date-looking figure was there at all)."""
    found = _DATE_WORDS.search(text) or _DATE.search(text.replace(_number_text(text) or "", " "))
    if found is None:
        return None, False
    day, month, year = (int(g) for g in found.groups())
    if not FIRST_YEAR <= year <= datetime.now(UTC).year + 1:
        return None, True
    try:
        return date(year, month, day), True
    except ValueError:
        return None, True


def _number_text(text: str) -> str | None:
    found = _NUMBER.search(text)
    return found.group(1) if found else None


# The kind of document its number's symbol names: 45/KH-UBND is a Kế hoạch.
_SYMBOLS = {
    "QĐ": "Quyết định",
    "KH": "Kế hoạch",
    "BC": "Báo cáo",
    "TB": "Thông báo",
    "CT": "Chỉ thị",
    "NQ": "Nghị quyết",
    "TTR": "Tờ trình",
    "BB": "Biên bản",
    "DM": "Danh mục",
    "HD": "Hướng dẫn",
    "QC": "Quy chế",
    "CTR": "Chương trình",
}


def _doc_type(text: str, number: str | None) -> str | None:
    folded = text.casefold()
    for name in _DOC_TYPES:
        if name.casefold() in folded:
            return name
    if number:
        symbol = re.split(r"[-–]", number.rsplit("/", 1)[-1])[0].upper()
        if symbol in _SYMBOLS:
            return _SYMBOLS[symbol]
        if symbol == "UBND":  # "1234/UBND-VP": a công văn by the numbering convention
            return "Công văn"
    return None


# --- questions and noise ---------------------------------------------------------------------

_QUESTION_WORDS = (
    "có cần",
    "có phải",
    "có được",
    "được không",
    "hay không",
    "không ạ",
    "thế nào",
    "như nào",
    "làm sao",
    "bao nhiêu",
    "ở đâu",
    "là gì",
    "tại sao",
    "vì sao",
    "khi nào",
    "cho hỏi",
    "cho em hỏi",
    "hỏi chút",
    "có bắt buộc",
)


def looks_like_question(text: str) -> bool:
    folded = _nfc(text).casefold().strip()
    return folded.endswith("?") or any(w in folded for w in _QUESTION_WORDS)


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"\s+", text.strip()) if any(c.isalnum() for c in w)]


def read_typed(text: str) -> TypedEvidence:
    """What a typed evidence text is; ``EvidenceRefused`` (with a hint) when it is none."""
    cleaned = _nfc(text).strip()
    if not cleaned:
        raise EvidenceRefused(
            "Chưa có nội dung. Hãy gửi số, ngày văn bản, một tệp hoặc đường link."
        )
    if len(cleaned) > MAX_TEXT:
        raise EvidenceRefused("Nội dung quá dài (tối đa 2000 ký tự). Hãy viết gọn lại.")
    if _LINK_START.match(cleaned):
        return _link(cleaned)
    if looks_like_question(cleaned):
        raise EvidenceRefused(
            "Đây có vẻ là một câu hỏi, không phải tài liệu kiểm chứng nên tôi chưa lưu. "
            "Muốn hỏi, bấm «❓ Hỏi». Ở bước này hãy gửi số, ngày văn bản (ví dụ "
            "«Kế hoạch 45/KH-UBND ngày 12/3/2021»), một tệp hoặc một đường link."
        )
    number = _number_text(cleaned)
    issued, dated = _date(cleaned)
    if dated and issued is None:
        raise EvidenceRefused(
            "Ngày văn bản không có thật (ví dụ 31/02, hay năm quá xa). Hãy kiểm tra lại ngày, "
            "dạng ngày/tháng/năm."
        )
    if number is None and (
        len(cleaned) < MIN_DESCRIPTION or len(_words(cleaned)) < MIN_DESCRIPTION_WORDS
    ):
        raise EvidenceRefused(
            "Nội dung quá ngắn, chưa rõ là văn bản nào. Hãy gửi số, ngày văn bản (ví dụ "
            "«Kế hoạch 45/KH-UBND ngày 12/3/2021»), một tệp, một đường link, hoặc mô tả rõ "
            f"(ít nhất {MIN_DESCRIPTION} ký tự)."
        )
    return TypedEvidence(
        kind=TEXT, text=cleaned, number=number, issued=issued, doc_type=_doc_type(cleaned, number)
    )


def check_explanation(text: str) -> str:
    """A written explanation (giải trình), cleaned; refused when it says nothing."""
    cleaned = _nfc(text).strip()
    if len(cleaned) > MAX_TEXT:
        raise EvidenceRefused("Nội dung quá dài (tối đa 2000 ký tự). Hãy viết gọn lại.")
    if len(cleaned) < MIN_EXPLANATION or len(_words(cleaned)) < MIN_EXPLANATION_WORDS:
        raise EvidenceRefused(
            "Giải trình quá ngắn. Hãy viết rõ vì sao không có tài liệu kiểm chứng (ít nhất "
            f"{MIN_EXPLANATION} ký tự), ví dụ «Năm 2021 không ban hành văn bản QPPL nào»."
        )
    return cleaned
