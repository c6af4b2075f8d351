"""User-facing texts of the coordination journey: /tiendo for Phòng Nội vụ (Vietnamese)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from decimal import Decimal
from html import escape

from criteria.schema import level_name
from criteria.scoring import format_percent, format_points


def _item(code: str) -> str:
    """ "tiêu chí thành phần <b>3.4.1</b>": an item named with its level of the tree."""
    return f"{level_name(code)} <b>{escape(code)}</b>"


BTN_CHART = "📊 Biểu đồ"
BTN_XLSX = "📥 Xuất XLSX"
BTN_CSV = "📥 Xuất CSV"
BTN_LOCK = "🔒 Chốt và khóa"
BTN_LOCK_CONFIRM = "✅ Đồng ý chốt và khóa"
BTN_LOCK_CANCEL = "Không, quay lại"
BTN_REOPEN = "🔓 Mở khóa"
BTN_RETURN = "↩️ Trả lại"
BTN_BACK_OVERVIEW = "« Tổng hợp"
BTN_BACK_DEPARTMENT = "« Danh sách của phòng"
BTN_UNITS = "« Chọn đơn vị khác"

NEEDS_UNIT = (
    "Tài khoản của bạn chưa gắn với đơn vị nào nên chưa xem được tiến độ. "
    "Hãy xin quản trị viên của bot đường dẫn mời lại đúng đơn vị."
)
NO_UNITS = (
    "Chưa có đơn vị nào. Người vận hành cần tạo đơn vị trước: "
    '<code>cchc-bot unit add MÃ "Tên đơn vị"</code>.'
)
CHOOSE_UNIT = "📊 <b>Tiến độ tự chấm điểm</b>\nChọn đơn vị cần xem:"
FORBIDDEN = "Bạn chỉ xem và xử lý được bản tự đánh giá của đơn vị mình."
STALE = "Nút này đã hết hiệu lực. Gõ /tiendo để mở lại bảng tổng hợp."
NO_ANSWER = "Tiêu chí này chưa được chấm nên chưa có gì để xem hoặc trả lại."
LOCKED_NO_RETURN = "Bản tự đánh giá đã khóa: hãy mở khóa trước khi trả lại tiêu chí."
ALREADY_LOCKED = "Bản tự đánh giá đã được khóa từ trước."
ALREADY_OPEN = "Bản tự đánh giá đang mở, không cần mở khóa."
COMMENT_EXPECTED = (
    "Tôi đang chờ <b>nhận xét</b> để gửi kèm khi trả lại tiêu chí. "
    "Hãy gõ nội dung cần sửa bằng chữ, hoặc /huy để thôi không trả lại."
)
COMMENT_TOO_LONG = "Nhận xét quá dài (tối đa 1000 ký tự). Hãy viết gọn lại."
PREPARING = "Đang chuẩn bị tệp…"
SURVEY_NOTE = "chưa gồm điểm điều tra xã hội học do tỉnh chấm"


def bar(done: int, total: int, width: int = 10) -> str:
    filled = 0 if total <= 0 else round(width * done / total)
    return "▓" * filled + "░" * (width - filled)


def set_caption(title: str, year: int) -> str:
    # The set by its title (its id is the operators' word, on the command line).
    return f"{title} · năm đánh giá {year}"


def export_set_line(title: str, year: int) -> str:
    return f"\nBộ tiêu chí: {title} · năm đánh giá {year}."


BTN_CURRENT_YEAR = "⬅️ Về năm đánh giá hiện tại"


def btn_past_year(year: int) -> str:
    return f"📁 Năm {year} (chỉ xem)"


def closed_line(year: int) -> str:
    return f"Trạng thái: 📁 <b>năm {year} đã khép lại</b> — chỉ xem và xuất tệp, không sửa được"


def status_line(locked: bool, locked_at: datetime | None, tz: tzinfo) -> str:
    if not locked:
        return "Trạng thái: 🔓 đang tự chấm"
    when = f" lúc {locked_at.astimezone(tz).strftime('%H:%M %d/%m/%Y')}" if locked_at else ""
    return f"Trạng thái: 🔒 <b>đã chốt và khóa</b>{when}"


def department_line(
    name: str,
    scored: int,
    total: int,
    points: Decimal,
    maximum: Decimal,
    missing: int,
    returned: int,
) -> str:
    extra = []
    if missing:
        extra.append(f"thiếu tài liệu kiểm chứng: {missing}")
    if returned:
        extra.append(f"trả lại: {returned}")
    tail = f" · {', '.join(extra)}" if extra else ""
    done = "✅" if total and scored == total and not missing and not returned else "•"
    return (
        f"{done} <b>{escape(name)}</b>: {scored}/{total} tiêu chí · "
        f"{format_points(points)}/{format_points(maximum)} điểm{tail}"
    )


def overview(
    *,
    unit: str,
    set_title: str,
    status: str,
    departments: Sequence[str],
    scored: int,
    total: int,
    points: Decimal,
    maximum: Decimal,
    missing: int,
    index: Decimal,
    band: str,
    note: str = SURVEY_NOTE,
) -> str:
    lines = [
        f"📊 <b>Tiến độ tự chấm điểm — {escape(unit)}</b>",
        f"<i>{escape(set_title)}</i>",
        status,
        "",
        *departments,
        "",
        f"<b>Toàn đơn vị</b>: {bar(scored, total)} {scored}/{total} tiêu chí · "
        f"{format_points(points)}/{format_points(maximum)} điểm tự chấm",
    ]
    if missing:
        lines.append(f"Còn {missing} tiêu chí thiếu tài liệu kiểm chứng.")
    lines.append(
        f"Chỉ số tạm tính: <b>{format_percent(index)} %</b> · xếp loại tạm: <b>{escape(band)}</b> "
        f"({note})."
    )
    lines += ["", "Chọn một phòng để xem từng câu trả lời."]
    return "\n".join(lines)


ICON_UNSCORED = "⬜"
ICON_OK = "✅"
ICON_MISSING = "⚠️"
ICON_RETURNED = "↩️"


def department_view(
    name: str, unit: str, items: Sequence[tuple[str, str, str, str]], summary: str
) -> str:
    """``items``: (icon, code, title, points text) in the set's order."""
    lines = [f"<b>{escape(name)}</b> — {escape(unit)}", summary, ""]
    for icon, code, title, points in items:
        short = title if len(title) <= 70 else title[:69] + "…"
        lines.append(f"{icon} <b>{escape(code)}</b> {escape(short)} — {escape(points)}")
    lines += [
        "",
        f"{ICON_OK} đã chấm, đủ tài liệu kiểm chứng · {ICON_MISSING} còn thiếu · "
        f"{ICON_RETURNED} đã trả lại · {ICON_UNSCORED} chưa chấm",
        "Bấm một mã bên dưới để xem câu trả lời và trả lại nếu cần.",
    ]
    return "\n".join(lines)


