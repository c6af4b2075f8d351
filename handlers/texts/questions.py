"""Texts of the coordinators' list of unresolved questions (/cauhoi) and its actions."""

from __future__ import annotations

from html import escape

from criteria.schema import node_label

BTN_FROM_KB = "📖 Trả lời từ hỏi đáp"
BTN_TO_PROVINCE = "📨 Gửi lên Sở thay người hỏi"
BTN_DISMISS = "🗑 Bỏ qua"
BTN_BACK = "« Danh sách câu hỏi"
GONE = "Câu hỏi này đã được xử lý hoặc không thuộc đơn vị của bạn. Gõ /cauhoi để xem lại."
LIST_HINT = "Bấm vào một câu hỏi để trả lời từ hỏi đáp, gửi lên Sở hoặc bỏ qua."
NO_MATCH = "Hỏi đáp chưa có mục nào gần với câu hỏi này. Bạn có thể gửi lên Sở thay người hỏi."
CHOOSE_ANSWER = "Chọn mục hỏi đáp sẽ gửi cho người hỏi:"


def question_button(number: int, when: str, text: str) -> str:
    short = " ".join(text.split())
    short = short if len(short) <= 40 else short[:39].rstrip() + "…"
    return f"{number}. {when} · {short}"


def question_view(when: str, status: str, asker: str, code: str | None, text: str) -> str:
    about = f"\nVề: <b>{node_label(escape(code))}</b>" if code else ""
    return (
        f"🙋 <b>Câu hỏi của {escape(asker)}</b> · {escape(when)}\n"
        f"Tình trạng: {status}{about}\n\n❓ {escape(text)}"
    )


def answer_for_asker(question: str, body: str) -> str:
    """What the asker receives when a coordinator answers from the knowledge base."""
    return f"📬 <b>Trả lời câu hỏi của bạn</b>\n«{escape(question)}»\n\n{body}"


def answered(sent_to: str) -> str:
    return f"✅ Đã gửi câu trả lời cho {escape(sent_to)}. Câu hỏi được bỏ khỏi danh sách."


def sent_on(ticket: int, department: str) -> str:
    return (
        f"📨 Đã gửi câu hỏi lên <b>{escape(department)}</b> (phiếu #{ticket}) thay người hỏi. "
        "Câu trả lời của Sở sẽ được chuyển thẳng cho người hỏi."
    )


def sent_on_for_asker(ticket: int, department: str, question: str) -> str:
    return (
        f"📨 Câu hỏi của bạn «{escape(question)}» đã được gửi lên <b>{escape(department)}</b> "
        f"(phiếu #{ticket}). Khi Sở trả lời, bot sẽ nhắn lại cho bạn tại đây."
    )


DISMISSED = "🗑 Đã bỏ qua câu hỏi này; nó không còn trong danh sách."
GUEST = "khách chưa đăng ký"
OFFICER = "cán bộ {unit}"
