"""Every user-facing text of the bot, in one place, reviewed like code (Vietnamese)."""

from __future__ import annotations

import re
from html import escape

from criteria.schema import level_name
from handlers.texts.deadlines import BTN_DEADLINES
from handlers.texts.scoring import BTN_SCORE

# The "/" list each role sees in Telegram (setMyCommands per chat); guests get the default.
_CMD = {
    "start": "Menu chính",
    "trogiup": "Việc bạn làm được với bot",
    "huy": "Hủy thao tác đang làm",
    "tieuchi": "Tra cứu bộ tiêu chí",
    "capdo": "Chọn cấp đơn vị (huyện, xã) để tra cứu",
    "hanchot": "Thời hạn và số ngày còn lại",
    "chamdiem": "Chấm điểm các tiêu chí của phòng",
    "hoiso": "Gửi câu hỏi lên Sở",
    "phieu": "Phiếu hỏi Sở của bạn",
    "tiendo": "Tiến độ, tổng hợp, khóa và xuất",
    "cauhoi": "Câu hỏi của cán bộ chưa được giải đáp",
    "duyet": "Duyệt câu trả lời của Sở vào hỏi đáp",
    "moi": "Tạo đường dẫn mời",
    "trangthai": "Tình trạng của bot (quản trị)",
}
_CONTACT_PHIEU = "Phiếu chờ Sở trả lời"


def _cmds(*names: str, **described: str) -> list[tuple[str, str]]:
    return [(n, described.get(n, _CMD[n])) for n in names]


ROLE_COMMANDS: dict[str, list[tuple[str, str]]] = {
    "guest": _cmds("start", "tieuchi", "capdo", "hanchot", "trogiup", "huy"),
    "officer": _cmds(
        "start", "chamdiem", "hoiso", "phieu", "hanchot", "tieuchi", "trogiup", "huy"
    ),
    "coordinator": _cmds(
        "start",
        "tiendo",
        "cauhoi",
        "duyet",
        "moi",
        "chamdiem",
        "hanchot",
        "hoiso",
        "phieu",
        "tieuchi",
        "trogiup",
        "huy",
    ),
    "contact": _cmds(
        "start", "phieu", "tieuchi", "capdo", "trogiup", "huy", phieu=_CONTACT_PHIEU
    ),
    "admin": _cmds(
        "start",
        "tiendo",
        "phieu",
        "cauhoi",
        "duyet",
        "moi",
        "chamdiem",
        "hanchot",
        "hoiso",
        "tieuchi",
        "trangthai",
        "trogiup",
        "huy",
        phieu="Mọi phiếu hỏi Sở đang chờ",
    ),
}
# The default list (BotCommandScopeDefault): what anyone who is not registered sees.
COMMANDS = ROLE_COMMANDS["guest"]

ROLE_NAMES = {
    "guest": "Khách",
    "officer": "Cán bộ",
    "coordinator": "Điều phối (Phòng Nội vụ)",
    "contact": "Đầu mối Sở",
    "admin": "Quản trị",
}

MOTTO = "Thân thiện – Đúng hẹn – Đơn giản – Hiện đại"

BTN_ASK = "❓ Hỏi đáp"
BTN_BROWSE = "📚 Tra cứu tiêu chí"
BTN_HELP = "ℹ️ Trợ giúp"


def greeting(first_name: str, role: str, unit: str | None, set_title: str) -> str:
    who = f"<b>{escape(first_name)}</b>" if first_name else "bạn"
    lines = [
        f"Xin chào {who}! Tôi là <b>Trợ lý CCHC</b> — trợ lý tự đánh giá, chấm điểm "
        "Chỉ số cải cách hành chính.",
        f"<i>{MOTTO}</i>",
        "",
        f"Bộ tiêu chí đang dùng: <b>{escape(set_title)}</b>.",
        f"Vai trò của bạn: <b>{ROLE_NAMES.get(role, role)}</b>"
        + (f" · {escape(unit)}" if unit else ""),
    ]
    if role == "guest":
        lines.append(
            "Bạn có thể hỏi đáp và tra cứu tiêu chí. Để chấm điểm cho đơn vị, hãy xin "
            "đường dẫn mời từ Phòng Nội vụ."
        )
    lines += ["", "Chọn một chức năng bên dưới, hoặc gõ ngay câu hỏi của bạn."]
    return "\n".join(lines)


def who(role: str, unit: str | None, department: str | None) -> str:
    """ "<b>Cán bộ</b> · UBND huyện A · Phòng Tư pháp": a registration in one line."""
    parts = [f"<b>{ROLE_NAMES.get(role, role)}</b>"]
    parts += [escape(x) for x in (unit, department) if x]
    return " · ".join(parts)


