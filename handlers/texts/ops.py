"""Texts of the operators' commands (admins only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.status import Status


def _uptime(value: timedelta) -> str:
    minutes = int(value.total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = ([f"{days} ngày"] if days else []) + ([f"{hours} giờ"] if days or hours else [])
    return " ".join([*parts, f"{minutes} phút"])


def _reach(ok: bool | None, unused: str) -> str:
    if ok is None:
        return unused
    return "✅ kết nối được" if ok else "❌ KHÔNG kết nối được"


def _count(value: int | None) -> str:
    return "không rõ (không đọc được cơ sở dữ liệu)" if value is None else str(value)


def status(s: Status, tz: ZoneInfo, now: datetime) -> str:
    if s.last_reminder_at is None:
        reminder = "chưa có lần nào" if s.database_ok else "không rõ"
    else:
        when = s.last_reminder_at.astimezone(tz).strftime("%H:%M %d/%m/%Y")
        reminder = f"{when} ({s.reminders_last_day or 0} lượt nhắc trong 24 giờ qua)"
    if s.reminder_run_at is None:
        run = "chưa chạy trong tiến trình này"
    else:
        run = s.reminder_run_at.astimezone(tz).strftime("%H:%M %d/%m/%Y")
    outbox = _count(s.outbox_pending)
    if s.outbox_failed:
        outbox += f" (và {s.outbox_failed} tin gửi không được)"
    lines = [
        "🩺 <b>Trạng thái hệ thống</b>",
        f"Phiên bản: <b>{s.version}</b>",
        f"Thời gian chạy: {_uptime(s.uptime)}",
        f"Cơ sở dữ liệu: {_reach(s.database_ok, '')}",
        f"Redis: {_reach(s.redis_ok, 'không dùng (trạng thái hội thoại lưu trong CSDL)')}",
        f"Tin chờ gửi: {outbox}",
        f"Phiếu hỏi Sở đang mở: {_count(s.tickets_open)}",
        f"Lần nhắc hạn gần nhất: {reminder}",
        f"Lần kiểm tra nhắc hạn gần nhất: {run}",
        f"<i>Giờ hệ thống: {now.astimezone(tz).strftime('%H:%M %d/%m/%Y')}</i>",
    ]
    return "\n".join(lines)
