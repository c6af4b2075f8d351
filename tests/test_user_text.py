"""What people write is stored without control characters and within its column: PostgreSQL
refuses NUL in text and a value longer than a VARCHAR, and either would lose the whole write
(a file name of 300 characters, a question pasted with NUL); a spreadsheet refuses every C0
control character but tab, line feed and carriage return."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Person, Unit, printable


def test_printable_keeps_tabs_and_line_breaks_and_turns_word_breaks_into_them() -> None:
    assert printable("a\tb\nc\r\nd") == "a\tb\nc\r\nd"
    assert printable("dòng 1\x0bdòng 2\x0cdòng 3") == "dòng 1\ndòng 2\ndòng 3"
    assert printable("\x00Kế\x01 hoạch\x1f\x7f") == "Kế hoạch\x7f"  # DEL is printable enough
    assert printable("") == ""


async def test_people_s_text_is_stored_clean_and_within_its_column(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime.now(UTC)
    name = "Nguyễn\x00 Văn\x0bA" + "x" * 300
    async with session_factory() as session, session.begin():
        unit = Unit(code="huyen-a", name="UBND\x00 huyện A\x1f")
        session.add(unit)
        await session.flush()
        session.add(
            Person(
                telegram_id=5,
                display_name=name,
                role="officer",
                unit_id=unit.id,
                department="TP",
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
    async with session_factory() as session:
        stored = await session.scalar(select(Person.display_name).where(Person.telegram_id == 5))
        unit_name = await session.scalar(select(Unit.name).where(Unit.code == "huyen-a"))
    assert stored == ("Nguyễn Văn\nA" + "x" * 300)[:255]
    assert unit_name == "UBND huyện A"