def _cut(text: str, limit: int = 700) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


EVIDENCE_STATUS = {
    "ok": "đã có",
    "explained": "không có — đã giải trình",
    "missing": "còn thiếu — bổ sung sau",
    "pending": "chưa khai báo",
}


def answer_view(
    *,
    code: str,
    title: str,
    department: str,
    points: Decimal,
    maximum: Decimal,
    explanation: str,
    evidence: Sequence[str],
    evidence_status: str,
    justification: str | None,
    returned_comment: str | None,
    author: str,
    updated: str,
) -> str:
    lines = [
        f"<b>{escape(code)}</b> {escape(title)}",
        f"Phòng phụ trách: {escape(department)}",
        "",
        f"Điểm tự chấm: <b>{format_points(points)}/{format_points(maximum)}</b>",
        f"Cách tính: {escape(_cut(explanation))}",
        f"Tài liệu kiểm chứng: {EVIDENCE_STATUS.get(evidence_status, escape(evidence_status))}",
    ]
    lines += [f"  • {escape(_cut(item, 300))}" for item in evidence[:10]]
    if len(evidence) > 10:
        lines.append(f"  … và {len(evidence) - 10} mục khác")
    if justification:
        lines.append(f"Giải trình: {escape(_cut(justification))}")
    if returned_comment:
        lines.append(f"↩️ Đã trả lại, chờ phòng sửa: <i>{escape(_cut(returned_comment))}</i>")
    lines += ["", f"Người chấm: {escape(author)} · cập nhật {escape(updated)}"]
    return "\n".join(lines)


def ask_comment(code: str, title: str, department: str) -> str:
    return (
        f"↩️ Trả lại {_item(code)} {escape(title)} cho "
        f"<b>{escape(department)}</b>.\n"
        "Hãy gõ <b>nhận xét</b>: cần sửa gì, bổ sung tài liệu nào. /huy để thôi."
    )


def returned(code: str, department: str, notified: int) -> str:
    who = (
        f"đã báo cho {notified} cán bộ của phòng qua bot"
        if notified
        else "phòng chưa có cán bộ nào đăng ký với bot nên chưa báo được, hãy liên hệ trực tiếp"
    )
    return (
        f"✅ Đã trả lại {_item(code)} cho {escape(department)}; {who}. "
        "Phòng có thể sửa và chấm lại."
    )


