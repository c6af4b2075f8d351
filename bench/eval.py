"""Question-answering quality on evaluation sets, next to baselines in the same run.

    .venv/bin/python -m bench.eval [--questions PATH ...] [-v]

Without ``--questions`` every set found is measured: the short development set
(``../shared/eval/dev-questions.yaml``), the realistic one (``dev-questions-2.yaml``), our own
recall set (``bench/recall-questions.yaml``), a validation set written from the reference
files by a teammate who never saw the knowledge base (``bench/validation-questions.yaml``) and
our held-aside set
(``bench/holdout-questions.yaml``, written by someone else and never used for tuning; see
README). The questions go through the same path as ``cchc-bot ask`` (``build_default_index``
then ``search``). The baselines see the same texts (entry questions, alternatives and answers;
criterion titles, rules, evidence and notes):

* wratio — ``rapidfuzz.process.extract(query, texts, scorer=fuzz.WRatio)``, "none" below 70;
* bm25 — word tokens, lower case, no folding; "none" below 30 % of the query's ceiling;
* bm25-fold — plain BM25 over diacritic-folded words, never "none" (the issue's reference).

A hit is a result whose criterion codes intersect the item's codes (or, for an item with
``ids``, whose entry id is one of them). Top-1 and top-3 are over in-scope items; "none" is
the share of out-of-scope items (``expect: none``) given no answer. For ours the run also
prints, per set: the share of in-scope questions answered "none" (should be rare) and
clarified (top-1 and top-3 count a clarifying question's first options), how often a
confident "answer" is right, and the same figures per style (``style:`` tags; the first tag
is an item's main style, every tag counts).
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
from knowledge.ask import build_default_index, entries_for
from knowledge.loader import require_entries
from knowledge.schema import Entry
from knowledge.search import rule_text
from knowledge.text import fold

REPO = Path(__file__).resolve().parent.parent
SHARED_EVAL = REPO.parent / "shared" / "eval"
DEFAULT_QUESTIONS = SHARED_EVAL / "dev-questions.yaml"
DEFAULT_SETS = (
    SHARED_EVAL / "dev-questions.yaml",
    SHARED_EVAL / "dev-questions-2.yaml",
    REPO / "bench" / "recall-questions.yaml",
    REPO / "bench" / "validation-questions.yaml",
    REPO / "bench" / "tuning2-questions.yaml",
    REPO / "bench" / "holdout-questions.yaml",
    REPO / "bench" / "holdout2-questions.yaml",
)


@dataclass(frozen=True)
class Item:
    q: str
    codes: frozenset[str]
    none: bool
    styles: tuple[str, ...] = ()
    ids: frozenset[str] = frozenset()


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
        styles = r.get("style") or ()
        styles = (styles,) if isinstance(styles, str) else tuple(str(x) for x in styles)
        ids = frozenset(str(i) for i in r.get("ids") or ())
        items.append(Item(str(r["q"]), codes, r.get("expect") == "none", styles, ids))
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


Got = list[tuple[tuple[str, ...], str]]  # (codes, entry id) of each result


def _top_targets(
    ranked: list[tuple[int, float]], docs: list[tuple[str, tuple[str, ...], str]], k: int = 3
) -> list[tuple[tuple[str, ...], str]]:
    seen: set[str] = set()
    out: list[tuple[tuple[str, ...], str]] = []
    for i, _ in ranked:
        _, codes, key = docs[i]
        if key in seen:
            continue
        seen.add(key)
        out.append((codes, key))
        if len(out) == k:
            break
    return out


class Naive:
    """A full rapidfuzz WRatio scan over the raw texts."""

    cutoff = 70.0

    def __init__(self, docs: list[tuple[str, tuple[str, ...], str]]) -> None:
        self.docs = docs
        self.texts = [d[0] for d in docs]

    def ask(self, q: str) -> Got | None:
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
        toks = [self.words(d[0]) for d in docs]
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

    def words(self, text: str) -> list[str]:
        return _WORD.findall(text.lower())

    def ask(self, q: str) -> Got | None:
        words = list(dict.fromkeys(self.words(q)))
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


class FoldedBM25(BM25):
    """Plain BM25 over diacritic-folded lower-case words; always answers (no "none")."""

    cutoff = 0.0

    def words(self, text: str) -> list[str]:
        return _WORD.findall(fold(text.lower()))


def _hit(item: Item, codes: tuple[str, ...], key: str) -> bool:
    if item.ids:
        return key in item.ids
    return bool(item.codes.intersection(codes))


def _grade(tally: Tally, item: Item, got: Got | None) -> bool:
    if item.none:
        tally.oos += 1
        tally.none_ok += got is None
        return got is None
    tally.inscope += 1
    got = got or []
    ok1 = bool(got) and _hit(item, *got[0])
    tally.top1 += ok1
    tally.top3 += any(_hit(item, *g) for g in got[:3])
    return ok1


@dataclass
class Ours(Tally):
    """Our tally, with the decisions on in-scope questions."""

    none_in: int = 0
    clarified: int = 0
    answers: int = 0
    answers_right: int = 0

    def add(self, item: Item, decision: str, ok: bool) -> None:
        if item.none:
            return
        self.none_in += decision == "none"
        self.clarified += decision == "clarify"
        if decision == "answer":
            self.answers += 1
            self.answers_right += ok

    def extra(self) -> str:
        n = max(self.inscope, 1)
        # Top-1 and top-3 count a clarifying question's first options: its share says how much
        # of top-1 costs the officer a tap.
        return (
            f"in-scope → none {100 * self.none_in / n:.1f} %, "
            f"clarified {100 * self.clarified / n:.1f} %, "
            f"confident answers right {100 * self.answers_right / max(self.answers, 1):.1f} % "
            f"({self.answers_right}/{self.answers})"
        )


def evaluate(path: Path, index: object, baselines: dict[str, BM25 | Naive], verbose: bool) -> None:
    from knowledge.search import SearchIndex

    assert isinstance(index, SearchIndex)
    items = load_items(path)
    ours = Ours()
    by_style: dict[str, Ours] = {}
    tallies = {name: Tally() for name in baselines}
    misses: list[str] = []
    for item in items:
        t = time.perf_counter()
        res = index.search(item.q, top=3)
        ours.seconds += time.perf_counter() - t
        got: Got | None = (
            None
            if res.decision == "none"
            else [(h.criterion_codes, h.entry_id or "") for h in res.results]
        )
        ok = _grade(ours, item, got)
        ours.add(item, res.decision, ok)
        for style in item.styles or ("-",):
            st = by_style.setdefault(style, Ours())
            _grade(st, item, got)
            st.add(item, res.decision, ok)
        if not ok or (res.decision != "answer" and not item.none and verbose):
            top = [(h.criterion_codes, round(h.score, 1)) for h in res.results]
            want = sorted(item.ids or item.codes) or ["none"]
            mark = "MISS" if not ok else "ok  "
            misses.append(f"  {mark} {res.decision:<7} {item.q!r} want {want} got {top}")
        for name, base in baselines.items():
            t = time.perf_counter()
            out = base.ask(item.q)
            tallies[name].seconds += time.perf_counter() - t
            _grade(tallies[name], item, out)

    print(f"## {path.name}: {ours.inscope} in scope, {ours.oos} out of scope")
    print(f"{'method':<10} {'top-1 %':>7} {'top-3 %':>7} {'none-OOS %':>9} {'ms/query':>10}")
    print(ours.row("ours"))
    for name, tally in tallies.items():
        print(tally.row(name))
    print("ours: " + ours.extra())
    if len(by_style) > 1:
        print(f"{'style':<10} {'n':>4} {'top-1 %':>7} {'top-3 %':>7} {'none-OOS %':>9}"
              f" {'in→none %':>9} {'answers right':>14}")
        for style in sorted(by_style, key=lambda k: -(by_style[k].inscope + by_style[k].oos)):
            st = by_style[style]
            n_in = max(st.inscope, 1)
            t1, t3 = 100 * st.top1 / n_in, 100 * st.top3 / n_in
            nn = f"{100 * st.none_ok / st.oos:.1f}" if st.oos else "-"
            print(
                f"{style:<10} {st.inscope + st.oos:>4} {t1:>7.1f} {t3:>7.1f} {nn:>9}"
                f" {100 * st.none_in / n_in:>9.1f} {st.answers_right:>6}/{st.answers:<6}"
            )
    if verbose and misses:
        print("misses:")
        print("\n".join(misses))
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, action="append")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = parser.parse_args(argv)
    paths = args.questions or [p for p in DEFAULT_SETS if p.exists()]

    t0 = time.perf_counter()
    index = build_default_index()
    build_s = time.perf_counter() - t0
    catalogue = require_catalogue()
    entries = entries_for(require_entries(None, catalogue.all_codes()), catalogue.current.id)
    docs = corpus(entries, catalogue.current)
    baselines: dict[str, BM25 | Naive] = {
        "wratio": Naive(docs),
        "bm25": BM25(docs),
        "bm25-fold": FoldedBM25(docs),
    }
    warm = "kế hoạch cải cách hành chính"  # first-call costs are not per query
    index.search(warm)
    for baseline in baselines.values():
        baseline.ask(warm)
    print(f"index: {index.entry_count} entries, {len(index)} targets, built in {build_s:.2f} s")
    print()
    for path in paths:
        evaluate(path, index, baselines, args.verbose)
    return 0


def _main() -> None:
    sys.exit(main())


if __name__ == "__main__":
    _main()
