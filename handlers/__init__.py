"""Telegram-facing routers, one per journey; :func:`routers` lists them in order."""

from __future__ import annotations

from aiogram import Router


def _detached(router: Router) -> Router:
    # Routers are module-level (one per journey); a second dispatcher in the same process
    # (the tests build many) must be allowed to adopt them, so drop the old parent link.
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None
    return router


def routers() -> list[Router]:
    """Every router in order: the free-text question first (a text that is no command, from
    someone in no conversation: no other router takes one, tests/handlers/test_routing.py),
    then the Score journey's buttons (``sc:`` callback data only, which no other router
    takes), commands and stateful journeys, the question's buttons after them, the fallback
    last. A question and a scoring button are the most frequent updates: they no longer try
    every journey's filters on the way."""
    from handlers import (
        ask,
        browse,
        common,
        coordination,
        deadlines,
        fallback,
        invites,
        levels,
        ops,
        questions,
        scoring,
        tickets,
    )
    from handlers.filters import run_filters_inline

    ordered = (
        ask.free_text,
        scoring.buttons,
        common.router,
        ops.router,
        invites.router,
        coordination.router,
        scoring.router,
        deadlines.router,
        tickets.contact_router,
        tickets.review_router,
        tickets.router,
        browse.router,
        levels.router,
        questions.router,
        ask.router,
        fallback.router,
    )
    return [run_filters_inline(_detached(r)) for r in ordered]
