"""User-facing texts of the tickets journey (Vietnamese): questions to the provincial Sở."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from criteria.schema import node_label

STATUS_NAMES = {"open": "đang chờ trả lời", "answered": "đã trả lời", "closed": "đã giải quyết"}


def number(ticket_id: int) -> str:
    return f"#{ticket_id}"


def age(delta: timedelta) -> str:
    """How long ago, roughly: "15 phút", "3 giờ", "2 ngày"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} phút"
    if minutes < 24 * 60:
        return f"{minutes // 60} giờ"
    return f"{minutes // (24 * 60)} ngày"


def ago(delta: timedelta) -> str:
    """ "vừa gửi", "15 phút trước", "3 giờ trước", "2 ngày trước"."""
    return "vừa gửi" if delta < timedelta(minutes=1) else f"{age(delta)} trước"


def day(when: datetime) -> str:
    return f"{when:%d/%m/%Y}"


def short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- Officer: composing a question to the Sở ------------------------------------------------
GUEST_SENT = (
    "📨 Đã gửi câu hỏi của bạn tới quản trị viên Trợ lý CCHC. Họ sẽ chuyển lên Sở phụ trách "
    "hoặc trả lời; câu trả lời sẽ được nhắn lại cho bạn tại đây."
)
GUEST_NO_READER = (
    "Hiện chưa có ai nhận câu hỏi của người chưa đăng ký. Để gửi câu hỏi lên Sở, hãy xin "
    "đường dẫn mời từ Phòng Nội vụ của đơn vị bạn."
)


def guest_question(question: str) -> str:
    """To the admins: a question a guest (or a Sở contact) asked to send to the province."""
    return (
        "🙋 <b>Người chưa đăng ký muốn gửi câu hỏi lên Sở</b>\n"
        f"{escape(short(question, 500))}\n\n"
        "Gõ /cauhoi để trả lời, gửi lên Sở hoặc bỏ qua."
    )


ASK_QUESTION = (
    "📨 <b>Gửi câu hỏi lên Sở</b>\nHãy gõ câu hỏi bạn muốn gửi (tối đa 3000 ký tự). "
    "Gõ /huy để hủy."
)
ASK_EDIT_QUESTION = "✏️ Hãy gõ lại nội dung câu hỏi:"
ASK_CRITERION = (
    "🔖 Hãy gõ mã tiêu chí mà câu hỏi liên quan, ví dụ <code>3.4.1</code>, "
    "hoặc gõ <code>0</code> nếu câu hỏi không gắn với tiêu chí nào."
)
BAD_CRITERION = (
    "Không có tiêu chí mang mã này trong bộ tiêu chí đang dùng. Hãy gõ lại, ví dụ 3.4.1."
)
ASK_ATTACHMENT = "📎 Hãy gửi tệp (văn bản, ảnh) muốn đính kèm vào câu hỏi."
NEED_ATTACHMENT = "Ở bước này tôi cần một tệp hoặc ảnh. Gõ /huy để hủy."
NEED_TEXT = "Ở bước này tôi cần một tin nhắn dạng chữ. Gõ /huy để hủy."
TEXT_TOO_LONG = "Nội dung quá dài (tối đa 3000 ký tự). Hãy viết gọn lại."
USE_BUTTONS = "Hãy chọn bằng các nút bên trên, hoặc gõ /huy để hủy."
DRAFT_GONE = "Bản nháp câu hỏi không còn. Gõ /hoiso để soạn lại."

BTN_SEND = "📨 Gửi lên Sở"
BTN_EDIT_QUESTION = "✏️ Sửa câu hỏi"
BTN_EDIT_CRITERION = "🔖 Đổi tiêu chí"
BTN_ATTACH = "📎 Đính kèm tệp"
BTN_CANCEL = "✖️ Hủy"
BTN_NEW_ANYWAY = "📨 Vẫn gửi câu hỏi mới"
CANCELLED = "Đã hủy, câu hỏi chưa được gửi."


def btn_follow(ticket_id: int) -> str:
    return f"🔔 Theo dõi phiếu {number(ticket_id)}"


