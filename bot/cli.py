"""The command line: ``cchc-bot run | console | check | ask | set | invite | unit | export``, …"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import re
import socket
import sys
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError, load_settings, shown

if TYPE_CHECKING:
    from criteria.loader import Catalogue

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2

# ``invite --hours``: as long as INVITE_TTL_HOURS may be (bot/settings.py), 90 days.
MAX_INVITE_HOURS = 24 * 90
# ``export --year``: no assessment has a year outside these (nor could a database column hold
# every number typed).
MIN_YEAR = 1
MAX_YEAR = 9999
# ``unit add``: the code names export files (bot/export.py::filename), so it is kept to a safe
# ASCII alphabet; the lengths are the columns' (bot/db/models.py::Unit).
MAX_UNIT_CODE = 64
MAX_UNIT_NAME = 255
UNIT_CODE_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_UNIT_CODE - 1}}}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cchc-bot", description="Trợ lý CCHC — Telegram bot for the PAR self-assessment"
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")

    console = sub.add_parser(
        "console", help="chat with the bot in the terminal (no Telegram needed)"
    )
    console.add_argument(
        "--fresh",
        action="store_true",
        help="start from an empty temporary database (default: DATA_DIR/console.db)",
    )

    check = sub.add_parser("check", help="validate the data files (exit 0, or 2 with errors)")
    check.add_argument("paths", nargs="*", type=Path, help="files or directories (default: all)")

    ask = sub.add_parser("ask", help="answer a question from the command line")
    ask.add_argument("question", help="the question, or - to read one per line from stdin")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument(
        "--top", default="3", help="number of results, 1 or more (default 3, at most 20)"
    )
    ask.add_argument("--set", dest="set_id", help="criteria set id (default: DEFAULT_SET)")

    cset = sub.add_parser("set", help="criteria sets")
    cset_sub = cset.add_subparsers(dest="set_command", required=True)
    cset_sub.add_parser("list", help="list the loaded criteria sets")

    year = sub.add_parser("year", help="assessment years: the yearly rollover")
    year_sub = year.add_subparsers(dest="year_command", required=True)
    year_open = year_sub.add_parser(
        "open",
        help="open a year on a set: the units of the set's level are assessed on it, their "
        "earlier assessments are closed (kept read-only)",
    )
    year_open.add_argument("year", type=int)
    year_open.add_argument("--set", dest="set_id", required=True, help="criteria set id")
    year_open.add_argument(
        "--kind", help="the units' level it is meant for (checked against the set's level)"
    )
    year_sub.add_parser("list", help="the years opened, per level, and the set in use")

    invite = sub.add_parser("invite", help="print a one-time registration deep link")
    invite.add_argument(
        "--role", required=True, choices=["officer", "coordinator", "contact"], help="role"
    )
    invite.add_argument("--unit", help="unit code (officer, coordinator)")
    invite.add_argument("--department", help="department code (e.g. TP, or SNV for a contact)")
    invite.add_argument(
        "--hours",
        help=f"validity in hours, 1 to {MAX_INVITE_HOURS} (default INVITE_TTL_HOURS)",
    )

    unit = sub.add_parser("unit", help="manage units (districts, communes)")
    unit_sub = unit.add_subparsers(dest="unit_command", required=True)
    add = unit_sub.add_parser("add", help="add a unit (an existing code needs --update)")
    add.add_argument(
        "code",
        help="ASCII letters, digits, '-', '_', '.'; starts with a letter or digit; at most "
        f"{MAX_UNIT_CODE} characters (it names export files)",
    )
    add.add_argument("name", help=f"the unit's name, one line, at most {MAX_UNIT_NAME} characters")
    add.add_argument(
        "--kind", default="huyen", help="the unit's level: one the sets declare (huyen, xa…)"
    )
    add.add_argument(
        "--update", action="store_true", help="rename (or change the kind of) an existing unit"
    )
    unit_sub.add_parser("list", help="list units")

    export = sub.add_parser("export", help="export a unit's assessment (XLSX or CSV)")
    export.add_argument("--unit", required=True, help="unit code")
    export.add_argument(
        "--year",
        type=int,
        default=0,
        help=f"assessment year, {MIN_YEAR} to {MAX_YEAR} (default: the unit's current year)",
    )
    export.add_argument(
        "--format",
        choices=["xlsx", "csv"],
        default=None,
        help="must agree with the extension of -o (which decides)",
    )
    export.add_argument(
        "--csv-dialect",
        choices=["standard", "excel-vn"],
        default=None,
        help='CSV: "standard" (, and .) or "excel-vn" (; and , decimals); '
        "default EXPORT_CSV_DIALECT",
    )
    export.add_argument("-o", "--output", required=True, type=Path, help="file to write")

    kb = sub.add_parser("kb", help="knowledge base: rulings approved in the bot")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_export = kb_sub.add_parser("export", help="approved rulings as knowledge-entry YAML")
    kb_export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations")
    return p


def _print_issues(issues: Sequence[object]) -> None:
    for issue in issues:
        print(issue, file=sys.stderr)


def cmd_check(settings: Settings, paths: list[Path]) -> int:
    from bot.data import check_paths

    issues, count = check_paths(paths, settings)
    if issues:
        _print_issues(issues)
        print(f"{len(issues)} lỗi trong dữ liệu ({count} tệp đã kiểm tra).", file=sys.stderr)
        return EXIT_USAGE
    print(f"Dữ liệu hợp lệ: {count} tệp đã kiểm tra.")
    return EXIT_OK


MAX_TOP = 20


def _top(value: str) -> int | None:
    """``--top`` as typed: a whole number from 1; None when it is not one."""
    try:
        top = int(value.strip())
    except ValueError:
        return None
    return top if top >= 1 else None


def _hours(value: str) -> int | None:
    """``invite --hours`` as typed: a whole number from 1 to MAX_INVITE_HOURS, else None."""
    try:
        hours = int(value.strip())
    except ValueError:
        return None
    return hours if 1 <= hours <= MAX_INVITE_HOURS else None


def _hours_problem(value: str) -> str:
    return (
        f"Lỗi: --hours phải là số giờ nguyên từ 1 đến {MAX_INVITE_HOURS} "
        f"({MAX_INVITE_HOURS // 24} ngày) (đã nhập «{shown(value, 80)}»)."
    )


def _unit_problem(code: str, name: str) -> str | None:
    """Why ``unit add CODE NAME`` is refused, or None. A name is one line: no control
    characters at all (tabs and line breaks would break ``unit list`` and the exports)."""
    if not code.strip():
        return "Lỗi: mã đơn vị không được để trống."
    if UNIT_CODE_RE.fullmatch(code) is None:
        return (
            f"Lỗi: mã đơn vị «{shown(code, 80)}» không hợp lệ: chỉ gồm chữ cái không dấu, chữ số "
            "và các dấu '-', '_', '.', bắt đầu bằng chữ cái hoặc chữ số, dài tối đa "
            f"{MAX_UNIT_CODE} ký tự (ví dụ: huyen-a)."
        )
    controls = dict.fromkeys(ascii(ch)[1:-1] for ch in name if unicodedata.category(ch) == "Cc")
    if controls:
        return (
            f"Lỗi: tên đơn vị có ký tự điều khiển ({', '.join(controls)}), không in được; "
            "hãy gõ lại tên."
        )
    name = name.strip()
    if not name:
        return "Lỗi: tên đơn vị không được để trống."
    if len(name) > MAX_UNIT_NAME:
        return f"Lỗi: tên đơn vị dài {len(name)} ký tự, tối đa {MAX_UNIT_NAME} ký tự."
    return None


def _utf8(stream: object) -> None:
    """Read and write UTF-8 whatever the locale says (scripts pipe Vietnamese text)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(encoding="utf-8")


