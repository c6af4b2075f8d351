"""Assertions on search results shared by the search tests."""

from __future__ import annotations

from knowledge.search import SearchIndex, SearchResult


def decided(index: SearchIndex, question: str, decision: str) -> SearchResult:
    """``index``'s result for ``question``, which must be ``decision`` (shown in full if not)."""
    result = index.search(question)
    assert result.decision == decision, result.to_json()
    return result


def answered_first(index: SearchIndex, question: str, code: str) -> SearchResult:
    """``index``'s result for ``question``: not refused, ``code`` among its first criteria."""
    result = index.search(question)
    assert result.decision != "none", result.to_json()
    assert code in result.results[0].criterion_codes, result.to_json()
    return result