def draft(
    question: str,
    code: str | None,
    criterion_title: str | None,
    department: str,
    attachment: bool,
) -> str:
    lines = ["📝 <b>Xem lại câu hỏi trước khi gửi</b>", "", f"❓ {escape(question)}", ""]
    if code:
        title = f": {escape(criterion_title)}" if criterion_title else ""
        lines.append(f"🔖 <b>{node_label(escape(code))}</b>{title}")
    else:
        lines.append("🔖 Không gắn tiêu chí")
    lines.append(f"🏛 Sở trả lời: <b>{escape(department)}</b>")
    if attachment:
        lines.append("📎 Có tệp đính kèm")
    lines += ["", "Bấm «Gửi lên Sở» khi đã đúng, hoặc sửa trước khi gửi."]
    return "\n".join(lines)


def similar_answered(ticket_id: int, department: str, when: datetime, answer: str) -> str:
    return (
        f"💡 Câu hỏi tương tự (phiếu {number(ticket_id)}) đã được <b>{escape(department)}</b> "
        f"trả lời ngày {day(when)}:\n\n{escape(answer)}\n\n"
        "Bạn có thể theo dõi phiếu đó thay vì gửi câu hỏi mới."
    )


def similar_open(ticket_id: int, department: str) -> str:
    return (
        f"💡 Một câu hỏi tương tự (phiếu {number(ticket_id)}) đang chờ "
        f"<b>{escape(department)}</b> trả lời.\n"
        "Bạn có thể theo dõi phiếu đó để nhận câu trả lời, thay vì gửi câu hỏi mới."
    )


def following(ticket_id: int) -> str:
    return (
        f"🔔 Bạn đang theo dõi phiếu {number(ticket_id)}. Khi Sở trả lời, "
        "tôi sẽ chuyển câu trả lời đến bạn."
    )


def own_ticket(ticket_id: int) -> str:
    return f"Phiếu {number(ticket_id)} là câu hỏi của chính bạn; tôi sẽ báo khi có trả lời."


def ticket_sent(ticket_id: int, department: str, to_admins: bool, *, nobody: bool = False) -> str:
    """The officer's confirmation: the ticket went to the department's contacts, or to the
    admins (``to_admins``: no contact), or to nobody yet (``nobody``: no contact and no admin,
    it waits in the database for a contact of the department to register)."""
    dept = escape(department)
    if nobody:
        return (
            f"📥 Đã lưu câu hỏi, số phiếu <b>{number(ticket_id)}</b>, nhưng hiện chưa ai "
            "nhận được câu hỏi này.\n"
            f"<b>{dept}</b> chưa có đầu mối đăng ký với bot và bot cũng chưa có quản trị viên "
            f"để chuyển tiếp. Phiếu được giữ lại: khi đầu mối của {dept} đăng ký, họ sẽ thấy "
            "phiếu trong danh sách chờ trả lời, và câu trả lời sẽ được chuyển đến bạn qua bot.\n"
            f"<i>Hãy báo Phòng Nội vụ để mời đầu mối của {dept} đăng ký với bot.</i>"
        )
    text = (
        f"✅ Đã gửi câu hỏi, số phiếu <b>{number(ticket_id)}</b>.\n"
        f"Người trả lời: đầu mối của <b>{dept}</b>. "
        "Câu trả lời sẽ được chuyển đến bạn qua bot."
    )
    if to_admins:
        text += (
            f"\n<i>{dept} chưa có đầu mối đăng ký với bot; câu hỏi đã được "
            "chuyển cho quản trị viên để chuyển tiếp.</i>"
        )
    return text


# --- Contact: receiving and handling a ticket ------------------------------------------------
BTN_ANSWER = "✍️ Trả lời"
BTN_MOVE = "↪️ Chuyển Sở khác"
BTN_MORE_INFO = "❓ Cần thêm thông tin"
BTN_FILE = "📎 Xem tệp đính kèm"
BTN_CONFIRM_ANSWER = "✅ Gửi trả lời"
BTN_REWRITE = "✏️ Viết lại"


def ticket_card(
    ticket_id: int,
    unit: str | None,
    question: str,
    card: str | None,
    department: str,
    created: datetime,
    *,
    header: str = "📨 <b>Câu hỏi mới gửi {dept}</b>",
    extra: list[tuple[str, str]] | None = None,
) -> str:
    """A ticket as its department's contacts see it (no personal account of the asker)."""
    lines = [
        header.format(dept=escape(department)) + f" — phiếu <b>{number(ticket_id)}</b>",
        f"Đơn vị hỏi: <b>{escape(unit or 'không rõ đơn vị')}</b> · gửi ngày {day(created)}",
        "",
        f"❓ {escape(question)}",
    ]
    for label, text in extra or []:
        lines += ["", f"<b>{escape(label)}</b>: {escape(text)}"]
    if card:
        lines += ["", card]
    return "\n".join(lines)


