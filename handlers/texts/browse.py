"""User-facing texts of the browse journey (Vietnamese)."""

from __future__ import annotations

from html import escape

BTN_PREV = "◀"
BTN_NEXT = "▶"
BTN_BACK = "⬅️ Quay lại"
BTN_TOP = "📚 Danh sách lĩnh vực"
BTN_ASK_NODE = "❓ Hỏi về tiêu chí này"
BTN_BACK_TO_CARD = "⬅️ Về thẻ tiêu chí"

UNKNOWN_CODE = "Không tìm thấy tiêu chí này trong bộ tiêu chí đang dùng. Gõ /tieuchi để xem lại."
BAD_PAGE = "Trang này không tồn tại. Gõ /tieuchi để xem lại danh sách."
TOO_LONG_CUT = "\n…"


def root(set_title: str, total: str, areas: int) -> str:
    return (
        f"📚 <b>{escape(set_title)}</b>\n"
        f"Tổng điểm tối đa: <b>{escape(total)}</b> · {areas} lĩnh vực.\n\n"
        "Chọn một lĩnh vực để xem các tiêu chí, hoặc gõ mã tiêu chí (ví dụ «tc 3.4.1»)."
    )


def page_label(page: int, pages: int) -> str:
    return f"Trang {page + 1}/{pages}"


def child_button(code: str, title: str, max_points: str) -> str:
    return f"{code}. {title} ({max_points} đ)"


def entries_header(code: str, title: str, count: int) -> str:
    head = f"❓ <b>Câu hỏi thường gặp về tiêu chí {escape(code)}</b>: {escape(title)}"
    if count == 0:
        return (
            f"{head}\n\nChưa có câu hỏi nào được soạn sẵn cho tiêu chí này. "
            "Bạn cứ gõ câu hỏi của mình — nếu chưa có câu trả lời, có thể gửi lên Sở."
        )
    return f"{head}\n\nCó {count} câu hỏi. Chọn một câu để xem câu trả lời:"


def unknown_code_typed(code: str) -> str:
    return (
        f"Không có tiêu chí «{escape(code)}» trong bộ tiêu chí đang dùng. "
        "Gõ /tieuchi để xem danh sách lĩnh vực."
    )