def officer_notice(code: str, title: str, unit: str, comment: str) -> str:
    return (
        f"↩️ <b>Phòng Nội vụ trả lại {level_name(code)} {escape(code)}</b> ({escape(unit)})\n"
        f"{escape(title)}\n\n"
        f"Nhận xét: <i>{escape(comment)}</i>\n\n"
        "Gõ /chamdiem để sửa và chấm lại."
    )


def confirm_lock(unit: str, unscored: int, missing: int) -> str:
    warn = []
    if unscored:
        warn.append(f"⚠️ còn {unscored} tiêu chí chưa chấm (hoặc đang bị trả lại)")
    if missing:
        warn.append(f"⚠️ còn {missing} tiêu chí thiếu tài liệu kiểm chứng")
    body = "\n".join(warn) + "\n\n" if warn else ""
    return (
        f"🔒 <b>Chốt và khóa bản tự đánh giá của {escape(unit)}?</b>\n\n{body}"
        "Sau khi khóa, không ai sửa được điểm hay tài liệu kiểm chứng cho đến khi "
        "Phòng Nội vụ mở khóa (việc mở khóa được ghi vào nhật ký)."
    )


def locked(unit: str) -> str:
    return (
        f"🔒 Đã chốt và khóa bản tự đánh giá của <b>{escape(unit)}</b>. "
        "Bạn có thể xuất tệp XLSX/CSV để nhập vào phần mềm của tỉnh."
    )


def reopened(unit: str) -> str:
    return (
        f"🔓 Đã mở khóa bản tự đánh giá của <b>{escape(unit)}</b>; các phòng có thể sửa "
        "lại. Việc mở khóa đã được ghi vào nhật ký."
    )


def chart_title(unit: str) -> str:
    return f"Điểm tự chấm so với điểm tối đa theo lĩnh vực — {unit}"


def chart_subtitle(points: Decimal, maximum: Decimal, index: Decimal) -> str:
    return (
        f"Tự chấm {format_points(points)}/{format_points(maximum)} điểm · "
        f"chỉ số tạm tính {format_percent(index)} % ({SURVEY_NOTE})"
    )


def chart_caption(unit: str) -> str:
    return f"📊 Điểm tự chấm theo lĩnh vực — {escape(unit)}"


def export_caption(unit: str, fmt: str, scored: int, total: int) -> str:
    return (
        f"📥 Bản tự đánh giá của {escape(unit)} ({fmt.upper()}): "
        f"{scored}/{total} tiêu chí đã chấm."
    )


# --- bonus, penalty and survey results -------------------------------------------------------

BTN_EXTRAS = "➕ Điểm thưởng/trừ, khảo sát"
BTN_BACK_EXTRAS = "« Danh sách điểm thưởng/trừ, khảo sát"
BTN_YES = "✅ Có"
BTN_NO = "❌ Không"
BTN_CLEAR_SURVEY = "🗑 Xóa kết quả (chưa có)"
EXTRAS_LOCKED = (
    "Bản tự đánh giá đã khóa: hãy mở khóa trước khi sửa điểm thưởng, điểm trừ hoặc khảo sát."
)
EXTRA_STALE = "Mục này không còn trong bộ tiêu chí đang dùng. Gõ /tiendo để mở lại."
SURVEY_EXPECTED = (
    "Tôi đang chờ <b>điểm khảo sát</b> tỉnh công bố, ví dụ <code>9,5</code>. "
    "Hãy gõ một số, hoặc /huy để thôi."
)
SURVEY_ALL_IN = "đã gồm điểm thưởng, điểm trừ và điểm khảo sát đã nhập"
SURVEY_PARTLY = "chưa đủ điểm khảo sát do tỉnh công bố"


def index_note(bonus: Decimal, penalty: Decimal, survey_in: int, survey_total: int) -> str:
    """The note after the index of /tiendo: what it includes."""
    parts = [f"thưởng +{format_points(bonus)}", f"trừ −{format_points(penalty)}"]
    if survey_total and survey_in < survey_total:
        parts.append(f"{SURVEY_PARTLY}: mới có {survey_in}/{survey_total}")
    else:
        parts.append(SURVEY_ALL_IN)
    return "; ".join(parts)


def _times(count: int, per_occurrence: bool) -> str:
    if not per_occurrence:
        return "có" if count else "không"
    return f"{count} lần"


