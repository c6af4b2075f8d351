"""The deployment files (Dockerfile, compose.yaml, deploy/) agree with the code and README.

They are not run here (no Docker in CI); these checks catch what drifts: a variable that is no
setting, a setting missing from README's table, a package the image does not copy, a command
the CLI does not have.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from bot.cli import _parser
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SETTINGS = {name.upper() for name in Settings.model_fields}
# Variables of the services themselves, not of the bot.
NOT_BOT = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}


def _readme_settings() -> set[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def _compose() -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def test_readme_table_lists_exactly_the_settings() -> None:
    assert _readme_settings() == SETTINGS


def test_compose_bot_services_use_only_real_settings() -> None:
    services = _compose()["services"]
    assert {"bot", "migrate", "postgres", "redis"} <= set(services)
    for name in ("bot", "migrate"):
        env = services[name]["environment"]
        assert isinstance(env, dict), name
        unknown = set(env) - SETTINGS
        assert not unknown, f"{name}: {unknown} are not settings of bot/settings.py"
        assert {"DATABASE_URL", "REDIS_URL"} <= set(env)
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["REDIS_URL"].startswith("redis://")
    bot_env = services["bot"]["environment"]
    assert {"BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_PORT"} <= set(bot_env)
    assert set(services["postgres"]["environment"]) <= NOT_BOT
    # The bot starts after the migrations ran, as docs/DEPLOY.md says.
    assert services["bot"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def test_compose_commands_exist_in_the_cli() -> None:
    services = _compose()["services"]
    for name in ("bot", "migrate"):
        args = _parser().parse_args(services[name]["command"])
        assert args.command in {"run", "db"}
    assert _parser().parse_args(services["bot"]["command"]).webhook is True


@pytest.mark.parametrize(
    "name", ["compose.env.example", "cchc-bot.env.example", "cchc-bot-webhook.env.example"]
)
def test_example_env_files_use_only_real_settings(name: str) -> None:
    keys = set(_env_file(REPO / "deploy" / name))
    unknown = keys - SETTINGS - NOT_BOT
    assert not unknown, unknown
    assert "BOT_TOKEN" in keys


@pytest.mark.parametrize("unit", ["cchc-bot.service", "cchc-bot-webhook@.service"])
def test_systemd_units_run_existing_commands_with_real_settings(unit: str) -> None:
    text = (REPO / "deploy" / unit).read_text(encoding="utf-8")
    exec_start = re.search(r"^ExecStart=(.+)$", text, re.M)
    assert exec_start is not None
    argv = shlex.split(exec_start.group(1))
    assert argv[0].endswith("/cchc-bot")
    assert _parser().parse_args(argv[1:]).command == "run"
    for key in re.findall(r"^Environment=([A-Z_]+)=", text, re.M):
        assert key in SETTINGS, key
    assert "EnvironmentFile=" in text and "Restart=on-failure" in text


def test_dockerfile_copies_every_package_and_runs_the_cli() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = set(re.findall(r"^COPY (\S+) \./\S+$", text, re.M))
    assert packages <= copied, f"the image misses {packages - copied}"
    for key in re.findall(r"^\s*(?:ENV\s+)?([A-Z_]+)=\S+", text, re.M):
        if key not in {
            "PYTHONDONTWRITEBYTECODE",
            "PYTHONUNBUFFERED",
            "PIP_NO_CACHE_DIR",
            "PIP_DISABLE_PIP_VERSION_CHECK",
        }:
            assert key in SETTINGS, key
    assert 'ENTRYPOINT ["cchc-bot"]' in text
    assert "USER cchc" in text  # not root


def test_deploy_doc_covers_both_installs_backups_upgrades_and_logs() -> None:
    doc = (REPO / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    for needle in (
        "deploy/cchc-bot.service",
        "deploy/cchc-bot-webhook@.service",
        "deploy/nginx.conf",
        "compose.yaml",
        "cchc-bot db upgrade",
        "pg_dump",
        ".backup",
        "journalctl",
        "update_id=",
        "/trangthai",
    ):
        assert needle in doc, needle
    for name in re.findall(r"`([A-Z][A-Z0-9_]{3,})`", doc):
        assert name in SETTINGS | NOT_BOT, f"docs/DEPLOY.md names {name}, which is no setting"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "not run in CI" in readme


def _documented_default(value: object) -> str | None:
    """A setting's default as README's table writes it (None: no default to write)."""
    if value is None or value == ():
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _readme_defaults() -> dict[str, str]:
    """README's settings table: variable → its default column (one part per variable)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    out: dict[str, str] = {}
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        cells = line.split("|")
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[1])
        parts = [p.strip() for p in cells[2].split(", ")] if len(names) > 1 else [cells[2].strip()]
        if len(names) > 1 and len(parts) != len(names):  # one default said for all of them
            parts = [cells[2].strip()] * len(names)
        out.update(zip(names, parts, strict=True))
    return out


def test_readme_defaults_are_the_settings_defaults() -> None:
    """Every default README's table gives is the one bot/settings.py has, and a setting
    without a default is not given one."""
    documented = _readme_defaults()
    for name, field in Settings.model_fields.items():
        said = documented[name.upper()]
        default = _documented_default(field.default)
        if default is None:
            # "—" or a description of what happens without it (the shipped data, …), never
            # one value as if it were set.
            assert not re.fullmatch(r"`[^`]*`", said), (name.upper(), said)
        else:
            assert said == f"`{default}`", (name.upper(), said, default)


def test_compose_fallbacks_are_the_settings_defaults() -> None:
    """``${NAME:-value}`` in compose.yaml falls back to the setting's own default."""
    text = (REPO / "compose.yaml").read_text(encoding="utf-8")
    fallbacks = re.findall(r"\$\{([A-Z][A-Z0-9_]+):-([^}]*)\}", text)
    assert fallbacks
    for name, value in fallbacks:
        if name in NOT_BOT:
            continue
        default = _documented_default(Settings.model_fields[name.lower()].default)
        assert (value or None) == default, (name, value, default)


def test_deploy_doc_pool_figures_are_the_defaults() -> None:
    doc = (REPO / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    size = Settings.model_fields["db_pool_size"].default
    overflow = Settings.model_fields["db_max_overflow"].default
    assert f"({size} + {overflow} by default)" in doc
