"""Question-answering quality on an evaluation set, next to two baselines in the same run.

    .venv/bin/python -m bench.eval [--questions ../shared/eval/dev-questions.yaml] [-v]

The questions go through the same path as ``cchc-bot ask`` (``build_default_index`` then
``search``). The baselines see the same texts (entry questions, alternatives and answers;
criterion titles, rules, evidence and notes):

* naive — ``rapidfuzz.process.extract(query, texts, scorer=fuzz.WRatio)``, "none" below 70;
* BM25 — word tokens, lower case, no folding or synonyms; "none" when the best score is below
  30 % of what the query could score at most.

A hit is a result whose criterion codes intersect the item's codes. Top-1 and top-3 are over
in-scope items; "none" is the share of out-of-scope items (``expect: none``) given no answer.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

from criteria.loader import require_catalogue
from criteria.schema import CriteriaSet
from knowledge.ask import build_default_index
from knowledge.loader import require_entries
from knowledge.schema import Entry
from knowledge.search import rule_text

REPO = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = REPO.parent / "shared" / "eval" / "dev-questions.yaml"


@dataclass(frozen=True)
class Item:
    q: str
    codes: frozenset[str]
    none: bool


@dataclass
class Tally:
    top1: int = 0
    top3: int = 0
    inscope: int = 0
    none_ok: int = 0
    oos: int = 0
    seconds: float = 0.0

    def row(self, name: str) -> str:
        t1 = 100 * self.top1 / max(self.inscope, 1)
        t3 = 100 * self.top3 / max(self.inscope, 1)
        nn = 100 * self.none_ok / max(self.oos, 1)
        ms = 1000 * self.seconds / max(self.inscope + self.oos, 1)
        return f"{name:<10} {t1:>7.1f} {t3:>7.1f} {nn:>9.1f} {ms:>10.2f}"


def load_items(path: Path) -> list[Item]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    items = []
    for r in raw:
        codes = frozenset(str(c) for c in r.get("codes") or ())
        items.append(Item(str(r["q"]), codes, r.get("expect") == "none"))
    return items


def corpus(entries: Sequence[Entry], cset: CriteriaSet) -> list[tuple[str, tuple[str, ...], str]]:
    """(text, codes, target key) for every text the index also sees."""
    out: list[tuple[str, tuple[str, ...], str]] = []
    for e in entries:
        for text in (e.question, *e.alternatives, e.answer):
            out.append((text, tuple(e.criteria), e.id))
    for c in cset.walk():
        key = "criterion:" + c.code
        for text in (c.title, rule_text(c), *c.evidence, c.notes or ""):
            if text:
                out.append((text, (c.code,), key))
    return out


def _top_targets(
    ranked: list[tuple[int, float]], docs: list[tuple[str, tuple[str, ...], str]], k: int = 3
) -> list[tuple[str, ...]]:
    seen: set[str] = set()
    out: list[tuple[str, ...]] = []
    for i, _ in ranked:
        _, codes, key = docs[i]
        if key in seen:
            continue
        seen.add(key)
        out.append(codes)
        if len(out) == k:
            break
    return out


class Naive:
    """A full rapidfuzz WRatio scan over the raw texts."""

    cutoff = 70.0

    def __init__(self, docs: list[tuple[str, tuple[str, ...], str]]) -> None:
        self.docs = docs
        self.texts = [d[0] for d in docs]

    def ask(self, q: str) -> list[tuple[str, ...]] | None:
        found = process.extract(
            q, self.texts, scorer=fuzz.WRatio, processor=utils.default_process, limit=60
        )
        if not found or found[0][1] < self.cutoff:
            return None
        return _top_targets([(i, s) for _, s, i in found], self.docs)


_WORD = re.compile(r"\w+", re.UNICODE)


class BM25:
    """Okapi BM25 over lower-case words (k1 = 1.2, b = 0.75)."""

    k1 = 1.2
    b = 0.75
    cutoff = 0.3

    def __init__(self, docs: list[tuple[str, tuple[str, ...], str]]) -> None:
        self.docs = docs
        toks = [_WORD.findall(d[0].lower()) for d in docs]
        self.n = len(toks)
        self.avg = sum(len(t) for t in toks) / max(self.n, 1)
        df: dict[str, int] = {}
        self.tf: list[dict[str, int]] = []
        for t in toks:
            c: dict[str, int] = {}
            for w in t:
                c[w] = c.get(w, 0) + 1
            self.tf.append(c)
            for w in c:
                df[w] = df.get(w, 0) + 1
        self.idf = {w: math.log(1 + (self.n - f + 0.5) / (f + 0.5)) for w, f in df.items()}
        self.lens = [len(t) for t in toks]
        self.post: dict[str, list[int]] = {}
        for i, c in enumerate(self.tf):
            for w in c:
                self.post.setdefault(w, []).append(i)

    def ask(self, q: str) -> list[tuple[str, ...]] | None:
        words = list(dict.fromkeys(_WORD.findall(q.lower())))
        scores: dict[int, float] = {}
        for w in words:
            idf = self.idf.get(w)
            if idf is None:
                continue
            for i in self.post[w]:
                f = self.tf[i][w]
                norm = self.k1 * (1 - self.b + self.b * self.lens[i] / self.avg)
                scores[i] = scores.get(i, 0.0) + idf * f * (self.k1 + 1) / (f + norm)
        if not scores:
            return None
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        ceiling = sum(self.idf.get(w, math.log(1 + self.n)) for w in words) * (self.k1 + 1)
        if ranked[0][1] < self.cutoff * ceiling:
            return None
        return _top_targets(ranked, self.docs)


def _grade(tally: Tally, item: Item, got: list[tuple[str, ...]] | None) -> bool:
    if item.none:
        tally.oos += 1
        tally.none_ok += got is None
        return got is None
    tally.inscope += 1
    got = got or []
    ok1 = bool(got) and bool(item.codes.intersection(got[0]))
    tally.top1 += ok1
    tally.top3 += any(item.codes.intersection(c) for c in got[:3])
    return ok1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = parser.parse_args(argv)
    items = load_items(args.questions)

    t0 = time.perf_counter()
    index = build_default_index()
    build_s = time.perf_counter() - t0
    catalogue = require_catalogue()
    entries = require_entries(None, catalogue.all_codes())
    docs = corpus(entries, catalogue.current)
    naive, bm25 = Naive(docs), BM25(docs)
    for warm in (index.search, naive.ask, bm25.ask):  # first-call costs are not per query
        warm("kế hoạch cải cách hành chính")

    ours, t_naive, t_bm25 = Tally(), Tally(), Tally()
    decisions: dict[str, int] = {"answer": 0, "clarify": 0, "none": 0}
    answered_right = 0
    misses: list[str] = []
    for item in items:
        t = time.perf_counter()
        res = index.search(item.q, top=3)
        ours.seconds += time.perf_counter() - t
        got: list[tuple[str, ...]] | None = (
            None if res.decision == "none" else [h.criterion_codes for h in res.results]
        )
        ok = _grade(ours, item, got)
        if not item.none:
            decisions[res.decision] += 1
            answered_right += res.decision == "answer" and ok
        if not ok:
            top = [(h.criterion_codes, round(h.score, 1)) for h in res.results]
            misses.append(f"  {res.decision:<7} {item.q!r} want {sorted(item.codes)} got {top}")
        for base, tally in ((naive, t_naive), (bm25, t_bm25)):
            t = time.perf_counter()
            out = base.ask(item.q)
            tally.seconds += time.perf_counter() - t
            _grade(tally, item, out)

    print(f"questions: {args.questions} ({ours.inscope} in scope, {ours.oos} out of scope)")
    print(f"index: {index.entry_count} entries, {len(index)} targets, built in {build_s:.2f} s")
    print()
    print(f"{'method':<10} {'top-1 %':>7} {'top-3 %':>7} {'none-OOS %':>9} {'ms/query':>10}")
    print(ours.row("ours"))
    print(t_naive.row("wratio"))
    print(t_bm25.row("bm25"))
    print()
    n = max(ours.inscope, 1)
    print(
        "ours, in-scope decisions: "
        + ", ".join(f"{k} {100 * v / n:.1f} %" for k, v in decisions.items())
        + f"; answers right {answered_right}/{decisions['answer']}"
    )
    if args.verbose and misses:
        print("misses:")
        print("\n".join(misses))
    return 0


def _main() -> None:
    sys.exit(main())


if __name__ == "__main__":
    _main()
