"""Callback data factories: every button of the bot (short prefixes, under 64 bytes)."""

from __future__ import annotations

from typing import Self

from aiogram.filters.callback_data import CallbackData


class MenuCb(CallbackData, prefix="m"):
    action: str


class RegisterCb(CallbackData, prefix="rg"):
    """A registered person opened invite ``code``: re-register (``ok``) or keep as is."""

    code: str
    ok: bool


class AskCb(CallbackData, prefix="a"):
    """Ask journey: open an entry (``e``) or a criterion (``c``), feedback (``up``/``down``),
    or send the question to the province (``hs``). ``ref`` is an entry id or a code; ``q``
    the question-log id a pick (clarify choice, related question) answers, if any.

    Without ``q`` the data keeps its three-part form (``a:e:<id>``), so buttons sent before
    ``q`` existed, and those of other journeys, still unpack."""

    action: str
    ref: str
    q: int | None = None

    def pack(self) -> str:
        packed = super().pack()
        return packed.removesuffix(self.__separator__) if self.q is None else packed

    @classmethod
    def unpack(cls, value: str) -> Self:
        if value.count(cls.__separator__) == len(cls.model_fields) - 1:
            value += cls.__separator__  # no ``q``: an empty last part means None
        return super().unpack(value)


class BrowseCb(CallbackData, prefix="t"):
    """Browse the criteria tree: ``code`` is a node ('' = the areas), ``page`` its page."""

    code: str
    page: int = 0


class InviteCb(CallbackData, prefix="i"):
    """Invite making: ``step`` is role, unit or dept; ``value`` the choice."""

    step: str
    value: str


class BrowseAskCb(CallbackData, prefix="tq"):
    """Browse: the knowledge entries linked to criterion ``code`` (and below), ``page``."""

    code: str
    page: int = 0


class QuestionsCb(CallbackData, prefix="ql"):
    """Coordinators' list of unresolved questions (/cauhoi), ``page``."""

    page: int = 0


class QuestionCb(CallbackData, prefix="qv"):
    """/cauhoi, question ``id`` (checked against the reviewer's unit): view (``v``), answer
    from the knowledge base (``kb``, then ``pick`` choice ``n``), send to the province for
    the asker (``hs``), dismiss (``x``)."""

    action: str
    id: int
    n: int = 0


class DraftCb(CallbackData, prefix="td"):
    """Escalate, the officer's draft question: send, edit question (``eq``) or criterion
    (``ec``), attach (``att``), cancel (``x``); after a similar ticket: follow ticket ``ref``
    (``fol``) or send a new one anyway (``new``)."""

    action: str
    ref: int = 0


class TicketCb(CallbackData, prefix="tk"):
    """Escalate, acting on ticket ``id``. Contacts: open it from /phieu (``v``), answer
    (``ans``), confirm (``ok``) or rewrite (``rw``) the answer, reassign (``mv``), ask for
    more information (``inf``), open the attachment (``f``). Officers: open it from their
    /phieu (``my``), resolved (``res``), follow-up (``fu``), add the information asked
    (``add``)."""

    action: str
    id: int


class TicketPageCb(CallbackData, prefix="tp"):
    """Escalate: page ``page`` of the contact's open tickets (/phieu)."""

    page: int = 0


class MyTicketsCb(CallbackData, prefix="to"):
    """Escalate: page ``page`` of an officer's own and their unit's tickets (/phieu)."""

    page: int = 0


class MoveCb(CallbackData, prefix="tm"):
    """Escalate: reassign ticket ``id`` to the department ``dept``."""

    id: int
    dept: str


class RulingCb(CallbackData, prefix="rl"):
    """Escalate, reviewing ruling ``id``: approve (``ok``), edit then approve (``ed``),
    reject (``no``)."""

    action: str
    id: int


class ScoreCb(CallbackData, prefix="sc"):
    """Score journey (/chamdiem). ``aid`` is the assessment, ``code`` the criterion the button
    belongs to, ``part`` the part of a sum rule, ``value`` a choice (a tier, a page).

    Actions — overview: continue (``go``), pick a criterion (``pick``, page ``value``), missing
    evidence list (``miss``), open ``code`` (``open``), its evidence (``ev``), the overview
    (``ov``); input: yes (``y``), no (``n``), tier (``t``), the zero-if case (``z``), not
    applicable (``na``); confirm: save (``ok``), enter again (``re``); evidence: none
    (``none``), later (``late``), done (``done``); everywhere: back (``bk``), skip (``sk``),
    pause (``ps``), ask (``ask``)."""

    action: str
    aid: int = 0
    code: str = ""
    part: int = 0
    value: int = 0


class DeadlineCb(CallbackData, prefix="dl"):
    """Deadlines journey, the coordinator's editor: open it (``edit``), pick a deadline
    ``key`` (``pick``), add one (``add``), change its date (``date``), remove it (``del``,
    confirmed by ``delok``, kept by ``keep``)."""

    action: str
    key: str = ""


class CoordCb(CallbackData, prefix="co"):
    """Coordination (/tiendo). ``unit`` is the unit's id (checked against the user's own),
    ``dep`` a department code, ``code`` a criterion of the unit's set for year ``y`` (the year
    the button was made for; a past year opens its closed assessment, on that year's set,
    read-only, so a button made before the yearly rollover never acts on the new year; 0, on
    navigation buttons only: the current year).

    Actions: overview (``ov``), a department (``dep``), an answer (``ans``), return it
    (``ret``), lock (``lk``) and its confirmation (``lky``), reopen (``op``), chart (``ch``),
    export as XLSX (``xx``) or CSV (``xc``), the list of units for admins (``units``)."""

    action: str
    unit: int = 0
    dep: str = ""
    code: str = ""
    y: int = 0


class ExtraCb(CallbackData, prefix="cx"):
    """Coordination (/tiendo): bonus, penalty and survey results of ``unit`` (checked against
    the user's own). ``kind`` is bonus, penalty or survey, ``code`` the item or criterion.

    Actions: the list (``ls``), one item (``it``), set its count to ``value`` (``set``),
    clear a survey result (``clr``)."""

    action: str
    unit: int = 0
    kind: str = ""
    code: str = ""
    value: int = 0


class EvidenceCb(CallbackData, prefix="cf"):
    """Coordination (/tiendo): send evidence file ``id`` of ``unit`` to the coordinator."""

    unit: int
    id: int


class LevelCb(CallbackData, prefix="lv"):
    """/capdo: remember ``level`` (a level the loaded sets declare) for a person without a
    unit."""

    level: str
