"""Typed, frozen model of a curated knowledge-base entry."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Code = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)*$")]
Text = Annotated[str, Field(min_length=1)]


class Entry(BaseModel):
    """One curated question and its answer.

    ``escalate`` marks answers that depend on the province's own guidance: the bot then
    suggests confirming with Sở Nội vụ.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    question: Text
    alternatives: tuple[Text, ...] = ()
    answer: Text
    criteria: tuple[Code, ...] = ()
    source: Text
    tags: tuple[Text, ...] = ()
    escalate: bool = False