def registered(who_line: str) -> str:
    return f"✅ Đăng ký thành công: {who_line}."


def already_registered(who_line: str) -> str:
    return f"Bạn đã đăng ký đúng như đường dẫn mời này: {who_line}. Không có gì thay đổi."


def reregister_confirm(now: str, new: str) -> str:
    return (
        "⚠️ <b>Bạn đã đăng ký rồi.</b>\n"
        f"Hiện tại: {now}\n"
        f"Đường dẫn mời này sẽ đổi thành: {new}\n\n"
        "Bạn có muốn đổi không? Nếu không, cứ giữ như cũ; đường dẫn vẫn chưa bị dùng."
    )


BTN_REREGISTER = "✅ Đổi theo đường dẫn mời"
BTN_KEEP_REGISTRATION = "Giữ như cũ"
REGISTRATION_KEPT = "Đã giữ nguyên đăng ký của bạn. Không có gì thay đổi."


# --- Main menu and help, per role ----------------------------------------------------------
# Each role's journeys: (menu action, button, one line of help). The action is a MenuCb
# action: "ask", "browse", "deadlines", "score" have their own handlers; the others open the
# command of the same journey (handlers/common.py MENU_COMMANDS).
BTN_ESCALATE = "📨 Hỏi Sở"
BTN_MY_TICKETS = "🎫 Phiếu của tôi"
BTN_OPEN_TICKETS = "📋 Phiếu chờ trả lời"
BTN_PROGRESS = "📊 Tiến độ"
BTN_QUESTIONS = "🙋 Câu hỏi chờ xử lý"
BTN_RULINGS = "✅ Duyệt câu trả lời"
BTN_INVITE = "🔗 Mời người dùng"

_ASK = ("ask", BTN_ASK, "gõ câu hỏi bằng tiếng Việt (có dấu hoặc không), hoặc mã như «tc 3.4.1»")
_BROWSE = ("browse", BTN_BROWSE, "cây tiêu chí, từ lĩnh vực đến tiêu chí thành phần")
_DEADLINES = ("deadlines", BTN_DEADLINES, "các mốc thời hạn và số ngày còn lại")
_SCORE = ("score", BTN_SCORE, "tự chấm các tiêu chí của phòng; lưu từng câu, dừng rồi làm tiếp")
_ESCALATE = ("escalate", BTN_ESCALATE, "hỏi Sở phụ trách khi hỏi đáp chưa có câu trả lời")

ROLE_JOURNEYS: dict[str, list[tuple[str, str, str]]] = {
    "guest": [_ASK, _BROWSE, _DEADLINES],
    "officer": [
        _SCORE,
        _ASK,
        _ESCALATE,
        ("tickets", BTN_MY_TICKETS, "câu đã hỏi Sở của bạn và đơn vị: xem trả lời, hỏi tiếp"),
        _DEADLINES,
    ],
    "coordinator": [
        ("progress", BTN_PROGRESS, "tiến độ từng phòng, trả lại để sửa, khóa và xuất XLSX/CSV"),
        ("questions", BTN_QUESTIONS, "câu hỏi chưa có lời đáp — trả lời, gửi lên Sở hoặc bỏ qua"),
        ("rulings", BTN_RULINGS, "đưa câu trả lời của Sở vào hỏi đáp cho mọi người"),
        ("invite", BTN_INVITE, "đường dẫn mời cán bộ các phòng đăng ký"),
        _SCORE,
    ],
    "contact": [
        (
            "tickets",
            BTN_OPEN_TICKETS,
            "câu hỏi các đơn vị gửi Sở của bạn — trả lời, hỏi thêm, chuyển Sở khác",
        ),
        _BROWSE,
        _ASK,
    ],
    "admin": [
        ("progress", BTN_PROGRESS, "tiến độ chấm điểm của từng đơn vị"),
        ("tickets", BTN_OPEN_TICKETS, "mọi phiếu hỏi Sở đang chờ trả lời"),
        ("questions", BTN_QUESTIONS, "câu hỏi chưa có lời đáp của mọi đơn vị"),
        ("rulings", BTN_RULINGS, "đưa câu trả lời của Sở vào hỏi đáp"),
        ("invite", BTN_INVITE, "mời điều phối, cán bộ và đầu mối Sở"),
    ],
}
_ACTION_COMMAND = {
    "ask": None,
    "browse": "tieuchi",
    "deadlines": "hanchot",
    "score": "chamdiem",
    "escalate": "hoiso",
    "tickets": "phieu",
    "progress": "tiendo",
    "questions": "cauhoi",
    "rulings": "duyet",
    "invite": "moi",
}


