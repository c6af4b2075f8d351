"""User-facing texts of the deadlines journey (Vietnamese)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from typing import Protocol

from criteria.calendar import Deadline, days_left, format_date


class Work(Protocol):
    """What a department has left: unscored criteria and criteria missing evidence."""

    @property
    def unscored(self) -> Sequence[str]: ...

    @property
    def missing_evidence(self) -> Sequence[str]: ...


BTN_SCORE = "📝 Chấm điểm ngay"
BTN_EDIT = "✏️ Sửa lịch của đơn vị"
BTN_ADD = "➕ Thêm mốc mới"
BTN_CHANGE_DATE = "📅 Đổi ngày"
BTN_REMOVE = "🗑 Xóa mốc"
BTN_CONFIRM_REMOVE = "✅ Xóa"
BTN_KEEP = "↩️ Không xóa"

CALENDAR_EMPTY = "Bộ tiêu chí đang dùng chưa có lịch thời hạn nào."
GUEST_HINT = "<i>Cán bộ được mời sẽ thấy thêm phần việc còn lại của phòng mình.</i>"
EDIT_NEEDS_UNIT = "Tài khoản của bạn chưa gắn với đơn vị nào nên không thể sửa lịch."
EDIT_CHOOSE = "✏️ <b>Sửa lịch của đơn vị</b>\nChọn mốc cần sửa, hoặc thêm mốc mới:"
ASK_TITLE = "Gõ tên mốc mới (ví dụ: «Nộp báo cáo tự đánh giá cho Phòng Nội vụ»):"
ASK_END_DATE = (
    "Gõ hạn chót dạng ngày/tháng/năm, ví dụ <code>15/11/2021</code>, hoặc cả khoảng thời gian "
    "<code>05/11/2021 - 15/11/2021</code>:"
)
ASK_NEW_DATE = (
    "Gõ ngày mới dạng ngày/tháng/năm, ví dụ <code>15/11/2021</code>, hoặc cả khoảng thời gian "
    "<code>05/11/2021 - 15/11/2021</code>:"
)
TITLE_BAD = "Tên mốc cần từ 3 đến 200 ký tự. Hãy gõ lại, hoặc /huy để hủy."
NOT_TEXT = "Ở bước này tôi cần một tin nhắn dạng chữ. Hãy gõ lại, hoặc /huy để hủy."
SET_STEP_NOT_REMOVABLE = (
    "Mốc này thuộc lịch của bộ tiêu chí nên không xóa được; bạn có thể đổi ngày của nó."
)
UNKNOWN_DEADLINE = "Không tìm thấy mốc này trong lịch của đơn vị (có thể đã bị xóa)."
REMOVE_KEPT = "Đã giữ nguyên mốc."
USE_BUTTONS = "Hãy chọn bằng các nút bên trên, hoặc gõ /huy để hủy."

ROLE_HINT_COORDINATOR = "Tình hình các phòng của đơn vị:"


def date_span(deadline: Deadline) -> str:
    if deadline.start and deadline.start != deadline.end:
        return f"{format_date(deadline.start)} – {format_date(deadline.end)}"
    return format_date(deadline.end)


def days_phrase(end: date, today: date) -> str:
    """«còn 3 ngày», «hôm nay», «quá hạn 2 ngày»."""
    left = days_left(end, today)
    if left > 0:
        return f"còn {left} ngày"
    if left == 0:
        return "hôm nay"
    return f"quá hạn {-left} ngày"


def _deadline_line(deadline: Deadline, today: date) -> str:
    mark = (
        " <i>(đơn vị thêm)</i>"
        if deadline.added
        else (" <i>(đơn vị đã đổi ngày)</i>" if deadline.changed else "")
    )
    status = days_phrase(deadline.end, today)
    if deadline.start and today < deadline.start:
        status = f"bắt đầu sau {(deadline.start - today).days} ngày, hạn chót {status}"
    return f"• <b>{escape(deadline.title)}</b>{mark}\n  {date_span(deadline)} — <b>{status}</b>"


def calendar(
    set_title: str,
    today: date,
    past: Sequence[Deadline],
    current: Sequence[Deadline],
    upcoming: Sequence[Deadline],
) -> str:
    lines = [f"📅 <b>Thời hạn — {escape(set_title)}</b>", f"Hôm nay: {format_date(today)}"]
    if not (past or current or upcoming):
        return "\n".join([*lines, "", CALENDAR_EMPTY])
    if current:
        lines += ["", "<b>Đang diễn ra</b>"]
        lines += [_deadline_line(d, today) for d in current]
    if upcoming:
        lines += ["", "<b>Sắp tới</b>"]
        lines += [_deadline_line(d, today) for d in upcoming]
    if past and not (current or upcoming):
        last = past[-1]
        lines += [
            "",
            f"Tất cả {len(past)} mốc của lịch này <b>đã qua</b> "
            f"(mốc cuối: {escape(last.title)}, hạn {format_date(last.end)}). "
            "Lịch của kỳ đánh giá mới sẽ có khi Phòng Nội vụ cập nhật bộ tiêu chí.",
            "",
            "<b>Các mốc đã qua</b>",
        ]
        lines += [f"• {escape(d.title)} — {date_span(d)}" for d in past]
    elif past:
        lines += ["", f"<i>{len(past)} mốc đã qua (hạn cuối {format_date(past[-1].end)}).</i>"]
    return "\n".join(lines)


def _codes(codes: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(escape(c) for c in codes[:limit])
    return shown + (f" và {len(codes) - limit} tiêu chí khác" if len(codes) > limit else "")


def work_line(name: str, work: Work | None) -> str:
    """«Phòng Tư pháp: còn 3 tiêu chí chưa chấm, 2 tiêu chí thiếu tài liệu kiểm chứng»."""
    if work is None or not (work.unscored or work.missing_evidence):
        return f"• {escape(name)}: ✅ đã chấm xong, đủ tài liệu kiểm chứng"
    parts = []
    if work.unscored:
        parts.append(f"còn {len(work.unscored)} tiêu chí chưa chấm")
    if work.missing_evidence:
        parts.append(f"{len(work.missing_evidence)} tiêu chí thiếu tài liệu kiểm chứng")
    return f"• {escape(name)}: " + ", ".join(parts)


def officer_work(name: str, work: Work | None) -> str:
    head = "<b>Phần việc của phòng bạn</b>"
    line = work_line(name, work)
    if work is not None and work.unscored:
        line += f"\n  Chưa chấm: {_codes(work.unscored)}"
    if work is not None and work.missing_evidence:
        line += f"\n  Thiếu tài liệu kiểm chứng: {_codes(work.missing_evidence)}"
    return f"{head}\n{line}"


def coordinator_work(names: Mapping[str, str], work: Mapping[str, Work]) -> str:
    lines = [f"<b>{ROLE_HINT_COORDINATOR}</b>"]
    lines += [work_line(names[code], work.get(code)) for code in names]
    return "\n".join(lines)


def officer_reminder(deadline: Deadline, today: date, department: str, work: Work) -> str:
    return "\n".join(
        [
            f"⏰ <b>Nhắc thời hạn: {escape(deadline.title)}</b>",
            f"Hạn: {date_span(deadline)} — <b>{days_phrase(deadline.end, today)}</b>.",
            "",
            officer_work(department, work),
            "",
            "Bấm nút dưới đây để chấm điểm tiếp, hoặc gõ /chamdiem.",
        ]
    )


def coordinator_reminder(
    deadline: Deadline, today: date, names: Mapping[str, str], work: Mapping[str, Work]
) -> str:
    return "\n".join(
        [
            f"⏰ <b>Nhắc thời hạn: {escape(deadline.title)}</b>",
            f"Hạn: {date_span(deadline)} — <b>{days_phrase(deadline.end, today)}</b>.",
            "",
            "Các phòng chưa xong:",
            *(work_line(names.get(c, c), w) for c, w in work.items()),
            "",
            "Gõ /hanchot để xem toàn bộ lịch.",
        ]
    )


def digest(
    deadline: Deadline, today: date, names: Mapping[str, str], work: Mapping[str, Work]
) -> str:
    overdue = today > deadline.end
    head = "🚨 <b>Các phòng quá hạn" if overdue else "📋 <b>Các phòng chưa xong"
    return "\n".join(
        [
            f"{head} — {escape(deadline.title)}</b> ({format_date(today)})",
            f"Hạn: {date_span(deadline)} — <b>{days_phrase(deadline.end, today)}</b>.",
            "",
            *(work_line(names.get(c, c), w) for c, w in work.items()),
        ]
    )


def blocked_notice(display_name: str, telegram_id: int, department: str | None) -> str:
    who = escape(display_name or str(telegram_id))
    where = f" ({escape(department)})" if department else ""
    return (
        f"⚠️ Không gửi được tin nhắn cho <b>{who}</b>{where}: người dùng đã chặn bot. "
        "Tài khoản được chuyển sang trạng thái ngừng hoạt động; hãy liên hệ trực tiếp, "
        "và gửi đường dẫn mời mới (/moi) khi họ dùng lại bot."
    )


def deadline_detail(deadline: Deadline, today: date) -> str:
    lines = [_deadline_line(deadline, today)]
    if deadline.note:
        lines.append(f"<i>{escape(deadline.note)}</i>")
    return "\n".join(lines)


def bad_date(reason: str) -> str:
    return f"⚠️ Chưa đọc được ngày: {escape(reason)}. Hãy gõ lại, hoặc /huy để hủy."


def added(deadline: Deadline) -> str:
    return f"✅ Đã thêm mốc <b>{escape(deadline.title)}</b>, hạn {date_span(deadline)}."


def date_changed(deadline: Deadline) -> str:
    return f"✅ Đã đổi ngày của <b>{escape(deadline.title)}</b>: {date_span(deadline)}."


def confirm_remove(deadline: Deadline) -> str:
    return f"Xóa mốc <b>{escape(deadline.title)}</b> ({date_span(deadline)}) khỏi lịch của đơn vị?"


def removed(deadline: Deadline) -> str:
    return f"🗑 Đã xóa mốc <b>{escape(deadline.title)}</b> khỏi lịch của đơn vị."


BTN_DEADLINES = "📅 Thời hạn"
