"""User-facing texts of the browse journey (Vietnamese)."""

from __future__ import annotations

from html import escape

from criteria.schema import level_name, node_label

BTN_PREV = "◀"
BTN_NEXT = "▶"
BTN_BACK = "⬅️ Quay lại"
BTN_TOP = "📚 Danh sách lĩnh vực"
BTN_ASK_NODE = "❓ Câu hỏi thường gặp"  # under the card, which names the level


def btn_back_to_card(code: str) -> str:
    return f"⬅️ Về {node_label(code)}"


UNKNOWN_CODE = "Không tìm thấy mã này trong bộ tiêu chí đang dùng. Gõ /tieuchi để xem lại."
BAD_PAGE = "Trang này không tồn tại. Gõ /tieuchi để xem lại danh sách."
TOO_LONG_CUT = "\n…"


def root(set_title: str, total: str, areas: int) -> str:
    return (
        f"📚 <b>{escape(set_title)}</b>\n"
        f"Tổng điểm tối đa: <b>{escape(total)}</b> · {areas} lĩnh vực.\n\n"
        "Chọn một lĩnh vực để xem các tiêu chí và tiêu chí thành phần, hoặc gõ mã "
        "(ví dụ «tc 3.4.1»)."
    )


def page_label(page: int, pages: int) -> str:
    return f"Trang {page + 1}/{pages}"


def child_button(code: str, title: str, max_points: str) -> str:
    return f"{code}. {title} ({max_points} đ)"


def entries_header(code: str, title: str, count: int) -> str:
    head = f"❓ <b>Câu hỏi thường gặp về {node_label(escape(code))}</b>: {escape(title)}"
    if count == 0:
        return (
            f"{head}\n\nChưa có câu hỏi nào được soạn sẵn cho {level_name(code)} này. "
            "Bạn cứ gõ câu hỏi của mình — nếu chưa có câu trả lời, có thể gửi lên Sở."
        )
    return f"{head}\n\nCó {count} câu hỏi. Chọn một câu để xem câu trả lời:"


def unknown_code_typed(code: str) -> str:
    return (
        f"Không có mã «{escape(code)}» trong bộ tiêu chí đang dùng. "
        "Gõ /tieuchi để xem danh sách lĩnh vực."
    )
