"""An approved ruling is searched in the set it was asked on only: a commune officer's ruling
answers commune questions and never a district officer's."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data import load_data
from bot.services import rulings, tickets
from bot.services.people import add_unit
from bot.settings import load_settings

NOW = datetime(2026, 1, 12, 3, 0, tzinfo=UTC)
QUESTION = "Tổ công nghệ số cộng đồng của xã có phải báo cáo hoạt động hằng quý không?"
ANSWER = "Có, báo cáo hằng quý gửi UBND xã; thiếu báo cáo thì tiêu chí 7.7 không được điểm."


async def test_a_ruling_is_searched_in_its_own_set(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    data = load_data(load_settings())  # fresh caches: the indexes are rebuilt in place
    district_index = data.index()
    commune_index = data.set_index("xa-2025")
    async with session_factory() as session, session.begin():
        unit = await add_unit(session, "xa-b", "UBND xã B", "xa")
        ticket = await tickets.create(
            session,
            question=QUESTION,
            set_id="xa-2025",
            criterion_code="7.7",
            unit_id=unit.id,
            asker_id=1,
            department="STTTT",
            now=NOW,
        )
        await tickets.answer(session, ticket, text=ANSWER, actor_id=2, actor_name="B", now=NOW)
        suggestion = await rulings.suggest(session, ticket, source="Sở", now=NOW)
        await rulings.review(session, suggestion.id, approve=True, reviewer=3, now=NOW)
        ruling_id = f"{rulings.ENTRY_PREFIX}{suggestion.id}"
    async with session_factory() as session:
        assert await rulings.refresh_index(district_index, data, session) == 1
    assert data.by_id[ruling_id].sets == ("xa-2025",)
    commune = commune_index.search(QUESTION, top=3)
    assert commune.best is not None and commune.best.entry_id == ruling_id
    district = district_index.search(QUESTION, top=5)
    assert ruling_id not in [hit.entry_id for hit in district.results]
    # A commune index built later (another level's first user) takes the ruling in too.
    data.set_indexes.clear()
    again = data.set_index("xa-2025").search(QUESTION, top=3)
    assert again.best is not None and again.best.entry_id == ruling_id