NEW_HEADER = "📨 <b>Câu hỏi mới gửi {dept}</b>"
MOVED_HEADER = "↪️ <b>Câu hỏi được chuyển đến {dept}</b>"
INFO_HEADER = "📎 <b>Cán bộ đã bổ sung thông tin</b> ({dept})"
REOPENED_HEADER = "↩️ <b>Cán bộ hỏi tiếp</b> ({dept})"
REMIND_HEADER = "⏰ <b>Nhắc: câu hỏi chưa được trả lời</b> ({dept})"
ESCALATE_HEADER = "🚨 <b>Câu hỏi quá hạn trả lời</b> ({dept})"
LABEL_REASON = "Lý do chuyển"
LABEL_INFO = "Thông tin bổ sung"
LABEL_FOLLOWUP = "Câu hỏi tiếp"
LABEL_PREVIOUS = "Trả lời trước"
LABEL_OVERDUE = "Quá hạn"


def overdue(hours: float) -> str:
    return f"chưa có trả lời sau {hours:g} giờ làm việc".replace(".", ",")


def ask_answer(ticket_id: int) -> str:
    return (
        f"✍️ Hãy gõ câu trả lời cho phiếu {number(ticket_id)}. "
        "Tin nhắn tiếp theo của bạn là câu trả lời (xem lại trước khi gửi)."
    )


def answer_preview(ticket_id: int, text: str) -> str:
    return (
        f"👀 <b>Xem lại câu trả lời phiếu {number(ticket_id)}</b>\n\n{escape(text)}\n\n"
        "Câu trả lời sẽ được chuyển đến cán bộ hỏi và những đơn vị theo dõi phiếu."
    )


def answer_sent(ticket_id: int, people: int) -> str:
    return f"✅ Đã gửi câu trả lời phiếu {number(ticket_id)} đến {people} người nhận."


def choose_department(ticket_id: int) -> str:
    return f"↪️ Chuyển phiếu {number(ticket_id)} cho Sở nào?"


def ask_reason(ticket_id: int, department: str) -> str:
    return (
        f"Hãy gõ lý do chuyển phiếu {number(ticket_id)} sang <b>{escape(department)}</b> "
        "(ví dụ: «thuộc lĩnh vực của Sở …»)."
    )


def reassigned(ticket_id: int, department: str) -> str:
    return f"✅ Đã chuyển phiếu {number(ticket_id)} sang <b>{escape(department)}</b>."


def ask_more_info(ticket_id: int) -> str:
    return f"❓ Hãy gõ điều cần cán bộ bổ sung cho phiếu {number(ticket_id)}:"


def more_info_sent(ticket_id: int) -> str:
    return (
        f"✅ Đã gửi yêu cầu bổ sung thông tin phiếu {number(ticket_id)} đến cán bộ. "
        "Khi cán bộ trả lời, tôi sẽ chuyển lại cho bạn."
    )


NOT_OPEN = "Phiếu này không còn chờ trả lời (đã được trả lời hoặc đã chuyển đi)."
NOT_YOURS = "Phiếu này không thuộc Sở của bạn."
NO_ATTACHMENT = "Phiếu này không có tệp đính kèm."


def contact_list(
    department: str,
    items: list[tuple[int, str, str, str, bool]],
    total: int,
    page: int = 0,
    pages: int = 1,
) -> str:
    """``items``: (id, unit, question, age, awaiting the officer) of this page, oldest first."""
    if not items:
        return f"📭 {escape(department)} không còn phiếu nào chờ trả lời."
    head = f"📋 <b>Phiếu chờ trả lời — {escape(department)}</b>: {total} phiếu, cũ nhất trước."
    if pages > 1:
        head += f" Trang {page + 1}/{pages}."
    lines = [head, ""]
    for ticket_id, unit, question, waited, awaiting in items:
        wait = " · <i>chờ cán bộ bổ sung</i>" if awaiting else ""
        lines.append(
            f"<b>{number(ticket_id)}</b> · {escape(unit)} · {waited}{wait}\n"
            f"   {escape(short(question))}"
        )
    lines += ["", "Bấm vào một phiếu để trả lời, hỏi thêm hoặc chuyển Sở khác."]
    return "\n".join(lines)


