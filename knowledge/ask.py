"""Question answering from the command line: building the shipped index and rendering results.

``cchc-bot ask`` (bot/cli.py) calls :func:`build_default_index`, then either
:func:`render_text` for one question or :func:`answer_lines` for ``--json -``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from criteria.loader import Catalogue, require_catalogue
from knowledge.figures import Estimate, estimate_for
from knowledge.lexicon import Lexicon
from knowledge.loader import require_entries
from knowledge.schema import Entry
from knowledge.search import SearchIndex, SearchResult
from knowledge.veto import Veto

__all__ = [
    "answer_estimate",
    "answer_json",
    "answer_lines",
    "build_default_index",
    "build_set_index",
    "entries_for",
    "render_text",
]


def entries_for(entries: Iterable[Entry], set_id: str) -> list[Entry]:
    """The entries that apply to the set ``set_id`` (those naming no set apply to all)."""
    return [e for e in entries if e.applies_to(set_id)]


def build_set_index(
    catalogue: Catalogue,
    entries: Sequence[Entry],
    set_id: str | None = None,
    *,
    extra: Iterable[Entry] = (),
    lexicon: Lexicon | None = None,
    veto: Veto | None = None,
) -> SearchIndex:
    """The search index of one set (the default set when ``set_id`` is None): its criteria
    and the entries (and ``extra``, e.g. approved rulings) that apply to it, so that every
    code found refers to that set. An unknown ``set_id`` raises KeyError."""
    cset = catalogue.sets[set_id] if set_id is not None else catalogue.current
    return SearchIndex.build(
        entries_for(entries, cset.id),
        [cset],
        extra=entries_for(extra, cset.id),
        lexicon=lexicon,
        veto=veto,
    )


def build_default_index(
    sets_paths: list[Path] | None = None,
    entry_paths: list[Path] | None = None,
    extra: Sequence[Entry] = (),
) -> SearchIndex:
    """Load the shipped (or given) criteria sets and entries and index the default set.

    Only the default criteria set is indexed, so that codes refer to the set in use.
    Raises :class:`criteria.errors.DataError` on invalid data.
    """
    catalogue = require_catalogue(sets_paths)
    entries = require_entries(entry_paths, catalogue.codes_by_set())
    return build_set_index(catalogue, entries, extra=extra)


def answer_estimate(index: SearchIndex, question: str, result: SearchResult) -> Estimate | None:
    """Points from the figures in ``question`` when the decided answer concerns one criterion."""
    best = result.best
    if best is None:
        return None
    return estimate_for(question, result.decision, best.criterion_codes, index.criterion)


def answer_json(index: SearchIndex, question: str, top: int = 3) -> dict[str, Any]:
    """The JSON-ready answer to one question, the question and any estimate included.

    A blank question gives ``{"question": "", "decision": "none", "empty": true, ...}``.
    """
    text = question.strip()
    if not text:
        return {"question": "", "decision": "none", "empty": True, "results": [], "estimate": None}
    result = index.search(text, top=top)
    est = answer_estimate(index, text, result)
    return {
        "question": text,
        **result.to_json(),
        "estimate": est.to_json() if est is not None else None,
    }


def answer_lines(
    index: SearchIndex, lines: Iterable[str], top: int = 3
) -> Iterator[dict[str, Any]]:
    """One JSON-ready result per input line, in order, blank lines included (as ``none``)."""
    for line in lines:
        yield answer_json(index, line, top)


def render_text(result: SearchResult, estimate: Estimate | None = None) -> str:
    """A plain-text Vietnamese rendering of ``result`` (and ``estimate``) for the terminal."""
    if result.decision == "none" or not result.results:
        return (
            "Chưa có câu trả lời cho câu hỏi này trong cơ sở tri thức.\n"
            "Bạn có thể gửi câu hỏi lên Sở Nội vụ (hỏi Sở) để được hướng dẫn."
        )
    lines: list[str] = []
    if result.decision == "answer":
        best = result.results[0]
        lines.append(best.question)
        lines.append("")
        lines.append(best.answer)
        if estimate is not None:
            lines.append("")
            lines.append(estimate.text)
        if best.criterion_codes:
            lines.append("")
            lines.append("Tiêu chí liên quan: " + ", ".join(best.criterion_codes))
        if best.source:
            lines.append(f"Nguồn: {best.source}")
        if best.escalate:
            lines.append("Lưu ý: nội dung này phụ thuộc hướng dẫn của tỉnh, nên xác nhận với Sở.")
        others = result.results[1:]
        if others:
            lines.append("")
            lines.append("Câu hỏi liên quan:")
            lines.extend(f"  • {h.question}" for h in others)
        return "\n".join(lines)
    lines.append("Có phải bạn hỏi:")
    for i, hit in enumerate(result.results, 1):
        codes = f" [{', '.join(hit.criterion_codes)}]" if hit.criterion_codes else ""
        lines.append(f"  {i}. {hit.question}{codes}")
    lines.append("Nếu không phải, bạn có thể gửi câu hỏi lên Sở Nội vụ (hỏi Sở).")
    return "\n".join(lines)
