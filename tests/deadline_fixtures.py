"""Shared set-up for the deadlines tests: people in a unit, a fake Bot API, a bot on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Answer, Person
from bot.fakeapi import FakeBotAPI
from bot.services.assessments import assigned_leaves, get_or_create
from bot.services.people import add_unit
from criteria.schema import CriteriaSet

TOKEN = "123456:TEST-TOKEN"
OFFICER_TP = 101
OFFICER_NV = 102
COORDINATOR = 201


def make_bot(base_url: str) -> Bot:
    return Bot(
        token=TOKEN,
        session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


async def fake_api(**limits: int) -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI(**limits)  # type: ignore[arg-type]
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


async def seed_unit(factory: async_sessionmaker[AsyncSession]) -> int:
    """A district with a Tư pháp officer, a Nội vụ officer and a coordinator."""
    async with factory() as session, session.begin():
        unit = await add_unit(session, "huyen-a", "UBND huyện A")
        now = datetime(2021, 11, 1, tzinfo=UTC)
        for tid, role, dep, name in [
            (OFFICER_TP, "officer", "TP", "Bình"),
            (OFFICER_NV, "officer", "NV", "Chi"),
            (COORDINATOR, "coordinator", "NV", "Hà"),
        ]:
            session.add(
                Person(telegram_id=tid, display_name=name, role=role, unit_id=unit.id,
                       department=dep, active=True, created_at=now, updated_at=now)
            )
        return unit.id


async def finish_department(
    factory: async_sessionmaker[AsyncSession], unit_id: int, cset: CriteriaSet, department: str
) -> None:
    """Every criterion of the department scored, with its evidence."""
    async with factory() as session, session.begin():
        assessment = await get_or_create(session, unit_id, cset)
        for leaf in assigned_leaves(cset, department):
            session.add(
                Answer(assessment_id=assessment.id, code=leaf.code, department=department,
                       raw="{}", points=Decimal(0), max=leaf.max, explanation="",
                       evidence_status="ok", author=1)
            )
