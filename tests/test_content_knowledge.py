"""The curated knowledge base: size, coverage of the sample set, and the shape of each entry."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from criteria.loader import require_catalogue
from criteria.schema import CriteriaSet
from knowledge.ask import entries_for
from knowledge.loader import require_entries
from knowledge.schema import Entry

ABBREVIATIONS = re.compile(r"\b(CCHC|TTHC|QPPL|VBQPPL|CBCCVC|CBCC|TLKC|DVC|PAKN|KH|BC|tc)\b", re.I)
VIETNAMESE = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]")


@pytest.fixture(scope="module")
def cset() -> CriteriaSet:
    return require_catalogue().sets["huyen-2021"]


def _entries_of(set_id: str) -> list[Entry]:
    """The shipped entries that apply to ``set_id`` (codes checked in each set they name)."""
    return entries_for(require_entries(known=require_catalogue().codes_by_set()), set_id)


@pytest.fixture(scope="module")
def entries(cset: CriteriaSet) -> list[Entry]:
    return _entries_of(cset.id)


@pytest.fixture(scope="module", params=["huyen-2021", "xa-2025"])
def each_set(request: pytest.FixtureRequest) -> tuple[CriteriaSet, list[Entry]]:
    """Every shipped set with the entries that apply to it."""
    return require_catalogue().sets[request.param], _entries_of(request.param)


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
    each_set: tuple[CriteriaSet, list[Entry]],
) -> None:
    cset, entries = each_set
    per_code = _per_code(entries)
    assert [c for c in _self_scored(cset) if per_code[c] == 0] == []


def test_heavy_areas_have_two_or_more_entries_each(
    cset: CriteriaSet, entries: list[Entry]
) -> None:
    per_code = _per_code(entries)
    thin = [c for c in _self_scored(cset) if c.split(".")[0] in {"3", "7"} and per_code[c] < 2]
    assert thin == []


def test_survey_items_are_explained(each_set: tuple[CriteriaSet, list[Entry]]) -> None:
    per_code = _per_code(each_set[1])
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


def test_each_entry_has_phrasings_the_way_officers_type(
    each_set: tuple[CriteriaSet, list[Entry]],
) -> None:
    entries = each_set[1]
    bad = [e.id for e in entries if not 2 <= len(e.alternatives) <= 5]
    assert bad == []
    # Across the base, phrasings without diacritics and with abbreviations are common.
    alternatives = [a for e in entries for a in e.alternatives]
    unaccented = sum(1 for a in alternatives if not VIETNAMESE.search(a))
    abbreviated = sum(1 for a in alternatives if ABBREVIATIONS.search(a))
    assert unaccented >= len(entries) // 2
    assert abbreviated >= len(entries) // 2


def test_answers_are_vietnamese_with_diacritics_and_sourced(
    each_set: tuple[CriteriaSet, list[Entry]],
) -> None:
    entries = each_set[1]
    assert [e.id for e in entries if not VIETNAMESE.search(e.question)] == []
    assert [e.id for e in entries if not VIETNAMESE.search(e.answer)] == []
    assert [e.id for e in entries if len(e.source.strip()) < 5] == []


def test_questions_are_distinct(entries: list[Entry]) -> None:
    seen: Counter[str] = Counter(e.question.strip().lower() for e in entries)
    assert [q for q, n in seen.items() if n > 1] == []


def test_questions_are_distinct_across_sets() -> None:
    """Search shows the question: two sets' entries asking the same thing would read alike."""
    every = require_entries(known=require_catalogue().codes_by_set())
    seen: Counter[str] = Counter(e.question.strip().lower() for e in every)
    assert [q for q, n in seen.items() if n > 1] == []


@pytest.mark.parametrize(
    "topic",
    [
        "trung tâm phục vụ hành chính công",
        "không phụ thuộc địa giới hành chính",
        "dịch vụ công trực tuyến",
        "văn phòng hđnd và ubnd",
        "phòng văn hóa – xã hội",
        "phòng kinh tế",
        "không còn cấp huyện",
    ],
)
def test_commune_entries_speak_to_the_new_communes(topic: str) -> None:
    commune = [e for e in _entries_of("xa-2025") if e.sets == ("xa-2025",)]
    assert len(commune) >= 58
    assert any(topic in (e.question + " " + e.answer).lower() for e in commune), topic


def test_district_entries_stay_on_the_district_set() -> None:
    """The district entries quote huyen-2021's points: they must not answer commune officers."""
    every = require_entries(known=require_catalogue().codes_by_set())
    assert not any(e.applies_to("xa-2025") for e in every if e.id.startswith("tc-"))
