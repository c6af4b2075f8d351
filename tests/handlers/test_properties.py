"""Property-based: random text, commands, buttons (live, stale, forged) in every conversation
state, through the real dispatcher — no unhandled exception, nothing the user cannot be sent,
and the stored rows stay valid.

Each example picks a person (officer, coordinator, Sở contact, admin, guest), opens one of the
journeys with its command, then plays a random sequence: mostly presses of the live buttons
(which walks deep into the conversations), mixed with random text, commands, presses of old
buttons and forged callback data. Examples are bounded and derandomized (the same on every
run); the database and the conversation state carry over from one example to the next, so later
examples start in whatever state earlier ones left. With ``REDIS_URL`` set (.ci/run's second
pass) the conversation state lives in Redis, as in a multi-process deployment, and the states
checked are Redis's.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from aiogram.fsm.state import StatesGroup
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StorageKey
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data import BotData, load_data
from bot.db.models import Answer, Assessment, Evidence, FsmRecord, Person, Ticket
from bot.fakeapi import MAX_CALLBACK_DATA_BYTES, _MethodError, visible_text
from bot.services.assessments import (
    EVIDENCE_EXPLAINED,
    EVIDENCE_MISSING,
    EVIDENCE_OK,
    EVIDENCE_PENDING,
)
from bot.services.people import add_unit
from bot.settings import Settings, load_settings
from bot.storage import DatabaseStorage, create_storage
from handlers import texts
from handlers.texts import COMMANDS
from handlers.texts import scoring as scoring_texts
from knowledge.search import SearchIndex
from tests.handlers.conftest import ADMIN_ID
from tests.recording import Harness, Sent, build_harness

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

OFFICER, COORDINATOR, CONTACT, GUEST = 71_001, 71_002, 71_003, 71_004
PEOPLE = {
    OFFICER: ("officer", "TP", "huyen-a"),
    COORDINATOR: ("coordinator", "NV", "huyen-a"),
    CONTACT: ("contact", "SNV", None),
}
ENTRY = [f"/{name}" for name, _ in COMMANDS] + ["/start", "/trangthai", "/tiendo", "/moi"]
CALLBACK_PREFIXES = ["m", "rg", "a", "t", "i", "tq", "ql", "td", "tk", "tm", "rl", "sc", "dl",
                     "co", "cx", "cf"]  # fmt: skip
# (who, the command that opens the journey): each role's journeys, scoring the most.
JOURNEYS = [
    *[(OFFICER, "/chamdiem")] * 4,
    (OFFICER, "/hoiso"),
    (OFFICER, "/hanchot"),
    (OFFICER, "/phieu"),
    (COORDINATOR, "/chamdiem"),
    (COORDINATOR, "/tiendo"),
    (COORDINATOR, "/tiendo"),
    (COORDINATOR, "/moi"),
    (COORDINATOR, "/hanchot"),
    (COORDINATOR, "/cauhoi"),
    (COORDINATOR, "/duyet"),
    (CONTACT, "/phieu"),
    (ADMIN_ID, "/moi"),
    (ADMIN_ID, "/trangthai"),
    (GUEST, "/start"),
    (GUEST, "/tieuchi"),
    (GUEST, "/hoiso"),
]
EXAMPLES = 50
REDIS_URL = os.environ.get("REDIS_URL")
STEPS = 16
LEAD_BUTTONS = [
    scoring_texts.BTN_SAVE,
    scoring_texts.BTN_NO_EVIDENCE,
    scoring_texts.BTN_CONTINUE,
    scoring_texts.BTN_YES,
]

# Text an officer might type, and text nobody should (Telegram delivers no NUL and no
# surrogates; other control characters do arrive).
typed = st.one_of(
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
        max_size=300,
    ),
    st.from_regex(r"-?[0-9]{1,14}([/,.][0-9]{0,14})?", fullmatch=True),
    st.sampled_from(
        [
            "có",
            "không",
            "Có",
            "9/10",
            "0/0",
            "10/0",
            "-1/5",
            "1e9/1",
            "1,5",
            "½",
            "٣/٤",
            "<b>đậm</b>",
            "</i>",
            "&amp;",
            "a & b < c",
            "tiêu chí 3.4.1",
            "01/02/2026",
            "31/02/2026",
            "https://vbpl.vn/x",
            "x" * 4000,
            "🙂",
            "0",
            "4",
            "100%",
            "/",
        ]
    ),
).filter(lambda s: s.strip() != "")
forged = st.one_of(
    st.text(max_size=64),
    st.tuples(
        st.sampled_from(CALLBACK_PREFIXES),
        st.lists(
            st.one_of(
                st.integers(-(10**12), 10**12).map(str),
                st.text(st.characters(min_codepoint=33, max_codepoint=0x1EF9), max_size=8),
                st.sampled_from(["", "go", "save", "back", "yes", "no", "1", "2.1", "NV"]),
            ),
            max_size=6,
        ),
    ).map(lambda t: ":".join([t[0], *t[1]])),
)
action = st.one_of(
    st.tuples(st.just("press"), st.integers(0, 40)),
    st.tuples(st.just("press"), st.integers(0, 40)),
    st.tuples(st.just("press"), st.integers(0, 40)),
    st.tuples(st.just("stale"), st.integers(0, 10_000)),
    st.tuples(st.just("forge"), forged),
    st.tuples(st.just("text"), typed),
    st.tuples(st.just("command"), st.sampled_from([*ENTRY, "/huy", "/khong_co", "/start x"])),
)


def _all_states() -> set[str]:
    import handlers

    # Import every journey's module (not handlers.routers(): it would take the routers away
    # from the harness's dispatcher).
    for module in pkgutil.walk_packages(handlers.__path__, "handlers."):
        importlib.import_module(module.name)

    def walk(group: type[StatesGroup]) -> Iterator[type[StatesGroup]]:
        for sub in group.__subclasses__():
            yield sub
            yield from walk(sub)

    # The journeys' groups only (a test module may define its own, e.g. tests/test_storage.py).
    return {
        name
        for group in walk(StatesGroup)
        if group.__module__.startswith("handlers.")
        for name in group.__all_states_names__
    }


class Walker:
    """One person's view: the latest buttons, every button seen, and what was checked."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.live: dict[int, list[str]] = {}
        self.labels: dict[int, list[str]] = {}
        self.seen: list[tuple[int, str]] = []
        self.visited: set[str] = set()

    async def lead(self, user_id: int, steps: int) -> None:
        """Walk forward like a diligent user: save, continue, answer yes, pick the first
        choice, or type a ratio — to reach the deeper states before the random part."""
        for _ in range(steps):
            buttons = self.labels.get(user_id) or []
            pick = next((b for b in LEAD_BUTTONS if b in buttons), None)
            if pick is None and buttons:
                pick = buttons[0]
            if pick is None:
                await self.act(user_id, "text", "9/10")
            else:
                await self.act(user_id, "press", buttons.index(pick))

    async def act(self, user_id: int, kind: str, value: Any) -> None:
        user = self.harness.user(user_id, "Lan")
        if kind in ("text", "command"):
            sent = await self.harness.send(user, str(value))
            self._check(sent, press=False)
            return
        if kind == "press":
            buttons = self.live.get(user_id) or []
            data = buttons[value % len(buttons)] if buttons else "m:help"
        elif kind == "stale":
            mine = [d for uid, d in self.seen if uid == user_id] or ["m:score"]
            data = mine[value % len(mine)]
        else:
            data = str(value)
        sent = await self.harness.press(user, data)
        self._check(sent, press=True)

    def _check(self, sent: list[Sent], *, press: bool) -> None:
        for s in sent:
            # No unhandled exception reached the user as the generic apology.
            assert not s.text.startswith(texts.ERROR[:40]), sent
            if s.method in ("sendMessage", "editMessageText"):
                try:  # Telegram would refuse it: broken HTML, too long, empty.
                    visible_text(s.text, "HTML")
                except _MethodError as exc:
                    raise AssertionError(f"{exc.description}: {s.text[:300]!r}") from None
            for _, data in s.buttons:
                assert 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES or data.startswith(
                    "http"
                ), data
        if press:
            answers = [s for s in sent if s.method == "answerCallbackQuery"]
            assert len(answers) <= 1, sent  # Telegram refuses a second answer
        user_buttons = [s for s in sent if s.markup is not None]
        if user_buttons:
            pairs = [(t, d) for t, d in user_buttons[-1].buttons if not d.startswith("http")]
            uid = self._uid
            self.live[uid] = [d for _, d in pairs]
            self.labels[uid] = [t for t, _ in pairs]
            self.seen.extend((uid, d) for _, d in pairs)

    _uid = 0