def extras_view(
    *,
    unit: str,
    bonus: Sequence[tuple[str, str, Decimal, bool, int]],
    penalty: Sequence[tuple[str, str, Decimal, bool, int]],
    survey: Sequence[tuple[str, str, Decimal, Decimal | None]],
    bonus_points: Decimal,
    bonus_cap: Decimal | None,
    penalty_points: Decimal,
    penalty_cap: Decimal | None,
    index: Decimal,
    band: str,
    locked: bool,
) -> str:
    """``bonus``/``penalty``: (code, title, points, per occurrence, count);
    ``survey``: (code, title, max, points or None)."""
    lines = [f"➕ <b>Điểm thưởng, điểm trừ và khảo sát — {escape(unit)}</b>", ""]
    for heading, items, total, cap in (
        ("Điểm thưởng", bonus, bonus_points, bonus_cap),
        ("Điểm trừ", penalty, penalty_points, penalty_cap),
    ):
        if not items:
            continue
        cap_text = f", tối đa {format_points(cap)}" if cap is not None else ""
        lines.append(f"<b>{heading}</b> (tính {format_points(total)} điểm{cap_text}):")
        for i, (_, title, points, per, count) in enumerate(items, start=1):
            each = " mỗi lần" if per else ""
            lines.append(
                f"  {i}. {escape(_cut(title, 120))} — {format_points(points)} điểm{each}: "
                f"<b>{_times(count, per)}</b>"
            )
        lines.append("")
    if survey:
        lines.append("<b>Điều tra xã hội học</b> (tỉnh công bố):")
        for code, title, maximum, value in survey:
            shown = "chưa có" if value is None else f"{format_points(value)}"
            lines.append(
                f"  <b>{escape(code)}</b> {escape(_cut(title, 100))}: "
                f"<b>{shown}</b>/{format_points(maximum)} điểm"
            )
        lines.append("")
    lines.append(f"Chỉ số: <b>{format_percent(index)} %</b> · xếp loại: <b>{escape(band)}</b>")
    if locked:
        lines.append("🔒 Bản tự đánh giá đã khóa: chỉ xem, không sửa được.")
    else:
        lines.append("Chọn một mục để sửa.")
    return "\n".join(lines)


def extra_item_view(
    *, kind: str, title: str, points: Decimal, per_occurrence: bool, count: int
) -> str:
    heading = "Điểm thưởng" if kind == "bonus" else "Điểm trừ"
    if per_occurrence:
        ask = f"Tính {format_points(points)} điểm mỗi lần. Có bao nhiêu lần?"
    else:
        ask = f"Tính {format_points(points)} điểm. Đơn vị có thuộc trường hợp này không?"
    return (
        f"<b>{heading}</b>: {escape(title)}\n"
        f"Hiện tại: <b>{_times(count, per_occurrence)}</b>\n\n{ask}"
    )


def ask_survey(code: str, title: str, maximum: Decimal, current: Decimal | None) -> str:
    now = "chưa có" if current is None else format_points(current)
    return (
        f"📋 <b>{escape(code)}</b> {escape(title)}\n"
        f"Hiện tại: <b>{now}</b>/{format_points(maximum)} điểm\n\n"
        f"Hãy gõ <b>điểm tỉnh công bố</b> (từ 0 đến {format_points(maximum)}, ví dụ "
        "<code>9,5</code>). /huy để thôi."
    )


def bad_survey(reason: str, maximum: Decimal) -> str:
    return (
        f"⚠️ {escape(reason)}\nHãy gõ một số từ 0 đến {format_points(maximum)} "
        "(ví dụ <code>9,5</code>), hoặc /huy để thôi. Chưa có gì thay đổi."
    )


def survey_saved(code: str, points: Decimal | None) -> str:
    if points is None:
        return f"🗑 Đã xóa điểm khảo sát của {_item(code)}."
    return f"✅ Đã lưu điểm khảo sát của {_item(code)}: {format_points(points)} điểm."


# --- evidence files --------------------------------------------------------------------------

EVIDENCE_FORBIDDEN = "Tệp này không thuộc bản tự đánh giá của đơn vị bạn; không gửi được."
EVIDENCE_UNAVAILABLE = "Telegram không còn giữ tệp này; hãy xin phòng phụ trách gửi lại."


def evidence_button(index: int, name: str, photo: bool) -> str:
    short = name if len(name) <= 40 else name[:39] + "…"
    return f"{'🖼' if photo else '📎'} {index}. {short}"


def evidence_caption(code: str, name: str) -> str:
    return f"Tài liệu kiểm chứng của {_item(code)}: {escape(name)}"
