"""Candidate generation: our BM25 index next to the bm25s library, side by side.

    .venv/bin/pip install bm25s            # not a dependency of the bot: only this benchmark
    .venv/bin/python -m bench.candidates [--sizes 1000 10000] [--questions PATH ...]

Both see the same targets (every entry and criterion card, with synthetic entries beyond the
real ones as in ``bench.search``) as the same analysed tokens: folded content words and word
pairs (``knowledge.text``), so the comparison is of the retrieval, not of the tokenizer. For
each size the run prints, for both methods:

* build — seconds to index (bm25s: ``BM25.index`` on the token lists; ours:
  ``SearchIndex.build``, which also analyses the texts, so ours does more);
* p50/p99 — milliseconds per question for choosing the 20 candidates;
* recall@20 — share of in-scope questions whose right criterion is among the candidates;
* top-1/top-3 — the same candidates through our re-ranking and decision (what the bot would
  answer), on the realistic question sets.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from bench.eval import REPO, SHARED_EVAL, Item, load_items
from bench.search import synthesize
from criteria.loader import require_catalogue
from knowledge.ask import entries_for
from knowledge.chat import read_message
from knowledge.loader import require_entries
from knowledge.search import _CANDIDATES, SearchIndex, _pairs

QUESTIONS = (SHARED_EVAL / "dev-questions-2.yaml", REPO / "bench" / "validation-questions.yaml")


def _target_tokens(index: SearchIndex) -> list[list[str]]:
    out = []
    for tg in index._targets:
        toks: list[str] = []
        for d in tg.docs:
            words = index._docs[d].text.split()
            toks += words
            toks += [p.replace(" ", "_") for p in _pairs(words)]
        out.append(toks or ["_"])
    return out


def _query_tokens(index: SearchIndex, q: str) -> list[str]:
    query = index._query(read_message(q))
    toks = [w for seg in query.segments for w in seg]
    toks += [p.replace(" ", "_") for seg in query.segments for p in _pairs(seg)]
    return toks


def _hit(index: SearchIndex, item: Item, t: int) -> bool:
    return bool(item.codes.intersection(index._targets[t].codes))


def run(size: int, items: Sequence[Item]) -> None:
    import bm25s

    catalogue = require_catalogue()
    real = entries_for(require_entries(None, catalogue.all_codes()), catalogue.current.id)
    entries = synthesize(real, size)
    t0 = time.perf_counter()
    index = SearchIndex.build(entries, [catalogue.current])
    ours_build = time.perf_counter() - t0

    corpus = _target_tokens(index)
    t0 = time.perf_counter()
    lib = bm25s.BM25(k1=1.2, b=0.75)
    lib.index(corpus, show_progress=False)
    lib_build = time.perf_counter() - t0

    inscope = [it for it in items if not it.none]
    lat: dict[str, list[float]] = {"ours": [], "bm25s": []}
    recall = {"ours": 0, "bm25s": 0}
    top1 = {"ours": 0, "bm25s": 0}
    top3 = {"ours": 0, "bm25s": 0}
    for it in inscope:
        q = index._query(read_message(it.q))
        t0 = time.perf_counter()
        ours = index._candidates(q)
        lat["ours"].append(1000 * (time.perf_counter() - t0))
        toks = _query_tokens(index, it.q)
        t0 = time.perf_counter()
        if toks:
            found, _ = lib.retrieve([toks], k=_CANDIDATES, show_progress=False, n_threads=1)
            theirs = [int(x) for x in found[0]]
        else:
            theirs = []
        lat["bm25s"].append(1000 * (time.perf_counter() - t0))
        for name, cands in (("ours", ours), ("bm25s", theirs)):
            recall[name] += any(_hit(index, it, t) for t in cands)
            ranked = index._rerank(index._query(read_message(it.q)), cands)
            top1[name] += bool(ranked) and _hit(index, it, ranked[0][0])
            top3[name] += any(_hit(index, it, t) for t, _, _ in ranked[:3])
    n = max(len(inscope), 1)
    print(f"## {size} entries ({len(index)} targets), {len(inscope)} in-scope questions")
    print(f"{'method':<8} {'build s':>8} {'p50 ms':>7} {'p99 ms':>7} {'recall@20':>9} "
          f"{'top-1 %':>7} {'top-3 %':>7}")
    for name, build in (("ours", ours_build), ("bm25s", lib_build)):
        ms = sorted(lat[name])
        p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
        print(
            f"{name:<8} {build:>8.2f} {statistics.median(ms):>7.2f} {p99:>7.2f} "
            f"{100 * recall[name] / n:>9.1f} {100 * top1[name] / n:>7.1f} "
            f"{100 * top3[name] / n:>7.1f}"
        )
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--questions", type=Path, action="append")
    args = parser.parse_args(argv)
    items = [it for p in (args.questions or QUESTIONS) for it in load_items(p)]
    for size in args.sizes:
        run(size, items)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