def help_text(role: str) -> str:
    """/trogiup: the role's 3–5 journeys, one line each, with the command that opens it."""
    lines = [f"<b>Trợ lý CCHC — bạn là {ROLE_NAMES.get(role, role)}</b>", ""]
    for action, button, what in ROLE_JOURNEYS.get(role, ROLE_JOURNEYS["guest"]):
        command = _ACTION_COMMAND.get(action)
        label = button.split(" ", 1)[1]
        lines.append(f"• <b>{label}</b>" + (f" (/{command})" if command else "") + f": {what}.")
    if role == "guest":
        lines += [
            "",
            "Muốn chấm điểm cho phòng của mình? Hãy xin đường dẫn mời từ Phòng Nội vụ.",
            "Đơn vị cấp xã hay cấp huyện? Gõ /capdo để tra cứu đúng bộ tiêu chí của cấp mình.",
        ]
    lines += ["", "Bấm một nút bên dưới. /huy hủy thao tác đang làm, /start về menu chính."]
    return "\n".join(lines)


MENU_PROMPT_ASK = (
    "Hãy gõ câu hỏi của bạn, ví dụ: «Tỷ lệ hồ sơ đúng hạn tính thế nào?» hoặc «tc 3.4.1»."
)
CANCELLED = "Đã hủy thao tác. Những gì đã lưu trước đó vẫn được giữ nguyên."
NOTHING_TO_CANCEL = "Không có thao tác nào đang làm dở."
UNKNOWN_COMMAND = (
    "Lệnh không rõ hoặc bạn chưa có quyền dùng lệnh này. Gõ /trogiup để xem hướng dẫn."
)
STALE_BUTTON = "Nút này đã hết hiệu lực. Gõ /start để mở lại menu."
FORBIDDEN_BUTTON = "Bạn không có quyền thực hiện thao tác này."
ERROR = (
    "⚠️ Xin lỗi, đã có lỗi xảy ra khi xử lý yêu cầu. Thao tác đang làm dở vẫn được giữ; "
    "bạn hãy thử lại sau ít phút."
)
NOT_TEXT = "Tôi chỉ hiểu tin nhắn dạng chữ ở bước này. Hãy gõ câu hỏi hoặc dùng /start."
PRIVATE_ONLY = (
    "🔒 Tôi chỉ làm việc trong trò chuyện riêng: hãy nhắn riêng cho @{username} để được hỗ trợ."
)
FLOOD = "⏳ Bạn gửi nhanh quá, chậm lại một chút nhé."

# --- Ask ---------------------------------------------------------------------------------
ASK_CLARIFY = "🤔 Tôi chưa chắc bạn hỏi điều gì. <b>Có phải bạn hỏi…</b>"
ASK_NONE = (
    "😔 Xin lỗi, tôi <b>chưa có câu trả lời</b> cho câu hỏi này trong bộ tài liệu hỏi đáp. "
    "Bạn có thể gửi câu hỏi lên Sở để được trả lời chính thức."
)
ASK_ESCALATE_HINT = "⚠️ Nội dung này phụ thuộc hướng dẫn của tỉnh — nên hỏi Sở Nội vụ để chắc chắn."
BTN_NOT_THIS = "Không phải — hỏi Sở"
BTN_SEND_PROVINCE = "📨 Gửi câu hỏi lên Sở"
BTN_UP = "👍 Hữu ích"
BTN_DOWN = "👎 Chưa đúng"
ASK_RELATED = "Câu hỏi liên quan:"
FEEDBACK_THANKS_UP = "Cảm ơn bạn đã đánh giá!"
FEEDBACK_THANKS_DOWN = "Cảm ơn bạn! Câu trả lời này sẽ được xem lại."
NO_WORDS = (
    "✏️ Tôi chưa thấy câu hỏi nào. Hãy gõ bằng chữ, ví dụ «tỷ lệ hồ sơ đúng hạn» hoặc «tc 3.4.1»."
)
QUESTION_TOO_LONG = "Câu hỏi quá dài (tối đa 1000 ký tự). Hãy viết gọn lại."


# A sub-criterion named "tiêu chí 3.4.1" in curated text (knowledge entries): shown as
# "tiêu chí thành phần 3.4.1", one name per level of the tree. Only three-part codes are
# unambiguous ("tiêu chí 2 điểm" is no area); the stored text, which search reads, is kept.
_SUB_CRITERION = re.compile(r"\b([Tt])iêu chí (\d+\.\d+\.\d+)(?![.\d])")


def level_words(text: str) -> str:
    """``text`` with every sub-criterion called by its level's name (before escaping)."""
    return _SUB_CRITERION.sub(r"\1iêu chí thành phần \2", text)