@pytest.fixture
async def harness(
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Harness]:
    """The real dispatcher; with ``REDIS_URL`` on Redis storage, under keys of its own."""
    data, index = shipped
    if not REDIS_URL:
        _Module.harness = build_harness(settings, data, index, session_factory)
        yield _Module.harness
        return
    prefix = f"cchc-test-{uuid.uuid4().hex[:12]}"
    storage: Any = create_storage(REDIS_URL, session_factory)
    storage.key_builder = DefaultKeyBuilder(prefix=prefix, with_bot_id=True, with_destiny=True)
    try:
        _Module.harness = build_harness(settings, data, index, session_factory, storage=storage)
        yield _Module.harness
    finally:
        keys = [key async for key in storage.redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await storage.redis.delete(*keys)
        await storage.close()


async def _stored_states(
    harness: Harness, factory: async_sessionmaker[AsyncSession]
) -> list[tuple[str | None, Any]]:
    """Every conversation's state and data where the storage keeps them."""
    storage: BaseStorage = harness.dp.storage
    if isinstance(storage, DatabaseStorage):
        async with factory() as session:
            records = (await session.execute(select(FsmRecord))).scalars().all()
            return [(r.state, json.loads(r.data)) for r in records]
    out = []
    for uid in [*PEOPLE, ADMIN_ID, GUEST]:
        key = StorageKey(bot_id=harness.bot.id, chat_id=uid, user_id=uid)
        out.append((await storage.get_state(key), await storage.get_data(key)))
    return out


async def _people(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as session, session.begin():
        unit = await add_unit(session, "huyen-a", "UBND huyện A")
        for telegram_id, (role, department, unit_code) in PEOPLE.items():
            session.add(
                Person(
                    telegram_id=telegram_id,
                    display_name=role,
                    role=role,
                    unit_id=unit.id if unit_code else None,
                    department=department,
                    active=True,
                )
            )


async def _check_rows(
    factory: async_sessionmaker[AsyncSession], data: BotData, states: set[str]
) -> set[str]:
    leaves = {c.code: c for c in data.catalogue.current.leaves()}
    async with factory() as session:
        answers = (await session.execute(select(Answer))).scalars().all()
        assessments = {a.id for a in (await session.execute(select(Assessment))).scalars()}
        for ans in answers:
            assert ans.assessment_id in assessments
            leaf = leaves.get(ans.code)
            assert leaf is not None, ans.code
            assert ans.max == leaf.max and -leaf.max <= ans.points <= ans.max, ans.code
            assert isinstance(ans.points, Decimal)
            assert ans.evidence_status in {
                EVIDENCE_OK, EVIDENCE_MISSING, EVIDENCE_EXPLAINED, EVIDENCE_PENDING
            }  # fmt: skip
            json.loads(ans.raw)
        answer_ids = {a.id for a in answers}
        for ev in (await session.execute(select(Evidence))).scalars():
            assert ev.answer_id in answer_ids
        for ticket in (await session.execute(select(Ticket))).scalars():
            assert ticket.status in {"open", "answered", "closed"}
    assert _Module.harness is not None
    stored = await _stored_states(_Module.harness, factory)
    for state, values in stored:
        assert state is None or state in states, state
        assert isinstance(values, dict)
        if state:
            _Module.snapshots.setdefault(state, values)
    return {state for state, _ in stored if state}


class _Module:
    """Loaded once for the module (not fixtures: Hypothesis would print them)."""

    states: set[str] | None = None
    data: BotData | None = None
    harness: Harness | None = None  # the current test's (set by the fixture)
    visited: set[str] = set()  # noqa: RUF012
    # The data a walk left with each state it reached (the first seen).
    snapshots: dict[str, dict[str, Any]] = {}  # noqa: RUF012


# No shrinking: a failure prints the generated example as it is, at once (shrinking a
# dispatcher walk takes many minutes); derandomized, so CI and a developer see the same one.
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    journey=st.sampled_from(JOURNEYS),
    lead=st.integers(0, 7),
    actions=st.lists(action, min_size=1, max_size=STEPS),
)
async def test_random_input_in_every_state_breaks_nothing(
    harness: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    journey: tuple[int, str],
    lead: int,
    actions: list[tuple[str, Any]],
) -> None:
    if _Module.states is None or _Module.data is None:
        _Module.states, _Module.data = _all_states(), load_data(load_settings())
    async with session_factory() as session:
        if await session.scalar(select(Person.id).limit(1)) is None:
            await _people(session_factory)
    who, entry = journey
    walker = Walker(harness)
    walker._uid = who
    await walker.act(who, "command", entry)
    await walker.lead(who, lead)
    for kind, value in actions:
        await walker.act(who, kind, value)
        stored = await _check_rows(session_factory, _Module.data, _Module.states)
        _Module.visited.update(stored)
    # Whatever happened, the person can cancel and start over.
    await walker.act(who, "command", "/huy")
    sent = await harness.send(harness.user(who, "Lan"), "/start")
    assert any("Xin chào" in s.text for s in sent if s.method == "sendMessage"), sent


def test_the_walks_reached_many_conversation_states() -> None:
    """Runs after the property test (same module): the random walks went deep."""
    visited = _Module.visited
    if not visited:
        pytest.skip("the property test did not run")
    print(f"conversation states visited: {len(visited)}: {sorted(visited)}")
    assert len(visited) >= 10, visited


# Every state, entered directly: what a conversation holds after an upgrade changed a journey,
# after its data expired or was lost, or when the person's role changed meanwhile — the state
# with no data, or with the data a walk left there (ids of rows this database does not have).
# Each example goes through all the states, in turn.
STATE_EXAMPLES = 3
STATE_STEPS = 4
PEOPLE_IN_STATES = [OFFICER, COORDINATOR, CONTACT, ADMIN_ID, GUEST]
# Who enters each journey's states; each state is also tried by someone drawn at random.
OWNERS = {
    "ContactFlow": CONTACT,
    "DraftFlow": OFFICER,
    "OfficerFlow": OFFICER,
    "ScoringFlow": OFFICER,
    "DeadlineEdit": COORDINATOR,
    "ExtrasFlow": COORDINATOR,
    "InviteFlow": COORDINATOR,
    "ReturnFlow": COORDINATOR,
    "ReviewFlow": COORDINATOR,
}


@settings(
    max_examples=STATE_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(draw=st.data())
async def test_random_input_in_each_state_entered_directly(
    harness: Harness,
    session_factory: async_sessionmaker[AsyncSession],
    draw: st.DataObject,
) -> None:
    if _Module.states is None or _Module.data is None:
        _Module.states, _Module.data = _all_states(), load_data(load_settings())
    async with session_factory() as session:
        if await session.scalar(select(Person.id).limit(1)) is None:
            await _people(session_factory)
    for state in sorted(_Module.states):
        other = draw.draw(st.sampled_from(PEOPLE_IN_STATES), label=f"{state}: also")
        for who in dict.fromkeys([OWNERS[state.split(":")[0]], other]):
            walked = draw.draw(st.booleans(), label=f"{state}: with a walk's data")
            # The first input is what most states wait for: typed text.
            first = draw.draw(typed, label="first")
            more = draw.draw(st.lists(action, max_size=STATE_STEPS - 1), label="then")
            key = StorageKey(bot_id=harness.bot.id, chat_id=who, user_id=who)
            data = dict(_Module.snapshots.get(state, {})) if walked else {}
            await harness.dp.storage.set_state(key, state)
            await harness.dp.storage.set_data(key, data)
            walker = Walker(harness)
            walker._uid = who
            for kind, value in [("text", first), *more]:
                await walker.act(who, kind, value)
                await _check_rows(session_factory, _Module.data, _Module.states)
            await walker.act(who, "command", "/huy")
            sent = await harness.send(harness.user(who, "Lan"), "/start")
            assert any("Xin chào" in s.text for s in sent if s.method == "sendMessage"), sent
