"""The curated knowledge base: size, coverage of the sample set, and the shape of each entry."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from criteria.loader import require_catalogue
from criteria.schema import CriteriaSet
from knowledge.loader import require_entries
from knowledge.schema import Entry

ABBREVIATIONS = re.compile(r"\b(CCHC|TTHC|QPPL|VBQPPL|CBCCVC|CBCC|TLKC|DVC|PAKN|KH|BC|tc)\b", re.I)
VIETNAMESE = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]")


@pytest.fixture(scope="module")
def cset() -> CriteriaSet:
    return require_catalogue().sets["huyen-2021"]


@pytest.fixture(scope="module")
def entries(cset: CriteriaSet) -> list[Entry]:
    return require_entries(known={c.code for c in cset.walk()})


def _self_scored(cset: CriteriaSet) -> list[str]:
    return [c.code for c in cset.leaves() if not c.is_survey]


def _per_code(entries: list[Entry]) -> Counter[str]:
    return Counter(code for e in entries for code in set(e.criteria))


def test_counts(cset: CriteriaSet, entries: list[Entry]) -> None:
    per_code = _per_code(entries)
    leaves = _self_scored(cset)
    print(
        f"\nknowledge base: {len(entries)} entries; {len(leaves)} self-scored sub-criteria, "
        f"{sum(1 for c in leaves if per_code[c])} with an entry; "
        f"{sum(1 for e in entries if not e.criteria)} general entries; "
        f"{sum(1 for e in entries if e.escalate)} flagged for the province"
    )
    assert len(entries) >= 150


def test_every_self_scored_sub_criterion_has_an_entry(
    cset: CriteriaSet, entries: list[Entry]
) -> None:
    per_code = _per_code(entries)
    assert [c for c in _self_scored(cset) if per_code[c] == 0] == []


def test_heavy_areas_have_two_or_more_entries_each(
    cset: CriteriaSet, entries: list[Entry]
) -> None:
    per_code = _per_code(entries)
    thin = [c for c in _self_scored(cset) if c.split(".")[0] in {"3", "7"} and per_code[c] < 2]
    assert thin == []


def test_survey_items_are_explained(entries: list[Entry]) -> None:
    per_code = _per_code(entries)
    assert per_code["8.1"] >= 1 and per_code["8.2"] >= 1


@pytest.mark.parametrize(
    "topic",
    [
        "không phát sinh",
        "giải trình",
        "điểm thưởng",
        "điểm trừ",
        "làm tròn",
        "thẩm định",
        "khóa",
        "đặt tên",
    ],
)
def test_general_mechanics_are_covered(entries: list[Entry], topic: str) -> None:
    general = [e for e in entries if topic in (e.question + " " + e.answer).lower()]
    assert general, f"no entry about «{topic}»"


def test_each_entry_has_phrasings_the_way_officers_type(entries: list[Entry]) -> None:
    bad = [e.id for e in entries if not 2 <= len(e.alternatives) <= 5]
    assert bad == []
    # Across the base, phrasings without diacritics and with abbreviations are common.
    alternatives = [a for e in entries for a in e.alternatives]
    unaccented = sum(1 for a in alternatives if not VIETNAMESE.search(a))
    abbreviated = sum(1 for a in alternatives if ABBREVIATIONS.search(a))
    assert unaccented >= len(entries) // 2
    assert abbreviated >= len(entries) // 2


def test_answers_are_vietnamese_with_diacritics_and_sourced(entries: list[Entry]) -> None:
    assert [e.id for e in entries if not VIETNAMESE.search(e.question)] == []
    assert [e.id for e in entries if not VIETNAMESE.search(e.answer)] == []
    assert [e.id for e in entries if len(e.source.strip()) < 5] == []


def test_questions_are_distinct(entries: list[Entry]) -> None:
    seen: Counter[str] = Counter(e.question.strip().lower() for e in entries)
    assert [q for q, n in seen.items() if n > 1] == []
