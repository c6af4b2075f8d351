"""Router order: the free-text question is tried first (handlers.routers), which is right only
while no other router takes a text that is no command from someone in no conversation."""

from __future__ import annotations

from datetime import UTC, datetime
from inspect import isclass
from typing import Any

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Chat, Message, User

import handlers
from handlers import ask, fallback, texts
from tests.recording import Harness

PLAIN = Message(
    message_id=1,
    date=datetime.now(UTC),
    chat=Chat(id=5, type="private"),
    from_user=User(id=5, is_bot=False, first_name="Lan"),
    text="thủ tục hành chính là gì",
)


async def _rejects_stateless_text(check: Any) -> bool:
    """Whether this filter refuses any text that is no command, sent in no conversation
    (whatever the words): a command filter, or a state filter that needs a state."""
    flt = getattr(check.callback, "__wrapped__", check.callback)
    if isinstance(flt, Command):
        return flt.prefix == "/"
    if isinstance(flt, State):
        return not flt(PLAIN, raw_state=None)
    if isinstance(flt, StateFilter):
        return not await flt(PLAIN, raw_state=None)
    if isclass(flt) and issubclass(flt, StatesGroup):
        return not await StateFilter(flt)(PLAIN, raw_state=None)
    return False


def _journeys() -> list[Router]:
    skipped = {ask.free_text.name, fallback.router.name}
    return [r for top in handlers.routers() for r in top.chain_tail if r.name not in skipped]


async def test_no_other_router_takes_a_question() -> None:
    """Every message handler of the journeys (commands, conversations) refuses a plain text
    from someone in no conversation, so trying the question first changes no outcome."""
    takers = []
    for router in _journeys():
        for handler in router.message.handlers:
            if not any([await _rejects_stateless_text(f) for f in handler.filters or []]):
                takers.append(f"{router.name}.{handler.callback.__name__}")
    assert takers == []


def test_the_question_router_is_first_and_takes_messages_only() -> None:
    ordered = handlers.routers()
    assert ordered[0] is ask.free_text
    assert [h.callback.__name__ for h in ask.free_text.message.handlers] == ["question"]
    observers = ask.free_text.observers.items()
    others = [name for name, o in observers if o.handlers and name != "message"]
    assert others == []


async def test_a_conversation_step_still_gets_its_text(harness: Harness) -> None:
    """In a conversation a text goes to its step, not to the question (the first router)."""
    from tests.handlers.conftest import ADMIN_ID

    admin = harness.user(ADMIN_ID, "Quản trị")
    await harness.send(admin, "/moi")  # the invite wizard waits for a button
    sent = await harness.send(admin, "thủ tục hành chính là gì")
    assert [s.text for s in sent] == [texts.INVITE_USE_BUTTONS]


def test_the_scoring_buttons_come_next_and_take_only_their_own_callbacks() -> None:
    """The Score journey's ``sc:`` buttons are tried right after the question: the router
    has callback handlers only, each for ScoreCb alone (so it takes no other router's press),
    staff's behind the role check, then the guests' answer."""
    from handlers import scoring
    from handlers.callbacks import ScoreCb

    ordered = handlers.routers()
    assert ordered[1] is scoring.buttons
    handled = []
    for router in scoring.buttons.chain_tail:
        for name, observer in router.observers.items():
            for handler in observer.handlers:
                assert name == "callback_query", f"{router.name}: a {name} handler"
                flt = getattr(handler.filters[0].callback, "__wrapped__", None)
                flt = flt or handler.filters[0].callback
                assert getattr(flt, "callback_data", None) is ScoreCb
                handled.append((router.name, handler.callback.__name__))
    assert handled == [
        ("handlers.scoring.buttons.staff", "on_button"),
        ("handlers.scoring.buttons.others", "guest_button"),
    ]
    staff = list(scoring.buttons.chain_tail)[1]
    checks = [getattr(f.callback, "__wrapped__", f.callback) for f in
              staff.callback_query._handler.filters or []]
    assert [type(c).__name__ for c in checks] == ["RoleFilter"]


async def test_the_question_filter_is_the_three_filters_it_replaces() -> None:
    """``ask.plain_text`` takes what ``StateFilter(None), F.text, ~F.text.startswith("/")``
    took together, for texts, commands, other messages and states."""
    from aiogram import F

    three = [StateFilter(None), F.text, ~F.text.startswith("/")]

    async def together(message: Message, raw_state: str | None) -> bool:
        for flt in three:
            if isinstance(flt, StateFilter):
                ok = await flt(message, raw_state=raw_state)
            else:
                ok = flt.resolve(message)
            if not ok:
                return False
        return True

    assert [h.filters[0].callback for h in ask.free_text.message.handlers] == [ask.plain_text]
    texts_ = [
        "thủ tục hành chính là gì", "/start", "/", " /start", "tc 3.4.1", "?", "", None,
        "👍", "3.4.1",
    ]
    for text in texts_:
        message = PLAIN.model_copy(update={"text": text})
        for raw_state in (None, "Flow:waiting", "*"):
            expected = await together(message, raw_state)
            assert await ask.plain_text(message, raw_state) is expected, (text, raw_state)
