"""Typed, frozen model of a curated knowledge-base entry."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

Code = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)*$")]
SetId = Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")]
Text = Annotated[str, Field(min_length=1)]

# An entry id travels in button data (``a:e:<id>:<question log id>``), which Telegram caps
# at 64 bytes; 44 characters leave room for the prefix and a 14-digit log id (< 64).
MAX_ID_LENGTH = 44
# An answer is sent as Telegram messages (4,096 characters each) and indexed for search; the
# shipped answers are under 1,000 characters.
MAX_ANSWER_LENGTH = 20_000


class Entry(BaseModel):
    """One curated question and its answer.

    ``escalate`` marks answers that depend on the province's own guidance: the bot then
    suggests confirming with Sở Nội vụ. ``sets`` names the criteria sets the entry applies to
    (its codes are codes of each of them); none means every set.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    question: Text
    alternatives: tuple[Text, ...] = ()
    answer: Annotated[str, Field(min_length=1, max_length=MAX_ANSWER_LENGTH)]
    criteria: tuple[Code, ...] = ()
    source: Text
    tags: tuple[Text, ...] = ()
    escalate: bool = False
    sets: tuple[SetId, ...] = ()

    def applies_to(self, set_id: str) -> bool:
        return not self.sets or set_id in self.sets

    @field_validator("id")
    @classmethod
    def _id_fits_in_a_button(cls, value: str) -> str:
        if len(value) > MAX_ID_LENGTH:
            raise ValueError(
                f"mã mục dài {len(value)} ký tự, tối đa {MAX_ID_LENGTH} "
                "(mã nằm trong dữ liệu nút bấm của Telegram, giới hạn 64 byte)"
            )
        return value
