"""The Score journey (/chamdiem): a guided conversation through the criteria of one's department.

Overview → criterion by criterion: the card, the input in the rule's own form, the computed
score to confirm ("Lưu" saves at once), then evidence. One module per step; the shared step
machinery (states, scope, views, moving between steps) is in :mod:`handlers.scoring.steps`.
"""

from __future__ import annotations

from aiogram import Router

from handlers.scoring import evidence, input, navigation, overview
from handlers.scoring.steps import ScoringFlow

__all__ = ["ScoringFlow", "router"]

router = Router(name=__name__)
# Order matters: the catch-all for unexpected input (navigation) comes after every step.
router.include_routers(
    overview.staff, input.staff, evidence.staff, navigation.staff, overview.others
)