_CUSTOM = "thông lệ"
_DOC_KINDS = {
    "NĐ": "Nghị định số",
    "TT": "Thông tư số",
    "QĐ": "Quyết định số",
    "NQ": "Nghị quyết số",
}
SOURCE_CUSTOM_ONLY = (
    "cách làm phổ biến ở các đơn vị, chưa có văn bản nêu riêng — nên đối chiếu hướng dẫn của tỉnh"
)
SOURCE_CUSTOM_TOO = "và cách làm phổ biến ở các đơn vị"


def _document(part: str) -> str:
    kind, _, rest = part.partition(" ")
    return f"{_DOC_KINDS[kind]} {rest}" if kind in _DOC_KINDS and rest else part


def source_line(source: str) -> str:
    """ "Nguồn: …" naming documents by their full kind ("NĐ 60/2021" is "Nghị định số …");
    the knowledge base's "thông lệ" (practice) is said in words, never as a source name."""
    parts = [p.strip() for p in source.split(";") if p.strip()]
    documents = [_document(p) for p in parts if p.lower() != _CUSTOM]
    custom = len(documents) < len(parts)
    if not documents:
        text = SOURCE_CUSTOM_ONLY if custom else source
    else:
        text = "; ".join(documents) + (f"; {SOURCE_CUSTOM_TOO}" if custom else "")
    return f"<i>Nguồn: {escape(text)}</i>"


# --- Ask: coordinators' list of unresolved questions (/cauhoi) -------------------------------
QUESTIONS_NONE = "✅ Không có câu hỏi nào đang chờ: mọi câu hỏi đều đã có câu trả lời."
QUESTIONS_NO_UNIT = (
    "Tài khoản của bạn chưa gắn với đơn vị nào nên không xem được câu hỏi của đơn vị."
)
QUESTIONS_BAD_PAGE = "Trang này không tồn tại. Gõ /cauhoi để xem lại danh sách."
QUESTION_LABELS = {
    "answer": "đã trả lời",
    "clarify": "đã gợi ý câu gần đúng",
    "none": "chưa có câu trả lời",
}
QUESTION_FLAG_DOWN = "👎 người hỏi thấy chưa đúng"
QUESTION_FLAG_PROVINCE = "📨 cần hỏi Sở"


def question_item(when: str, decision: str, flags: list[str], code: str | None, text: str) -> str:
    status = ", ".join([QUESTION_LABELS.get(decision, decision), *flags])
    about = f" · {level_name(escape(code))} {escape(code)}" if code else ""
    return f"🕑 <b>{escape(when)}</b> · {status}{about}\n{escape(text)}"


def questions_page(items: list[str], total: int, page: int, pages: int, everyone: bool) -> str:
    scope = "tất cả đơn vị" if everyone else "đơn vị của bạn"
    head = f"📋 <b>Câu hỏi cần xử lý</b> ({scope}): {total} câu, mới nhất trước."
    if pages > 1:
        head += f" Trang {page + 1}/{pages}."
    return "\n\n".join([head, *items])


# --- Invites (coordinators, admins) -----------------------------------------------------------
INVITE_CHOOSE_ROLE = "🔗 <b>Tạo đường dẫn mời</b>\nNgười được mời sẽ có vai trò gì?"
INVITE_CHOOSE_UNIT = "Mời vào đơn vị nào?"
INVITE_CHOOSE_DEPARTMENT = "Chọn phòng/bộ phận của người được mời:"
INVITE_CHOOSE_SO = "Chọn Sở của đầu mối:"
INVITE_NO_UNITS = (
    "Chưa có đơn vị nào. Người vận hành cần tạo đơn vị trước: "
    '<code>cchc-bot unit add MÃ "Tên đơn vị"</code>.'
)
INVITE_NEEDS_UNIT = "Tài khoản của bạn chưa gắn với đơn vị nào nên không thể mời cán bộ."
INVITE_USE_BUTTONS = "Hãy chọn bằng các nút bên trên, hoặc gõ /huy để hủy."
BTN_ROLE_OFFICER = "Cán bộ phòng chuyên môn"
BTN_ROLE_COORDINATOR = "Điều phối (Phòng Nội vụ)"
BTN_ROLE_CONTACT = "Đầu mối Sở"


def invite_ready(
    link: str, role: str, unit: str | None, department: str | None, until: str
) -> str:
    target = ", ".join(x for x in (ROLE_NAMES.get(role, role), unit, department) if x)
    return (
        f"✅ Đường dẫn mời ({escape(target)}), dùng một lần, hết hạn lúc {escape(until)}:\n"
        f"{escape(link)}\n\nHãy gửi riêng đường dẫn này cho đúng người được mời."
    )
