"""The pure domains never import aiogram or SQLAlchemy, and nothing happens at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("aiogram", "sqlalchemy", "aiohttp", "bot", "handlers")


@pytest.mark.parametrize("package", ["criteria", "knowledge"])
def test_pure_domain_imports(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_handlers_do_not_touch_sql_or_yaml() -> None:
    offenders = []
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for needle in ("import yaml", "from sqlalchemy import", "import rapidfuzz", "select("):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def test_importing_does_not_load_settings_or_data() -> None:
    code = (
        "import sys, bot.app, bot.cli, handlers, criteria.loader, knowledge.search\n"
        "import bot.settings as s\n"
        "assert not any(isinstance(v, s.Settings) for m in list(sys.modules.values())"
        " for v in vars(m).values() if m and m.__name__.startswith(('bot', 'handlers'))), 'x'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"BOT_TOKEN": "broken token", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    # An invalid BOT_TOKEN in the environment must not matter until settings are loaded.
    assert done.returncode == 0, done.stderr


def _imports(path: Path) -> list[str]:
    """Absolute module names imported anywhere in ``path`` (late imports included)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{a.name}" for a in node.names)
    return names


# The app assembly registers the routers and hands the jobs to the runner: the one module of
# bot/ allowed to import the layers above it.
ASSEMBLY = {"bot/app.py"}


def test_bot_does_not_import_handlers_or_jobs() -> None:
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ASSEMBLY:
            continue
        for name in _imports(path):
            if name.split(".")[0] in ("handlers", "jobs"):
                offenders.append(f"{rel}: {name}")
    assert offenders == []


def _defines_router(module: str) -> bool:
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.is_file():
        return False
    return "Router(" in path.read_text(encoding="utf-8")


def test_jobs_need_no_telegram_handler_module() -> None:
    """Background jobs render through router-free modules (texts, callbacks, notices)."""
    offenders = []
    for path in sorted((ROOT / "jobs").rglob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] == "handlers" and _defines_router(name):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []
    assert not _defines_router("handlers.notices")
    assert _defines_router("handlers.tickets")  # the check itself can see a router


def test_keyboards_come_from_the_cheap_builder() -> None:
    """aiogram's InlineKeyboardBuilder deep-copies every button on each call: handlers use
    handlers/keyboards.py, which shares the (frozen) buttons."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "handlers").rglob("*.py"))
        if path.name != "keyboards.py" and "aiogram.utils.keyboard" in _imports(path)
    ]
    assert offenders == []


def test_aiogram_types_are_built_when_first_used() -> None:
    """After start-up imports only the models in use are built (bot/lazymodels.py): the
    others are complete on demand and validate as before."""
    code = (
        "import bot.app, aiogram.types as t\n"
        "from bot.lazymodels import warm_up\n"
        "warm_up()\n"
        "models = [getattr(t, n) for n in t.__all__ if hasattr(getattr(t, n), 'model_rebuild')]\n"
        "built = [m for m in models if m.__pydantic_complete__]\n"
        "assert 0 < len(built) < len(models) / 2, (len(built), len(models))\n"
        "assert not t.Venue.__pydantic_complete__\n"
        "v = t.Venue.model_validate({'location': {'latitude': 10.5, 'longitude': 106.7},"
        " 'title': 'UBND', 'address': 'Số 1'})\n"
        "assert v.location.latitude == 10.5 and t.Venue.__pydantic_complete__\n"
        "for m in models: m.model_rebuild()\n"
        "assert all(m.__pydantic_complete__ for m in models)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr
