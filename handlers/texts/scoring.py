"""User-facing texts of the scoring journey (Vietnamese)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from html import escape

from criteria.schema import level_name
from criteria.scoring import format_number, format_points

BTN_SCORE = "📝 Chấm điểm"

BTN_CONTINUE = "▶️ Chấm tiếp"
BTN_PICK = "📋 Chọn tiêu chí"
BTN_MISSING = "📎 Thiếu tài liệu kiểm chứng"
BTN_OVERVIEW = "📊 Tổng quan"
BTN_YES = "✅ Có"
BTN_NO = "❌ Không"
BTN_NA = "🚫 Không phát sinh"
BTN_SAVE = "💾 Lưu"
BTN_AGAIN = "🔁 Nhập lại"
BTN_NO_EVIDENCE = "✍️ Không có"
BTN_LATER = "⏰ Bổ sung sau"
BTN_DONE = "✅ Xong"
BTN_BACK = "⬅️ Quay lại"
BTN_SKIP = "⏭ Bỏ qua"
BTN_PAUSE = "⏸ Tạm dừng"
BTN_ASK = "❓ Hỏi"
BTN_PREV_PAGE = "◀"
BTN_NEXT_PAGE = "▶"

GUEST = (
    "Chức năng chấm điểm dành cho cán bộ đã đăng ký của đơn vị. Hãy xin đường dẫn mời "
    "từ Phòng Nội vụ để đăng ký."
)
NO_UNIT = (
    "Tài khoản của bạn chưa gắn với đơn vị nào nên chưa chấm điểm được. "
    "Hãy liên hệ Phòng Nội vụ để được mời lại đúng đơn vị."
)
NO_DEPARTMENT = (
    "Tài khoản của bạn chưa gắn với phòng/bộ phận nào nên chưa biết tiêu chí nào được giao "
    "cho bạn. Hãy liên hệ Phòng Nội vụ để được mời lại đúng phòng."
)
NOTHING_ASSIGNED = "Bộ tiêu chí đang dùng không giao tiêu chí tự chấm nào cho phòng của bạn."
# The answer to a button pressed on a locked assessment (an alert: at most 200 characters).
LOCKED_ALERT = (
    "🔒 Bản tự đánh giá đã được Phòng Nội vụ khóa để nộp: không sửa được nữa. "
    "Muốn sửa, hãy đề nghị Phòng Nội vụ mở lại."
)
BTN_READ_ONLY = "👁 Xem bản đã chấm (chỉ đọc)"


def locked_notice(by: str | None, at: datetime | None, tz: tzinfo) -> str:
    """``🔒 … khóa … bởi Nguyễn Văn An lúc 14:05 20/11/2021 …``."""
    who = f" bởi <b>{escape(by)}</b>" if by else ""
    when = f" lúc {at.astimezone(tz).strftime('%H:%M %d/%m/%Y')}" if at else ""
    return (
        f"🔒 <b>Bản tự đánh giá đã được khóa để nộp</b>{who}{when}. Không sửa được nữa; "
        f"bạn vẫn xem được (bấm «{BTN_READ_ONLY}»). Muốn sửa, hãy đề nghị Phòng Nội vụ mở lại."
    )


ALL_DONE = "🎉 Bạn đã chấm xong tất cả tiêu chí được giao."
RESUMED = "▶️ Tiếp tục từ chỗ bạn đã dừng."
PAUSED = (
    "⏸ Đã tạm dừng. Mọi câu trả lời đã lưu được giữ nguyên; gõ /chamdiem để tiếp tục "
    "đúng bước này."
)
CANCELLED_KEEPS_PLACE = (
    "Bước chấm điểm đang làm được giữ lại: gõ /chamdiem để tiếp tục đúng chỗ đó."
)
USE_BUTTONS = "Ở bước này, hãy chọn bằng các nút bên dưới (hoặc gõ /huy để thoát)."
NOT_TEXT = "Ở bước này tôi cần một tin nhắn dạng chữ."


STALE = "Nút này thuộc một bước cũ nên không còn hiệu lực. Hãy dùng tin nhắn mới nhất."
FORBIDDEN = "Bạn không có quyền chấm tiêu chí này hoặc bản đánh giá này."
NOT_STARTED = "Bạn chưa mở phần chấm điểm. Gõ /chamdiem để bắt đầu."
NO_MISSING = "✅ Không còn tiêu chí nào thiếu tài liệu kiểm chứng."


def not_scored_yet(code: str) -> str:
    return (
        f"{_item(code).capitalize()} chưa được chấm; hãy chấm điểm trước khi gửi "
        "tài liệu kiểm chứng."
    )


def _item(code: str) -> str:
    """ "tiêu chí thành phần 3.4.1": the item named with its level, lower case."""
    return f"{level_name(code)} {escape(code)}"


ASK_PROMPT = "❓ Hãy gõ câu hỏi của bạn. Trả lời xong, tôi sẽ đưa bạn về đúng bước đang chấm."
ASK_NONE = "😔 Tôi chưa có câu trả lời cho câu hỏi này trong bộ tài liệu hỏi đáp."
ASK_CLARIFY = "🤔 Có phải bạn hỏi một trong các câu sau? (bấm để xem)"
BACK_TO_STEP = "↩️ Quay lại bước đang chấm:"
TOO_LONG = "Nội dung quá dài (tối đa 2000 ký tự). Hãy viết gọn lại."
EXPLANATION_PROMPT = (
    "✍️ Hãy viết <b>giải trình</b>: vì sao không có tài liệu kiểm chứng cho tiêu chí này "
    "(ít nhất 20 ký tự, ví dụ «Năm 2021 không ban hành văn bản QPPL nào»)."
)


def progress_bar(scored: int, total: int, cells: int = 10) -> str:
    filled = scored * cells // total if total else cells
    return "▓" * filled + "░" * (cells - filled)


def progress_line(scored: int, total: int, points: Decimal, maximum: Decimal) -> str:
    """``▓▓▓▓▓░░░░░ 12/38 tiêu chí · 45,5/70 điểm``."""
    return (
        f"{progress_bar(scored, total)} {scored}/{total} tiêu chí · "
        f"{format_points(points)}/{format_points(maximum)} điểm"
    )


def overview(
    scope: str,
    line: str,
    areas: Sequence[tuple[str, str, int, int, Decimal, Decimal]],
    missing: Sequence[str],
    returned: Sequence[tuple[str, str]],
    locked: str | None,
) -> str:
    parts = [f"📝 <b>Tự chấm điểm</b> — {escape(scope)}", line, "", "<b>Theo lĩnh vực:</b>"]
    for code, title, scored, total, points, maximum in areas:
        parts.append(
            f"• {escape(code)}. {escape(title)}: {scored}/{total} tiêu chí · "
            f"{format_points(points)}/{format_points(maximum)} điểm"
        )
    if returned:
        parts += ["", "<b>↩️ Phòng Nội vụ trả lại để sửa:</b>"]
        parts += [f"• {escape(code)}: {escape(comment)}" for code, comment in returned]
    if missing:
        parts += ["", f"<b>📎 Còn thiếu tài liệu kiểm chứng:</b> {escape(', '.join(missing))}"]
    if locked:
        parts += ["", locked]
    return "\n".join(parts)


def scope_name(unit: str, department: str | None) -> str:
    return f"{unit} · {department}" if department else f"{unit} · tất cả các phòng"


def pick_title(page: int, pages: int) -> str:
    head = "📋 <b>Chọn tiêu chí</b> (✅ đã chấm · ⬜ chưa chấm · ↩️ bị trả lại)"
    return head + (f" — trang {page + 1}/{pages}" if pages > 1 else "")


def pick_label(code: str, title: str, mark: str, points: str | None) -> str:
    score = f" ({points})" if points else ""
    short = title if len(title) <= 40 else title[:39] + "…"
    return f"{mark} {code}{score} {short}"


MISSING_TITLE = "📎 <b>Còn thiếu tài liệu kiểm chứng</b> — chọn để bổ sung:"


def current_value(
    points: Decimal, maximum: Decimal, explanation: str, excluded: bool = False
) -> str:
    score = (
        "không phát sinh, loại khỏi tổng điểm"
        if excluded
        else f"{format_points(points)}/{format_points(maximum)} điểm"
    )
    return (
        f"🗂 <b>Đã chấm:</b> {score} — "
        f"{escape(explanation)}\nNhập lại bên dưới để sửa, hoặc bấm «{BTN_SKIP}» để giữ nguyên."
    )


def returned_note(comment: str) -> str:
    return f"↩️ <b>Phòng Nội vụ trả lại:</b> {escape(comment)}"


def part_head(index: int, total: int, label: str, maximum: Decimal) -> str:
    return (
        f"<b>Phần {index + 1}/{total}:</b> {escape(label)} (tối đa {format_points(maximum)} điểm)"
    )


def yes_no_prompt(question: str | None) -> str:
    return f"❔ {escape(question)}" if question else "❔ Đơn vị có đạt yêu cầu này không?"


def tier_prompt(question: str | None) -> str:
    return f"❔ {escape(question)}" if question else "❔ Chọn mức đơn vị đạt được:"


def ratio_prompt(numerator: str, denominator: str, when_zero: str | None) -> str:
    text = (
        f"🔢 Nhập hai số dạng <b>tử số/mẫu số</b>:\n• tử số: {escape(numerator)}\n"
        f"• mẫu số: {escape(denominator)}\nVí dụ: <code>97/100</code>. "
        "Có thể nhập riêng tử số trước, rồi đến mẫu số."
    )
    if when_zero:
        text += f"\nNếu {escape(when_zero.lower())}, nhập <code>0/0</code>."
    return text


def denominator_prompt(numerator: Decimal, denominator: str) -> str:
    return (
        f"Đã ghi tử số <b>{format_number(numerator)}</b>. Bây giờ nhập mẫu số: "
        f"{escape(denominator)}."
    )


def count_prompt(unit: str) -> str:
    return f"🔢 Nhập số {escape(unit)} (một số nguyên, ví dụ <code>3</code>):"


def deductions_prompt(unit: str, zero_if: str | None) -> str:
    text = f"🔢 Nhập số {escape(unit)} (nhập <code>0</code> nếu không có):"
    if zero_if:
        text += f"\nNếu «{escape(zero_if)}», bấm nút bên dưới."
    return text


def zero_if_button(zero_if: str) -> str:
    short = zero_if if len(zero_if) <= 45 else zero_if[:44] + "…"
    return f"⛔ {short}"


def yes_button(points: Decimal) -> str:
    return f"{BTN_YES} ({format_points(points)} đ)"


def no_button(points: Decimal) -> str:
    return f"{BTN_NO} ({format_points(points)} đ)"


def tier_button(label: str, points: Decimal) -> str:
    short = label if len(label) <= 50 else label[:49] + "…"
    return f"{short} ({format_points(points)} đ)"


def _excluded(maximum: Decimal) -> str:
    return f"không phát sinh — loại khỏi tổng điểm (điểm tối đa giảm {format_points(maximum)})"


def confirm(points: Decimal, maximum: Decimal, explanation: str, excluded: bool = False) -> str:
    # An excluded criterion has no score out of its maximum: no "0/1" next to "loại khỏi".
    head = (
        f"🧮 <b>{_excluded(maximum).capitalize()}</b>"
        if excluded
        else f"🧮 <b>Điểm tự chấm: {format_points(points)}/{format_points(maximum)}</b>"
    )
    return (
        f"{head}\nCách tính: {escape(explanation)}\n\nBấm «{BTN_SAVE}» để lưu, hoặc «{BTN_AGAIN}»."
    )


def saved(code: str, points: Decimal, maximum: Decimal, excluded: bool = False) -> str:
    if excluded:
        return f"💾 Đã lưu {_item(code)}: {_excluded(maximum)}."
    return f"💾 Đã lưu {_item(code)}: {format_points(points)}/{format_points(maximum)} điểm."


def evidence_prompt(code: str, wanted: Sequence[str], have: Sequence[tuple[int, str, str]]) -> str:
    """The evidence step: what is needed, then each item received (``have``: number, kind,
    label), each with its ✏️/🗑 buttons below."""
    lines = [f"📎 <b>Tài liệu kiểm chứng — {_item(code)}</b>"]
    if wanted:
        lines += ["Cần có:", *(f"  • {escape(w)}" for w in wanted)]
    lines.append(
        "Gửi <b>số, ngày văn bản</b> (ví dụ «Kế hoạch 45/KH-UBND ngày 12/3/2021»), "
        "một <b>tệp</b> (văn bản, ảnh) hoặc một <b>đường link</b>."
    )
    if have:
        lines += ["", f"<b>Đã nhận {len(have)} tài liệu:</b>"]
        icons = {"file": "📁", "photo": "🖼", "link": "🔗", "text": "📄"}
        for n, kind, label in have:
            short = label if len(label) <= 80 else label[:79] + "…"
            lines.append(f"  {n}. {icons.get(kind, '📄')} {escape(short)}")
        lines.append(f"Sửa (✏️) hoặc xóa (🗑) từng tài liệu; gửi thêm, hoặc bấm «{BTN_DONE}».")
    return "\n".join(lines)


BTN_KEEP = "✅ Đúng, lưu lại"
BTN_RETYPE = "✏️ Gõ lại"
EVIDENCE_RETYPE = "✏️ Chưa lưu. Hãy gửi lại số, ngày văn bản cho đúng."


def evidence_preview(
    doc_type: str | None, number: str | None, issued: date | None, text: str, editing: bool
) -> str:
    what = "sửa thành" if editing else "lưu"
    lines = [f"📄 <b>Xem lại trước khi {what}:</b>"]
    if number:
        lines.append(f"• Văn bản: {escape(doc_type or 'không rõ loại')}")
        lines.append(f"• Số: <b>{escape(number)}</b>")
        day = issued.strftime("%d/%m/%Y") if issued else "không thấy ngày — nên ghi thêm"
        lines.append(f"• Ngày: <b>{day}</b>")
    else:
        lines.append("• Không thấy số văn bản: nội dung được lưu như một mô tả.")
    lines += [f"• Nội dung: «{escape(text)}»", "", f"Đúng chưa? Bấm «{BTN_KEEP}», hoặc gõ lại."]
    return "\n".join(lines)


def evidence_editing(n: int, label: str) -> str:
    return f"✏️ Đang sửa tài liệu {n} («{escape(label)}»): gửi nội dung mới."


def evidence_edited(text: str) -> str:
    return f"✏️ Đã sửa tài liệu: {escape(text)}."


def evidence_removed(label: str) -> str:
    return f"🗑 Đã xóa tài liệu: {escape(label)}." if label else "🗑 Đã xóa tài liệu."


def evidence_added(kind: str, what: str, count: int) -> str:
    label = {"text": "văn bản", "file": "tệp", "link": "đường link"}.get(kind, kind)
    return f"📎 Đã nhận {label}: {escape(what)} (tổng {count} tài liệu)."


def evidence_later(code: str) -> str:
    return f"⏰ Đã ghi nhận: {_item(code)} sẽ bổ sung tài liệu kiểm chứng sau."


EXPLANATION_SAVED = "✍️ Đã lưu giải trình."


def skipped(code: str) -> str:
    return f"⏭ Đã bỏ qua {_item(code)}; bạn có thể quay lại sau."


def read_only_item(
    code: str,
    title: str,
    points: Decimal | None,
    maximum: Decimal | None,
    explanation: str,
    evidence: int,
    justification: str | None,
    *,
    excluded: bool = False,
) -> str:
    short = title if len(title) <= 60 else title[:59] + "…"
    head = f"<b>{escape(code)}</b> {escape(short)}"
    if points is None or maximum is None:
        return f"⬜ {head}\n   chưa chấm"
    score = (
        "không phát sinh — loại khỏi tổng điểm"
        if excluded
        else f"{format_points(points)}/{format_points(maximum)} điểm"
    )
    lines = [f"✅ {head}", f"   {score} — {escape(explanation)}"]
    if evidence:
        lines.append(f"   📎 {evidence} tài liệu kiểm chứng")
    if justification:
        lines.append(f"   ✍️ Giải trình: {escape(justification)}")
    return "\n".join(lines)


def read_only(line: str, notice: str, items: Sequence[str]) -> str:
    head = ["👁 <b>Bản đã chấm (chỉ đọc)</b>", line]
    if notice:
        head.append(notice)
    return "\n".join(head) + "\n\n" + "\n\n".join(items)


def previous_evidence(items: list[tuple[int, str]]) -> str:
    """Last year's evidence of the same criterion, offered for this year (never copied
    without the officer's tap)."""
    lines = "\n".join(f"{n}. {escape(label)}" for n, label in items)
    return (
        "📁 <b>Năm trước đơn vị đã dùng cho tiêu chí này:</b>\n"
        f"{lines}\n"
        "Nếu năm nay vẫn đúng, bấm «Dùng lại» để thêm; tài liệu không được tự sao chép."
    )


def btn_reuse(n: int) -> str:
    return f"📋 Dùng lại {n}"


def evidence_reused(label: str) -> str:
    return f"Đã thêm tài liệu năm trước: {escape(label)}"
