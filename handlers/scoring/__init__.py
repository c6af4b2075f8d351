"""The Score journey (/chamdiem): a guided conversation through the criteria of one's department.

Overview → criterion by criterion: the card, the input in the rule's own form, the computed
score to confirm ("Lưu" saves at once), then evidence. One module per step; the shared step
machinery (states, scope, views, moving between steps) is in :mod:`handlers.scoring.steps`.
"""

from __future__ import annotations

from aiogram import Router

# The step modules in the order their handlers are tried (they register on one router):
# overview, input, evidence, then navigation with the catch-alls.
# isort: off
from handlers.scoring import overview
from handlers.scoring import input
from handlers.scoring import evidence
from handlers.scoring import navigation

# isort: on
from handlers.scoring.steps import BUTTONS_ROUTER, STAFF_ROUTER, ScoringFlow

__all__ = ["ScoringFlow", "buttons", "router"]

buttons = BUTTONS_ROUTER  # the journey's buttons, tried early (see handlers.routers)

router = Router(name=__name__)
# One router for staff, then the guests' answers.
assert evidence.staff is input.staff is navigation.staff is overview.staff is STAFF_ROUTER
router.include_routers(STAFF_ROUTER, overview.others)