def _unknown_set(set_id: str, catalogue: Catalogue) -> str:
    from criteria.loader import describe_sets

    return (
        f"Lỗi: không có bộ tiêu chí mã «{set_id}». "
        f"Các bộ đang có: {describe_sets(catalogue.sets)} (xem: cchc-bot set list)."
    )


def cmd_ask(
    settings: Settings, question: str, as_json: bool, top_text: str, set_id: str | None = None
) -> int:
    from bot.data import load_data
    from knowledge.ask import answer_estimate, answer_json, render_text
    from knowledge.search import SearchResult

    top = _top(top_text)
    if top is None:
        print(
            f"Lỗi: --top phải là một số nguyên từ 1 trở lên (đã nhập «{top_text}»).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    top = min(top, MAX_TOP)
    data = load_data(settings)
    if set_id is not None and set_id not in data.catalogue.sets:
        print(_unknown_set(set_id, data.catalogue), file=sys.stderr)
        return EXIT_USAGE
    index = data.index(set_id)
    _utf8(sys.stdout)
    if question == "-":
        _utf8(sys.stdin)
    lines = sys.stdin if question == "-" else [question]
    for number, line in enumerate(lines):
        # One output line per input line with --json, blank lines included, so that a script
        # can pair them; a byte-order mark at the start of a file is not part of the question.
        text = (line.lstrip("\ufeff") if number == 0 else line).strip()
        if as_json:
            print(json.dumps(answer_json(index, text, top), ensure_ascii=False), flush=True)
            continue
        if question == "-" and not text:
            continue
        result = index.search(text, top=top) if text else SearchResult(text, "none", [])
        print(render_text(result, answer_estimate(index, text, result)), flush=True)
    return EXIT_OK


async def _set_list(settings: Settings) -> str:
    """The loaded sets, one a line: id, level, year, leaves, sample, the units assessed on it
    now (the units of its level, when it is the set in use for that level)."""
    from collections import Counter

    from bot.data import load_data
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.migrate import upgrade
    from bot.services.people import list_units
    from bot.services.years import level_set_year
    from criteria.schema import LEVEL_NAMES

    catalogue = load_data(settings).catalogue
    if settings.is_embedded_db:
        await upgrade(settings.db_url)
    engine = create_engine(settings.db_url)
    users: Counter[str] = Counter()
    try:
        async with create_session_factory(engine)() as session:
            kinds = Counter(u.kind for u in await list_units(session))
            for level, count in kinds.items():
                if any(s.level == level for s in catalogue.sets.values()):
                    users[(await level_set_year(session, catalogue, level)).cset.id] += count
    finally:
        await engine.dispose()
    rows = ["mã\tcấp\tnăm\ttiêu chí\tmẫu\tđơn vị đang dùng\tmặc định"]
    for cset in catalogue.sets.values():
        leaves = cset.leaves()
        survey = sum(1 for c in leaves if c.is_survey)
        rows.append(
            "\t".join(
                [
                    cset.id,
                    LEVEL_NAMES.get(cset.level, cset.level),
                    str(cset.year),
                    f"{len(leaves)} ({survey} điều tra)",
                    "mẫu" if cset.sample else "chính thức",
                    str(users[cset.id]),
                    "mặc định" if cset.id == catalogue.current.id else "",
                ]
            ).rstrip("\t")
        )
    return "\n".join(rows)


async def _year(settings: Settings, args: argparse.Namespace) -> str:
    """``year open``: the rollover of one level; ``year list``: the years opened."""
    from bot.data import load_data
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.migrate import upgrade
    from bot.services import years
    from criteria.schema import LEVEL_NAMES

    catalogue = load_data(settings).catalogue
    if settings.is_embedded_db:
        await upgrade(settings.db_url)
    engine = create_engine(settings.db_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            if args.year_command == "open":
                if args.kind is not None:
                    years.check_level(catalogue, args.kind)
                opened = await years.open_year(
                    session,
                    catalogue,
                    year=args.year,
                    set_id=args.set_id,
                    level=args.kind,
                    actor=None,
                    now=datetime.now(UTC),
                )
                level = LEVEL_NAMES.get(opened.level, opened.level)
                return (
                    f"Đã mở năm đánh giá {opened.year} cho cấp {level}: {opened.units} đơn vị "
                    f"chấm theo bộ {opened.cset.id}; {opened.closed} bản tự đánh giá năm trước "
                    "được khép lại (chỉ xem, xuất tệp). Các tiến trình bot đang chạy nhận thay "
                    "đổi ngay ở tin nhắn kế tiếp."
                )
            rows = ["cấp\tnăm\tbộ tiêu chí\tmở lúc"]
            for row in await years.years(session):
                rows.append(
                    f"{LEVEL_NAMES.get(row.level, row.level)}\t{row.year}\t{row.set_id}\t"
                    f"{row.opened_at.astimezone(settings.tz):%d/%m/%Y %H:%M}"
                )
            for level in years.levels(catalogue):
                now = await years.level_set_year(session, catalogue, level)
                rows.append(
                    f"{LEVEL_NAMES.get(level, level)}\t{now.year}\t{now.cset.id}\tđang dùng"
                )
            return "\n".join(rows)
    finally:
        await engine.dispose()


async def _invite(settings: Settings, args: argparse.Namespace, hours: int) -> str:
    from bot.data import load_data
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.migrate import upgrade
    from bot.services.invites import check_department
    from bot.services.people import Role, create_invite, get_unit, invite_link

    role = Role(args.role)
    catalogue = load_data(settings).catalogue
    if settings.is_embedded_db:
        await upgrade(settings.db_url)
    engine = create_engine(settings.db_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            unit = await get_unit(session, args.unit) if args.unit else None
            # An officer's department is one of the sets of their unit's level.
            level = unit.kind if unit is not None else None
            department = check_department(catalogue, role, args.department, level)
            invite = await create_invite(
                session,
                role=role,
                unit_code=args.unit,
                department=department,
                created_by=None,
                ttl=timedelta(hours=hours),
                now=datetime.now(UTC),
            )
            code, expires = invite.code, invite.expires_at
    finally:
        await engine.dispose()
    local = expires.astimezone(settings.tz).strftime("%H:%M %d/%m/%Y")
    return f"{invite_link(settings.bot_username, code)}\nHết hạn: {local}"


async def _units(settings: Settings, args: argparse.Namespace) -> str:
    from bot.data import load_data
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.migrate import upgrade
    from bot.errors import CchcError
    from bot.services.people import add_unit, get_unit, list_units
    from bot.services.years import check_level

    if args.unit_command == "add":  # a level the loaded sets declare
        check_level(load_data(settings).catalogue, args.kind)
    if settings.is_embedded_db:
        await upgrade(settings.db_url)
    engine = create_engine(settings.db_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            if args.unit_command == "add":
                existing = await get_unit(session, args.code)
                if existing is not None and not args.update:
                    raise CchcError(
                        f"Đã có đơn vị mã {existing.code}: {existing.name}. Không ghi đè; "
                        "muốn đổi tên hoặc loại đơn vị, thêm --update."
                    )
                unit = await add_unit(session, args.code, args.name.strip(), args.kind)
                done = "Đã cập nhật" if existing is not None else "Đã thêm"
                return f"{done} đơn vị {unit.code}: {unit.name}"
            units = await list_units(session)
            return "\n".join(f"{u.code}\t{u.kind}\t{u.name}" for u in units) or "(chưa có)"
    finally:
        await engine.dispose()


async def _export(settings: Settings, args: argparse.Namespace) -> str:
    from bot import export
    from bot.data import load_data
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.migrate import upgrade
    from bot.errors import CchcError, os_reason
    from bot.services.people import UnknownUnit, get_unit
    from bot.services.years import YearRefused, unit_year_set

    fmt = export.format_for(args.output.suffix, args.format)
    dialect = args.csv_dialect or settings.export_csv_dialect
    catalogue = load_data(settings).catalogue
    if settings.is_embedded_db:
        await upgrade(settings.db_url)
    engine = create_engine(settings.db_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            unit = await get_unit(session, args.unit)
            if unit is None:
                raise UnknownUnit(args.unit)
            if args.year and not MIN_YEAR <= args.year <= MAX_YEAR:
                # No assessment has that year: answered as any year without one, before the
                # database is asked (it could not even hold the number).
                raise YearRefused(f"Đơn vị {unit.code} không có bản tự đánh giá năm {args.year}.")
            cset, _ = await unit_year_set(session, catalogue, unit, args.year)
            data = await export.load(session, unit, cset, settings.tz, datetime.now(UTC))
    finally:
        await engine.dispose()
    content = export.render(data, fmt, dialect)
    try:
        args.output.write_bytes(content)
    except OSError as exc:
        raise CchcError(f"Không ghi được tệp {args.output}: {os_reason(exc)}") from exc
    s = data.summary
    return (
        f"Đã xuất {s.scored}/{s.total} tiêu chí đã chấm của {unit.name} (bộ {cset.id}, năm "
        f"đánh giá {data.year}) vào {args.output} "
        f"({fmt.upper()}{', ' + dialect if fmt == 'csv' else ''}, {len(content)} byte)."
    )


async def _kb_export(settings: Settings, args: argparse.Namespace) -> str:
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.migrate import upgrade
    from bot.errors import CchcError, os_reason
    from bot.services.rulings import approved_entries, export_yaml

    # Each ruling says the set it was asked on (sets: [its set]), so that it stays valid
    # beside other sets' codes.
    if settings.is_embedded_db:
        await upgrade(settings.db_url)
    engine = create_engine(settings.db_url)
    try:
        async with create_session_factory(engine)() as session:
            entries = await approved_entries(session)
    finally:
        await engine.dispose()
    text = export_yaml(entries) if entries else "[]\n"
    if args.output is None:
        return text.rstrip("\n")
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CchcError(f"Không ghi được tệp {args.output}: {os_reason(exc)}") from exc
    return f"Đã ghi {len(entries)} câu trả lời đã duyệt vào {args.output}."


# Commands that open the database; an OSError without a file there is the server's.
DATABASE_COMMANDS = frozenset({"set", "year", "invite", "unit", "export", "kb", "db"})
_UNREACHABLE = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN})
_NETWORK_ERRNOS = _UNREACHABLE | {
    errno.ECONNREFUSED,
    errno.ETIMEDOUT,
    errno.ECONNRESET,
    errno.ECONNABORTED,
}


def _is_connection_error(exc: OSError) -> bool:
    """Whether ``exc`` is a failure to reach a server (not a file's)."""
    if exc.filename is not None:
        return False
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror | socket.herror):
        return True
    if exc.errno in _NETWORK_ERRNOS:
        return True
    # asyncio, when every address of a host failed: OSError("Multiple exceptions: …").
    text = str(exc)
    return exc.errno is None and ("Multiple exceptions" in text or "Connect call failed" in text)


def _server(url: str | None) -> tuple[str, str | None, str | None]:
    """``host:port``, user and database of a server's URL (never its password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not url:
        return "", None, None
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "", None, None
    if parsed.get_backend_name() == "sqlite":
        return "", None, parsed.database
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return where, parsed.username, parsed.database


def _named(text: str, word: str) -> str | None:
    """The name the server quoted after ``word`` (``role "x" does not exist`` → x)."""
    found = re.search(rf'\b{word} "([^"]*)"', text)
    return found.group(1) if found else None


def _connection_reason(exc: OSError, where: str, host: str) -> str:
    server = f"tới máy chủ {where}" if where else "tới máy chủ cơ sở dữ liệu"
    check = "Kiểm tra DATABASE_URL và máy chủ cơ sở dữ liệu."
    if isinstance(exc, socket.gaierror | socket.herror):
        return (
            f"không kết nối được: không tìm thấy máy chủ «{host}» (sai tên máy?). "
            "Kiểm tra DATABASE_URL."
        )
    if isinstance(exc, TimeoutError) or exc.errno == errno.ETIMEDOUT:
        return (
            f"không kết nối được {server}: máy chủ không trả lời (hết thời gian chờ). "
            "Kiểm tra DATABASE_URL, mạng và tường lửa."
        )
    text = str(exc)
    if (
        isinstance(exc, ConnectionRefusedError)
        or exc.errno == errno.ECONNREFUSED
        or (exc.errno is None and f"[Errno {errno.ECONNREFUSED}]" in text)
    ):
        return (
            f"không kết nối được {server}: máy chủ từ chối kết nối (chưa chạy, hoặc sai địa "
            f"chỉ hay cổng). {check}"
        )
    if exc.errno in _UNREACHABLE:
        return f"không kết nối được {server}: không có đường mạng tới máy chủ. {check}"
    return f"không kết nối được {server}: kết nối bị ngắt. {check}"


def _database_reason(exc: BaseException, url: str | None = None) -> str:
    """A database failure in Vietnamese, naming the cause when the server said it (its
    SQLSTATE); the driver's English text only at LOG_LEVEL=DEBUG. ``url`` (DATABASE_URL)
    gives the server, user and database to name; its password is never shown."""
    where, user, database = _server(url)
    host = where.rpartition(":")[0] or where
    if isinstance(exc, OSError):
        return _connection_reason(exc, where, host)
    orig = getattr(exc, "orig", None)
    sqlstate = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    server_text = str(orig) if orig is not None else str(exc)
    refused = "máy chủ từ chối kết nối"
    if sqlstate == "28P01":
        name = _named(server_text, "user") or user
        return (
            f"{refused}: sai mật khẩu của người dùng «{name}». Kiểm tra mật khẩu trong "
            "DATABASE_URL."
        )
    if sqlstate == "28000":
        role = _named(server_text, "role")
        if role is not None and "does not exist" in server_text:
            return (
                f"{refused}: không có người dùng (role) «{role}» trên máy chủ. Kiểm tra tên "
                "người dùng trong DATABASE_URL."
            )
        name = _named(server_text, "user") or role or user
        if "pg_hba" in server_text:
            db_name = _named(server_text, "database") or database
            return (
                f"{refused}: người dùng «{name}» không được phép kết nối tới cơ sở dữ liệu "
                f"«{db_name}» từ máy này (xem pg_hba.conf trên máy chủ)."
            )
        return (
            f"{refused}: người dùng «{name}» không được phép đăng nhập. Kiểm tra DATABASE_URL "
            "và quyền của người dùng trên máy chủ."
        )
    if sqlstate == "3D000":
        db_name = _named(server_text, "database") or database
        return (
            f"{refused}: không có cơ sở dữ liệu «{db_name}». Tạo cơ sở dữ liệu trước, hoặc sửa "
            "tên trong DATABASE_URL."
        )
    if sqlstate == "42501" and "for database" in server_text:
        db_name = _named(server_text, "database") or database
        return (
            f"{refused}: người dùng «{user}» không có quyền kết nối tới cơ sở dữ liệu «{db_name}»."
        )
    if sqlstate == "53300":
        return f"{refused}: đã quá số kết nối cho phép. Thử lại sau."
    if sqlstate == "57P03":
        return f"{refused}: máy chủ đang khởi động hoặc đang dừng. Thử lại sau."
    if sqlstate.startswith("08"):
        server = f"tới máy chủ {where}" if where else "tới máy chủ cơ sở dữ liệu"
        return (
            f"không kết nối được {server}: kết nối bị ngắt. Kiểm tra DATABASE_URL và máy chủ "
            "cơ sở dữ liệu."
        )
    text = str(exc).lower()
    if "unable to open database" in text or "readonly database" in text:
        return "không mở hoặc không ghi được tệp cơ sở dữ liệu (kiểm tra DATA_DIR và quyền)."
    if "connect" in text or "refused" in text or "password" in text:
        return "không kết nối được (kiểm tra DATABASE_URL và máy chủ cơ sở dữ liệu)."
    return "thao tác không thành công; chạy lại với LOG_LEVEL=DEBUG để xem chi tiết."


def _run(settings: Settings, *, webhook: bool) -> int:
    from bot.resilience import TokenRejected

    try:
        if webhook:
            problem = settings.webhook_problem()
            if problem:
                print(problem, file=sys.stderr)
                return EXIT_USAGE
            from bot.webhook import run_webhook

            asyncio.run(run_webhook(settings))
        else:
            from bot.app import run_bot

            asyncio.run(run_bot(settings, handle_signals=True))
    except TokenRejected as exc:
        print(exc.user_message, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("Đã dừng bot.", file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE

    from sqlalchemy.exc import SQLAlchemyError

    from bot.errors import CchcError, os_reason
    from bot.logs import setup_logging
    from bot.services.years import BadLevel, UnknownSet, YearRefused
    from criteria.errors import DataError

    setup_logging(settings.log_level, settings.secrets())
    try:
        if args.command == "check":
            return cmd_check(settings, args.paths)
        if args.command == "ask":
            return cmd_ask(settings, args.question, args.json, args.top, args.set_id)
        if args.command == "set":
            print(asyncio.run(_set_list(settings)))
            return EXIT_OK
        if args.command == "year":
            print(asyncio.run(_year(settings, args)))
            return EXIT_OK
        if args.command == "invite":
            hours = settings.invite_ttl_hours if args.hours is None else _hours(args.hours)
            if hours is None:
                print(_hours_problem(args.hours), file=sys.stderr)
                return EXIT_USAGE
            print(asyncio.run(_invite(settings, args, hours)))
            return EXIT_OK
        if args.command == "unit":
            if args.unit_command == "add":
                problem = _unit_problem(args.code, args.name)
                if problem is not None:
                    print(problem, file=sys.stderr)
                    return EXIT_USAGE
            print(asyncio.run(_units(settings, args)))
            return EXIT_OK
        if args.command == "export":
            from bot.export import FormatMismatch, format_for

            try:
                format_for(args.output.suffix, args.format)
            except FormatMismatch as exc:
                print(f"Lỗi: {exc.user_message}", file=sys.stderr)
                return EXIT_USAGE
            print(asyncio.run(_export(settings, args)))
            return EXIT_OK
        if args.command == "kb":
            print(asyncio.run(_kb_export(settings, args)))
            return EXIT_OK
        if args.command == "db":
            from bot.db.migrate import upgrade

            asyncio.run(upgrade(settings.db_url))
            print("Đã cập nhật cơ sở dữ liệu lên phiên bản mới nhất.")
            return EXIT_OK
        if args.command == "console":
            from bot.console import run_console

            asyncio.run(run_console(settings, fresh=args.fresh))
            return EXIT_OK
        if args.command == "run":
            if settings.bot_token is None:
                print(
                    "Lỗi cấu hình: thiếu BOT_TOKEN (lấy từ @BotFather). "
                    "Muốn thử không cần Telegram: cchc-bot console",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            return _run(settings, webhook=args.webhook)
    except DataError as exc:
        _print_issues(exc.issues)
        print("Dữ liệu không hợp lệ: bot không khởi động.", file=sys.stderr)
        return EXIT_USAGE
    except (UnknownSet, YearRefused, BadLevel) as exc:  # bad input: nothing changed
        print(exc.user_message, file=sys.stderr)
        return EXIT_USAGE
    except CchcError as exc:
        print(exc.user_message, file=sys.stderr)
        return EXIT_FAIL
    except OSError as exc:  # a file or folder of the data directory, in Vietnamese
        if (
            args.command in DATABASE_COMMANDS
            and not settings.is_embedded_db
            and _is_connection_error(exc)
        ):  # the database server cannot be reached: not a file's error
            print(f"Lỗi cơ sở dữ liệu: {_database_reason(exc, settings.db_url)}", file=sys.stderr)
            log.debug("Database unreachable", exc_info=exc)
            return EXIT_FAIL
        where = f" {exc.filename}" if exc.filename else ""
        print(f"Lỗi tệp{where}: {os_reason(exc)}.", file=sys.stderr)
        return EXIT_FAIL
    except SQLAlchemyError as exc:
        print(f"Lỗi cơ sở dữ liệu: {_database_reason(exc, settings.db_url)}", file=sys.stderr)
        log.debug("Database error", exc_info=exc)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_USAGE