def ticket_button(ticket_id: int, unit: str, waited: str) -> str:
    return f"{number(ticket_id)} · {short(unit, 30)} · {waited}"


NO_UNIT = "chưa đăng ký đơn vị"
OPEN_HEADER = "📋 <b>Câu hỏi chờ {dept} trả lời</b>"
AWAITING_HEADER = "⏳ <b>Câu hỏi chờ cán bộ bổ sung</b> ({dept})"
LIST_PAGE_GONE = "Trang này không còn. Gõ /phieu để xem lại danh sách."
ALL_DEPARTMENTS = "tất cả các Sở"


# --- Officer: receiving answers and requests ---------------------------------------------------
BTN_RESOLVE = "✅ Đã giải quyết"
BTN_FOLLOWUP = "↩️ Hỏi tiếp"
BTN_REPLY_INFO = "✍️ Bổ sung thông tin"


def relay_answer(
    ticket_id: int, question: str, department: str, answered_by: str, answer: str, own: bool
) -> str:
    head = (
        f"📬 <b>{escape(department)} đã trả lời phiếu {number(ticket_id)}</b>"
        if own
        else f"📬 <b>Phiếu {number(ticket_id)} bạn theo dõi đã được {escape(department)} "
        "trả lời</b>"
    )
    return (
        f"{head}\n\n❓ {escape(question)}\n\n💬 {escape(answer)}\n\n"
        f"<i>Người trả lời: {escape(answered_by)} ({escape(department)})</i>"
    )


def info_request(ticket_id: int, department: str, question: str, request: str) -> str:
    return (
        f"❓ <b>{escape(department)} cần thêm thông tin cho phiếu {number(ticket_id)}</b>\n\n"
        f"Câu hỏi của bạn: {escape(short(question, 200))}\n\n"
        f"Sở đề nghị: {escape(request)}\n\nBấm «Bổ sung thông tin» để trả lời."
    )


def ask_info_reply(ticket_id: int) -> str:
    return f"✍️ Hãy gõ thông tin bổ sung cho phiếu {number(ticket_id)}:"


def info_reply_sent(ticket_id: int, department: str) -> str:
    return f"✅ Đã gửi thông tin bổ sung phiếu {number(ticket_id)} đến {escape(department)}."


def moved_notice(ticket_id: int, department: str) -> str:
    return (
        f"ℹ️ Phiếu {number(ticket_id)} đã được chuyển sang <b>{escape(department)}</b> "
        "là Sở phụ trách nội dung này."
    )


def resolved(ticket_id: int) -> str:
    return f"✅ Đã đánh dấu phiếu {number(ticket_id)} là đã giải quyết. Cảm ơn bạn!"


def ask_followup(ticket_id: int) -> str:
    return f"↩️ Hãy gõ câu hỏi tiếp theo cho phiếu {number(ticket_id)}:"


def followup_sent(ticket_id: int, department: str) -> str:
    return f"✅ Đã mở lại phiếu {number(ticket_id)} và gửi câu hỏi tiếp đến {escape(department)}."


def officer_list(
    items: list[tuple[int, str, str, str]], total: int, page: int = 0, pages: int = 1
) -> str:
    """``items``: (id, department, status, question) of this page, newest first."""
    if not items:
        return "📭 Bạn và đơn vị chưa có phiếu hỏi Sở nào. Gõ /hoiso để gửi câu hỏi."
    head = f"📋 <b>Phiếu hỏi Sở của bạn và đơn vị</b>: {total} phiếu, mới nhất trước."
    if pages > 1:
        head += f" Trang {page + 1}/{pages}."
    lines = [head, ""]
    for ticket_id, department, status, question in items:
        lines.append(
            f"{STATUS_ICONS.get(status, '')} <b>{number(ticket_id)}</b> · {escape(department)} · "
            f"{STATUS_NAMES.get(status, status)}\n   {escape(short(question))}"
        )
    lines += ["", "Bấm vào một phiếu để xem câu hỏi, câu trả lời và việc cần làm tiếp."]
    return "\n".join(lines)


