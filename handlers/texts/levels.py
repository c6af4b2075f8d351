"""User-facing texts of levels and years (Vietnamese): choosing a level, the rollover."""

from __future__ import annotations

from html import escape

from criteria.schema import LEVEL_NAMES


def level_name(level: str) -> str:
    return LEVEL_NAMES.get(level, level)


def browsing_hint(level: str) -> str:
    return (
        f"<i>Đang xem bộ tiêu chí cấp {escape(level_name(level))}. "
        "Gõ /capdo để chọn cấp khác.</i>"
    )


def choose_level(current_level: str, set_title: str) -> str:
    return (
        f"Bạn đang hỏi đáp và xem tiêu chí theo bộ <b>{escape(set_title)}</b> "
        f"(cấp {escape(level_name(current_level))}).\n"
        "Chọn cấp đơn vị của bạn; bot sẽ ghi nhớ lựa chọn này:"
    )


def level_button(level: str, current: bool) -> str:
    mark = "✅ " if current else ""
    return f"{mark}Cấp {level_name(level)}"  # the set's title follows once chosen


def level_chosen(level: str, set_title: str) -> str:
    return (
        f"Đã chọn cấp {escape(level_name(level))}. Câu hỏi, /tieuchi và thẻ tiêu chí từ nay "
        f"theo bộ <b>{escape(set_title)}</b>."
    )


def unit_level(unit: str, level: str, set_title: str, year: int) -> str:
    return (
        f"Bạn thuộc <b>{escape(unit)}</b> (cấp {escape(level_name(level))}): bot dùng bộ "
        f"<b>{escape(set_title)}</b> cho năm đánh giá {year}. Cấp của đơn vị do quản trị viên "
        "thiết lập, không đổi được ở đây."
    )


UNIT_LEVEL_FIXED = "Bạn đã thuộc một đơn vị: bot dùng bộ tiêu chí theo cấp của đơn vị bạn."
ONLY_ONE_LEVEL = "Bot chỉ có bộ tiêu chí của một cấp nên không cần chọn cấp."
