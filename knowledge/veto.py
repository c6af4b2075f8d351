"""A learned veto on answering: the probability that a question is about something else.

The lexicon's hand-made lists (off-topic words, task and fact asks) catch what their writers
thought of; a new writer's tempting off-topic question ("trợ cấp thôi việc tính thế nào",
"chứng thực bản sao thu lệ phí bao nhiêu một trang") often uses none of their phrases and
matches a criterion well. This module holds a small logistic model over the words of the
question, read as a chat message (:mod:`knowledge.chat`): the ask's words and word pairs and
the situation's words, folded, numbers as one token. It is generated from the tuning question
sets and the knowledge entries by ``python -m bench.veto`` into ``knowledge/veto.yaml``
(see docs/DATA.md), which lists the weights, the bias and the threshold.

Search consults it only where it would answer or clarify a question that names no criterion
code: at or above the threshold the question gets "none". The threshold is chosen out of
sample so that in-scope questions are almost never refused (see ``bench/veto.py``).
Scoring is a few dozen dictionary look-ups.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from criteria.errors import DataError, DataIssue
from criteria.yamlsource import read_mapping
from knowledge.chat import Token

DEFAULT_VETO = Path(__file__).resolve().parent / "veto.yaml"
VETO_VERSION = 1

_FEATURE_RE = re.compile(r"^[abs]:\S+$")


def features(tokens: Iterable[Token]) -> set[str]:
    """The model's features of a chat message's tokens (fillers left out): ``a:`` each word
    of the ask, ``b:`` each pair of neighbouring words in it, ``s:`` each word of the
    situation; a number is ``<num>``."""
    out: set[str] = set()
    prev = ""
    for tok in tokens:
        if tok.weight <= 0:
            continue
        word = "<num>" if tok.folded[:1].isdigit() else tok.folded
        if tok.ask:
            out.add("a:" + word)
            if prev:
                out.add(f"b:{prev}_{word}")
            prev = word
        else:
            out.add("s:" + word)
    return out


@dataclass(frozen=True)
class Veto:
    """Weights of a logistic model and the probability at which it refuses."""

    bias: float = 0.0
    threshold: float = math.inf  # the default object never refuses
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.threshold <= 1.0

    def probability(self, tokens: Iterable[Token]) -> float:
        """P(out of scope) for a message's tokens."""
        get = self.weights.get
        z = self.bias + sum(get(f, 0.0) for f in features(tokens))
        if z < -30.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def refuses(self, tokens: Iterable[Token]) -> bool:
        return self.active and self.probability(tokens) >= self.threshold


NO_VETO = Veto()

Feature = Annotated[str, Field(min_length=3, max_length=120, pattern=_FEATURE_RE.pattern)]


class VetoFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    trained_on: tuple[str, ...] = Field(min_length=1)
    threshold: float = Field(gt=0.0, le=1.0)
    bias: float = Field(allow_inf_nan=False)
    weights: dict[Feature, Annotated[float, Field(allow_inf_nan=False, ge=-50, le=50)]] = Field(
        min_length=1
    )


def load_veto(path: Path | None = None) -> tuple[Veto | None, list[DataIssue]]:
    """Read and check a veto file (``knowledge/veto.yaml`` by default)."""
    path = path or DEFAULT_VETO
    doc, parsed = read_mapping(path, VetoFile, "tệp mô hình")
    if parsed is None:
        return None, doc.issues
    if parsed.version != VETO_VERSION:
        doc.issues.append(
            doc.issue(
                ("version",), f"phiên bản {parsed.version} không hỗ trợ (cần {VETO_VERSION})"
            )
        )
        return None, doc.issues
    veto = Veto(bias=parsed.bias, threshold=parsed.threshold, weights=dict(parsed.weights))
    return veto, doc.issues


@lru_cache(maxsize=1)
def default_veto() -> Veto:
    """The shipped veto; raises :class:`DataError` when its file is invalid."""
    veto, issues = load_veto(DEFAULT_VETO)
    if veto is None or issues:
        raise DataError(issues)
    return veto


def is_veto_file(data: object) -> bool:
    """Whether parsed YAML looks like a veto file (for ``cchc-bot check``)."""
    return isinstance(data, dict) and "weights" in data and "threshold" in data


__all__ = [
    "DEFAULT_VETO",
    "NO_VETO",
    "Veto",
    "default_veto",
    "features",
    "is_veto_file",
    "load_veto",
]