STATUS_ICONS = {"open": "⏳", "answered": "💬", "closed": "✅"}
BTN_MY_LIST = "« Danh sách phiếu"


def my_ticket_button(ticket_id: int, status: str, question: str) -> str:
    """ "⏳ #3 · Văn bản QPPL ban hành trễ…": the state's icon (its words are in the list
    above), the number and the question's first words, short enough for a phone."""
    return f"{STATUS_ICONS.get(status, '')} {number(ticket_id)} · {short(question, 32)}"


def my_ticket(
    ticket_id: int,
    *,
    status: str,
    awaiting_info: bool,
    department: str,
    unit: str | None,
    created: datetime,
    question: str,
    code: str | None,
    criterion_title: str | None,
    request: str | None,
    followup: str | None,
    answer: str | None,
    answered_by: str | None,
    answered: datetime | None,
) -> str:
    """One ticket as its officer sees it: question, state, the Sở's request or answer."""
    state = "chờ bạn bổ sung thông tin" if awaiting_info else STATUS_NAMES.get(status, status)
    lines = [
        f"🎫 <b>Phiếu {number(ticket_id)}</b> · {STATUS_ICONS.get(status, '')} {state}",
        f"Gửi <b>{escape(department)}</b> ngày {day(created)}"
        + (f" · {escape(unit)}" if unit else ""),
    ]
    if code:
        title = f": {escape(criterion_title)}" if criterion_title else ""
        lines.append(f"🔖 <b>{node_label(escape(code))}</b>{title}")
    lines += ["", f"❓ {escape(question)}"]
    said: list[str] = []
    if answer:
        when = f" ngày {day(answered)}" if answered else ""
        who = f" — {escape(answered_by)}" if answered_by else ""
        label = "Trả lời trước" if status == "open" else "Trả lời"
        said = ["", f"💬 <b>{label}{when}</b>{who}:", escape(answer)]
    asked_again = ["", f"↩️ <b>Hỏi tiếp:</b> {escape(followup)}"] if followup else []
    # Reopened and waiting: the earlier answer, then the follow-up; answered again: the
    # follow-up, then the answer to it.
    lines += said + asked_again if status == "open" else asked_again + said
    if awaiting_info and request:
        lines += ["", f"📝 <b>Sở đề nghị bổ sung:</b> {escape(request)}"]
    if awaiting_info:
        lines += ["", f"Bấm «{BTN_REPLY_INFO.split(' ', 1)[1]}» để trả lời Sở."]
    elif status == "open":
        lines += ["", "Sở chưa trả lời; tôi sẽ nhắn cho bạn ngay khi có câu trả lời."]
    elif status == "answered":
        lines += [
            "",
            f"Đã rõ thì bấm «{BTN_RESOLVE.split(' ', 1)[1]}»; "
            f"còn vướng thì bấm «{BTN_FOLLOWUP.split(' ', 1)[1]}».",
        ]
    return "\n".join(lines)


# --- Coordinators: reviewing rulings (/duyet) --------------------------------------------------
BTN_APPROVE = "✅ Duyệt"
BTN_EDIT_RULING = "✏️ Sửa rồi duyệt"
BTN_REJECT = "🗑 Từ chối"
NO_PENDING = "📭 Không có đề xuất nào chờ duyệt."


def ruling_card(ruling_id: int, question: str, answer: str, code: str | None, source: str) -> str:
    crit = f"\n🔖 {node_label(escape(code))}" if code else ""
    return (
        f"📚 <b>Đề xuất bổ sung hỏi đáp số {ruling_id}</b>{crit}\n\n"
        f"❓ {escape(question)}\n\n💬 {escape(answer)}\n\n<i>Nguồn: {escape(source)}</i>"
    )


def ask_ruling_edit(ruling_id: int) -> str:
    return (
        f"✏️ Hãy gõ nội dung câu trả lời đã chỉnh sửa cho đề xuất số {ruling_id}; "
        "đề xuất sẽ được duyệt với nội dung này."
    )


def ruling_approved(ruling_id: int) -> str:
    return (
        f"✅ Đã duyệt đề xuất số {ruling_id}. Từ giờ bot dùng nội dung này để trả lời "
        "các câu hỏi tương tự."
    )


def ruling_rejected(ruling_id: int) -> str:
    return f"🗑 Đã từ chối đề xuất số {ruling_id}."
