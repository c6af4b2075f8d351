"""Browse journey: the criteria tree of the loaded set (/tieuchi), one message edited in place.

Areas → criteria → sub-criteria as buttons, at most ``PAGE_SIZE`` children a page; every node
shows its card and can list the knowledge entries linked to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.db.models import Person
from bot.services.years import SetYear
from criteria.loader import Catalogue
from criteria.schema import CriteriaSet, Criterion
from handlers.callbacks import AskCb, BrowseAskCb, BrowseCb, MenuCb
from handlers.cards import criterion_card, pts
from handlers.keyboards import InlineKeyboardBuilder
from handlers.render import LIMIT
from handlers.texts import browse as bt
from handlers.texts import level_words
from handlers.texts import levels as lt
from knowledge.schema import Entry
from knowledge.search import SearchIndex
from knowledge.text import find_codes

router = Router(name=__name__)

PAGE_SIZE = 8
_BUTTON_TITLE = 48
_MAX_ENTRY_ID = 56  # AskCb("e", id) must stay under Telegram's 64 bytes


class BrowseError(Exception):
    """A node or page the user asked for does not exist (a stale or forged button)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class View:
    text: str
    markup: InlineKeyboardMarkup


def _short(text: str, limit: int = _BUTTON_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fit(text: str) -> str:
    # An edited message cannot be split; cut on a line boundary (tags never span lines).
    if len(text) <= LIMIT:
        return text
    cut = text[: LIMIT - len(bt.TOO_LONG_CUT)].rsplit("\n", 1)[0]
    return cut + bt.TOO_LONG_CUT


def _parent_code(code: str) -> str:
    return code.rsplit(".", 1)[0] if "." in code else ""


def _node(cset: CriteriaSet, code: str) -> Criterion:
    node = cset.by_code().get(code)
    if node is None:
        raise BrowseError(bt.UNKNOWN_CODE)
    return node


def _pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


def _check_page(page: int, count: int) -> None:
    if not 0 <= page < _pages(count):
        raise BrowseError(bt.BAD_PAGE)


def _page_in_parent(cset: CriteriaSet, code: str) -> int:
    """The page of the parent's list on which ``code`` appears."""
    parent = _parent_code(code)
    siblings = cset.areas if not parent else cset.by_code()[parent].children
    position = next((i for i, c in enumerate(siblings) if c.code == code), 0)
    return position // PAGE_SIZE


def _paging(
    kb: InlineKeyboardBuilder,
    page: int,
    pages: int,
    make: type[BrowseCb] | type[BrowseAskCb],
    code: str,
) -> int:
    """Add ◀ ▶ to ``kb``; returns how many buttons were added (one row)."""
    added = 0
    if page > 0:
        kb.button(text=bt.BTN_PREV, callback_data=make(code=code, page=page - 1))
        added += 1
    if page < pages - 1:
        kb.button(text=bt.BTN_NEXT, callback_data=make(code=code, page=page + 1))
        added += 1
    return added


def tree_view(cset: CriteriaSet, code: str, page: int) -> View:
    """The root (``code`` = '') or a node's card with its children as buttons.

    Raises :class:`BrowseError` for an unknown code or a page out of range.
    """
    node = _node(cset, code) if code else None
    children = node.children if node is not None else cset.areas
    _check_page(page, len(children))
    pages = _pages(len(children))
    if node is None:
        text = bt.root(cset.title, pts(cset.total), len(cset.areas))
    else:
        text = criterion_card(cset, node)
    if pages > 1:
        text += "\n\n" + bt.page_label(page, pages)

    kb = InlineKeyboardBuilder()
    shown = children[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    for child in shown:
        label = bt.child_button(child.code, _short(child.title), pts(child.max))
        kb.button(text=label, callback_data=BrowseCb(code=child.code, page=0))
    rows = [1] * len(shown)
    paging = _paging(kb, page, pages, BrowseCb, code)
    if paging:
        rows.append(paging)
    if node is not None:
        kb.button(text=bt.BTN_ASK_NODE, callback_data=BrowseAskCb(code=node.code, page=0))
        parent = _parent_code(node.code)
        kb.button(
            text=bt.BTN_BACK,
            callback_data=BrowseCb(code=parent, page=_page_in_parent(cset, node.code)),
        )
        rows += [1, 1]
        if parent:
            kb.button(text=bt.BTN_TOP, callback_data=BrowseCb(code="", page=0))
            rows.append(1)
    kb.adjust(*rows)
    return View(_fit(text), kb.as_markup())


def linked_entries(index: SearchIndex, node: Criterion) -> list[Entry]:
    """Entries linked to the node or any criterion below it, each once, in load order."""
    seen: set[str] = set()
    out: list[Entry] = []
    for crit in node.walk():
        for entry in index.entries_for(crit.code):
            if entry.id not in seen and len(entry.id) <= _MAX_ENTRY_ID:
                seen.add(entry.id)
                out.append(entry)
    return out


def entries_view(cset: CriteriaSet, index: SearchIndex, code: str, page: int) -> View:
    """The questions linked to a node, as buttons that open their answers."""
    node = _node(cset, code)
    entries = linked_entries(index, node)
    _check_page(page, len(entries))
    pages = _pages(len(entries))
    text = bt.entries_header(node.code, node.title, len(entries))
    if pages > 1:
        text += "\n" + bt.page_label(page, pages)
    kb = InlineKeyboardBuilder()
    shown = entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    for entry in shown:
        label = _short(level_words(entry.question), 60)
        kb.button(text=label, callback_data=AskCb(action="e", ref=entry.id))
    rows = [1] * len(shown)
    paging = _paging(kb, page, pages, BrowseAskCb, code)
    if paging:
        rows.append(paging)
    kb.button(text=bt.btn_back_to_card(node.code), callback_data=BrowseCb(code=node.code, page=0))
    rows.append(1)
    kb.adjust(*rows)
    return View(_fit(text), kb.as_markup())


async def _show(query: CallbackQuery, bot: Bot, view: View) -> None:
    """Replace the pressed message with ``view``; send it anew if it cannot be edited."""
    await query.answer()
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_text(view.text, reply_markup=view.markup)
            return
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return
    if message is not None:
        await bot.send_message(message.chat.id, view.text, reply_markup=view.markup)


def _level_hint(catalogue: Catalogue, person: Person | None, set_year: SetYear) -> str:
    """For someone without a unit, when several levels are loaded: which set they see and
    how to choose another level (their choice is remembered)."""
    if person is not None and person.unit is not None:
        return ""
    if len({s.level for s in catalogue.sets.values()}) < 2:
        return ""
    return "\n\n" + lt.browsing_hint(set_year.cset.level)


@router.message(Command("tieuchi"))
async def browse_command(
    message: Message,
    command: CommandObject,
    set_year: SetYear,
    catalogue: Catalogue,
    person: Person | None,
) -> None:
    cset = set_year.cset
    code = ""
    if command.args:
        found = find_codes(command.args)
        code = found[0] if found else command.args.strip()[:20]
    try:
        view = tree_view(cset, code, 0)
    except BrowseError:
        await message.answer(bt.unknown_code_typed(code))
        return
    hint = _level_hint(catalogue, person, set_year) if not code else ""
    await message.answer(view.text + hint, reply_markup=view.markup)


@router.callback_query(MenuCb.filter(F.action == "browse"))
async def menu_browse(query: CallbackQuery, set_year: SetYear) -> None:
    await query.answer()
    view = tree_view(set_year.cset, "", 0)
    if isinstance(query.message, Message):
        await query.message.answer(view.text, reply_markup=view.markup)


@router.callback_query(BrowseCb.filter())
async def open_node(
    query: CallbackQuery, callback_data: BrowseCb, set_year: SetYear, bot: Bot
) -> None:
    try:
        view = tree_view(set_year.cset, callback_data.code, callback_data.page)
    except BrowseError as exc:
        await query.answer(exc.text, show_alert=True)
        return
    await _show(query, bot, view)


@router.callback_query(BrowseAskCb.filter())
async def node_questions(
    query: CallbackQuery,
    callback_data: BrowseAskCb,
    set_year: SetYear,
    set_index: SearchIndex,
    bot: Bot,
) -> None:
    try:
        view = entries_view(set_year.cset, set_index, callback_data.code, callback_data.page)
    except BrowseError as exc:
        await query.answer(exc.text, show_alert=True)
        return
    await _show(query, bot, view)
