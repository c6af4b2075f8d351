"""Settings from the environment and an optional ``.env`` file.

Nothing is read at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.workhours import Periods, parse_days, parse_periods

_TOKEN = re.compile(r"^[0-9]{3,}:[A-Za-z0-9_-]{5,}$")
# What Telegram accepts as a webhook secret_token.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Files of the time zone database that are no IANA zone: "localtime" is the host's zone (a
# setting that silently means "whatever this machine says"), the others are artefacts.
_PSEUDO_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _known_zones() -> frozenset[str]:
    """The IANA zone names of the time zone database (read once: it walks the files)."""
    return frozenset(available_timezones()) - _PSEUDO_ZONES


def shown(value: str, limit: int = 60) -> str:
    """``value`` as it may appear in a one-line message (settings, command-line arguments):
    unprintable characters escaped (``\\x07``), cut at ``limit`` characters."""
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in value)
    return text if len(text) <= limit else text[:limit] + "…"


class SettingsError(Exception):
    """A missing or invalid setting; the message is one line and never contains a secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    bot_token: SecretStr | None = None
    database_url: str | None = None
    redis_url: str | None = None
    telegram_api_url: str | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: str = "INFO"
    data_dir: Path = Path("data")
    criteria_dir: Path | None = None
    routing_file: Path | None = None
    knowledge_dir: Path | None = None
    lexicon_file: Path | None = None
    # The criteria set in use when several are loaded (e.g. huyen-2021); see docs/DATA.md.
    default_set: str | None = None
    bot_username: str = "TroLyCCHCBot"
    invite_ttl_hours: Annotated[int, Field(gt=0, le=24 * 90)] = 72
    webhook_url: str | None = None
    webhook_path: str = "/telegram"
    webhook_host: str = "127.0.0.1"
    webhook_port: Annotated[int, Field(gt=0, lt=65536)] = 8080
    webhook_secret: SecretStr | None = None
    # Escalate: working hours (Mon–Fri, office hours) before an unanswered ticket is reminded
    # (then escalated to Sở Nội vụ and the admins after twice as long).
    ticket_response_hours: Annotated[float, Field(gt=0, le=1000)] = 16
    # The working hours that count (local periods of a day, and ISO weekdays: 1 is Monday).
    working_hours: str = "07:30-11:30,13:00-17:00"
    working_days: str = "1-5"
    # How often the ticket reminder job looks for overdue tickets. The default suits any
    # deployment (response times are hours); a few seconds only in tests.
    ticket_reminder_interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    # Deadlines journey: local hour reminders go out at, and the outbox's global send rate.
    reminder_hour: int = 8
    outbox_rate: float = 28.0
    # Exports: the CSV dialect when none is asked for ("excel-vn": ";" and "," decimals).
    export_csv_dialect: Literal["standard", "excel-vn"] = "standard"
    # Flood control per user: at most FLOOD_MAX_UPDATES messages and button presses within
    # FLOOD_WINDOW_SECONDS (0 turns it off); beyond, one friendly notice, then silence.
    flood_max_updates: Annotated[int, Field(ge=0, le=1000)] = 20
    flood_window_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0
    # Start-up: the Bot API, the database and Redis are retried with a doubling delay, up to
    # this many seconds between attempts, until they answer (or the process is stopped).
    startup_retry_max_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0
    # PostgreSQL connections per process: kept open, and extra ones opened under load. An
    # update takes a connection per transaction; 50 concurrent updates queued for SQLAlchemy's
    # default 5 + 10 until some waited past DB_POOL_TIMEOUT_SECONDS and failed. Every
    # process may open DB_POOL_SIZE + DB_MAX_OVERFLOW: keep the sum over processes under the
    # server's max_connections (100 by default).
    db_pool_size: Annotated[int, Field(ge=1, le=500)] = 20
    db_max_overflow: Annotated[int, Field(ge=0, le=500)] = 20
    db_pool_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 60.0

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not _TOKEN.match(text.strip()):
            raise ValueError("BOT_TOKEN không đúng dạng <số>:<chuỗi> do BotFather cấp")
        return text.strip()

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admins(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s;]+", value.strip()) if p]
            try:
                return tuple(int(p) for p in parts)
            except ValueError:
                raise ValueError(
                    "ADMIN_IDS phải là các số Telegram ID cách nhau bởi dấu phẩy"
                ) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        problem = ValueError(
            f"TIMEZONE không hợp lệ: {shown(value) if value.strip() else '(để trống)'} "
            "(cần tên múi giờ IANA như Asia/Ho_Chi_Minh)"
        )
        known = _known_zones()
        # Only real zone names: a folder of the database ("Asia") or a name too long for a
        # file name fail with an OSError in ZoneInfo, not with ZoneInfoNotFoundError. Without
        # any database to list (no zone would load anyway), ZoneInfo alone decides.
        if value in _PSEUDO_ZONES or (known and value not in known):
            raise problem
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise problem from None
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL phải là DEBUG, INFO, WARNING, ERROR hoặc CRITICAL")
        return level

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not _WEBHOOK_SECRET.match(text):
            raise ValueError(
                "WEBHOOK_SECRET phải dài 1–256 ký tự, chỉ gồm chữ Latinh không dấu, số, _ và -"
            )
        return text

    @field_validator("reminder_hour")
    @classmethod
    def _reminder_hour(cls, value: int) -> int:
        if not 0 <= value <= 20:
            raise ValueError("REMINDER_HOUR phải là giờ địa phương từ 0 đến 20 (mặc định 8)")
        return value

    @field_validator("working_hours")
    @classmethod
    def _working_hours(cls, value: str) -> str:
        try:
            parse_periods(value)
        except ValueError:
            raise ValueError(
                "WORKING_HOURS phải là các khoảng giờ tăng dần như 07:30-11:30,13:00-17:00"
            ) from None
        return value

    @field_validator("working_days")
    @classmethod
    def _working_days(cls, value: str) -> str:
        try:
            parse_days(value)
        except ValueError:
            raise ValueError(
                "WORKING_DAYS phải là các thứ trong tuần từ 1 (thứ Hai) đến 7 (Chủ nhật), "
                "như 1-5 hoặc 1,2,3,4,5,6"
            ) from None
        return value

    @field_validator("outbox_rate")
    @classmethod
    def _outbox_rate(cls, value: float) -> float:
        if not 0 < value <= 30:
            raise ValueError(
                "OUTBOX_RATE phải lớn hơn 0 và không quá 30 tin/giây (giới hạn của Telegram)"
            )
        return value

    @field_validator(
        "database_url",
        "redis_url",
        "telegram_api_url",
        "webhook_url",
        "default_set",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _db(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgres://", "postgresql://")):
            # Plain PostgreSQL URLs (as hosting providers give them) use the async driver.
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "DATABASE_URL phải bắt đầu bằng sqlite+aiosqlite:// hoặc postgresql+asyncpg://"
            )
        return value

    @property
    def db_url(self) -> str:
        """The database URL in use: DATABASE_URL, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'cchc.db').resolve()}"

    @property
    def is_embedded_db(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def working_periods(self) -> Periods:
        return parse_periods(self.working_hours)

    @property
    def working_weekdays(self) -> frozenset[int]:
        return parse_days(self.working_days)

    def webhook_problem(self) -> str | None:
        """Why webhook mode cannot start safely (one line), or None."""
        if not self.webhook_url:
            return "Lỗi cấu hình: chế độ webhook cần WEBHOOK_URL (địa chỉ công khai)."
        if self.webhook_secret is None:
            return (
                "Lỗi cấu hình: chế độ webhook cần WEBHOOK_SECRET (1–256 ký tự A-Z, a-z, 0-9, _ -) "
                "để chỉ nhận cập nhật thật từ Telegram."
            )
        if self.webhook_path == "/healthz":
            return "Lỗi cấu hình: WEBHOOK_PATH không được là /healthz (địa chỉ kiểm tra sức khỏe)."
        return None

    def secrets(self) -> list[str]:
        """Values that must never reach any output: the token (and its secret half), the
        webhook secret, and the passwords in DATABASE_URL and REDIS_URL, also URL-encoded."""
        found: list[str] = []
        if self.bot_token is not None:
            token = self.bot_token.get_secret_value()
            found += [token, token.partition(":")[2]]
        if self.webhook_secret is not None:
            found.append(self.webhook_secret.get_secret_value())
        for url in (self.database_url, self.redis_url):
            password = urlsplit(url).password if url else None
            if password:
                found += [password, unquote(password)]
        out: set[str] = set()
        for secret in found:
            if len(secret) >= 4:  # a shorter "secret" would blank out ordinary words
                out |= {secret, quote(secret, safe=""), quote(secret)}
        # Longest first, so that no shorter secret breaks a longer one apart.
        return sorted(out, key=len, reverse=True)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raise :class:`SettingsError` with one clear line on a bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        parts = []
        for err in exc.errors(include_url=False, include_input=False):
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            message = err["msg"].removeprefix("Value error, ")
            parts.append(message if name in message else f"{name}: {message}")
        raise SettingsError("Lỗi cấu hình: " + "; ".join(parts)) from None
