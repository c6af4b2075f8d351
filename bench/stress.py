"""Synthetic stress variants of the tuning sets' questions, to find systematic weaknesses.

    .venv/bin/python -m bench.stress [--questions PATH ...] [--seed N] [-v]

Each question is rewritten the way officers type on phones, by fixed rules and a seeded random
generator: ``fold`` (all diacritics dropped), ``short`` (folded, with chat shorthand: ko, dc,
hs, bc, kh, vb, tthc, bn, ntn, j, e, a/c…), ``typo`` (folded, one or two words with a letter
dropped, doubled or swapped), ``heavy`` (all three) and ``tone`` (accents kept, one or two
tone marks wrong or missing). Per variant: top-1 over in-scope questions, in scope → "none",
out of scope → "none", and for in-scope "none" which rule of the decision refused
(foreign, score, coverage). Only the tuning sets are read (never the held-aside ones).
"""

from __future__ import annotations

import argparse
import random
import unicodedata
from collections import Counter
from pathlib import Path

from bench.calibrate import TUNING
from bench.eval import REPO, SHARED_EVAL, Item, load_items
from knowledge.ask import build_default_index
from knowledge.search import (
    CLARIFY_MIN,
    CLARIFY_MIN_PLAIN,
    COVERAGE_MIN,
    COVERAGE_MIN_INTENT,
    FOREIGN_COVERAGE,
    SearchIndex,
)
from knowledge.text import fold

SETS = (*TUNING, SHARED_EVAL / "dev-questions.yaml", REPO / "bench" / "tuning3-questions.yaml")

# Folded word or phrase → shorthand, as typed in chats.
_SHORT = [
    ("khong", "ko"),
    ("duoc", "dc"),
    ("ho so", "hs"),
    ("bao cao", "bc"),
    ("ke hoach", "kh"),
    ("van ban", "vb"),
    ("thu tuc hanh chinh", "tthc"),
    ("bao nhieu", "bn"),
    ("nhu the nao", "ntn"),
    ("the nao", "ntn"),
    ("gi", "j"),
    ("em", "e"),
    ("anh chi", "a/c"),
    ("moi nguoi", "mn"),
    ("voi", "vs"),
    ("quyet dinh", "qd"),
    ("tai lieu kiem chung", "tlkc"),
    ("cai cach hanh chinh", "cchc"),
    ("cong chuc", "cc"),
    ("nhiem vu", "nv"),
    ("vay", "v"),
    ("truc tuyen", "online"),
    ("diem", "d"),
    ("chua", "chx"),
    ("biet", "bik"),
]
_TONES = {
    "a": "aáàảãạ",
    "ă": "ăắằẳẵặ",
    "â": "âấầẩẫậ",
    "e": "eéèẻẽẹ",
    "ê": "êếềểễệ",
    "i": "iíìỉĩị",
    "o": "oóòỏõọ",
    "ô": "ôốồổỗộ",
    "ơ": "ơớờởỡợ",
    "u": "uúùủũụ",
    "ư": "ưứừửữự",
    "y": "yýỳỷỹỵ",
}
_BASE = {ch: base for base, forms in _TONES.items() for ch in forms}


def _fold_text(text: str) -> str:
    return "".join(fold(ch) if ch.isalpha() else ch for ch in text)


def _short(text: str, rng: random.Random) -> str:
    out = f" {text.lower()} "
    for long, short in _SHORT:
        if rng.random() < 0.8:
            out = out.replace(f" {long} ", f" {short} ")
    return out.strip()


def _typo(text: str, rng: random.Random, n: int) -> str:
    words = text.split()
    idx = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for i in rng.sample(idx, min(n, len(idx))):
        w = words[i]
        k = rng.randrange(1, len(w) - 1)
        op = rng.choice("dsx")
        if op == "d":
            w = w[:k] + w[k + 1 :]
        elif op == "s":
            w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
        else:
            w = w[:k] + w[k] + w[k:]
        words[i] = w
    return " ".join(words)


def _tone(text: str, rng: random.Random, n: int) -> str:
    text = unicodedata.normalize("NFC", text)
    words = text.split()
    idx = [i for i, w in enumerate(words) if any(ch in _BASE and ch != _BASE[ch] for ch in w)]
    for i in rng.sample(idx, min(n, len(idx))):
        chars = list(words[i])
        for j, ch in enumerate(chars):
            if ch in _BASE:
                chars[j] = rng.choice(_TONES[_BASE[ch]])
                break
        words[i] = "".join(chars)
    return " ".join(words)


def variants(q: str, rng: random.Random) -> dict[str, str]:
    f = _fold_text(q)
    return {
        "orig": q,
        "fold": f,
        "short": _short(f, rng),
        "typo": _typo(f, rng, 2),
        "heavy": _typo(_short(f, rng), rng, 2),
        "tone": _tone(q, rng, 2),
    }


def why_none(index: SearchIndex, query: str) -> str:
    codes, q = index.read(query)
    if codes:
        return "code"
    scored = index._rank(q)
    if not scored:
        return "nothing"
    best_t, best_s, cov = scored[0]
    cov = max(cov, index._topic_coverage(q, best_t))
    if q.foreign_ask and cov < FOREIGN_COVERAGE:
        return "foreign"
    floor = COVERAGE_MIN_INTENT if q.intent else COVERAGE_MIN
    least = CLARIFY_MIN if q.intent else max(CLARIFY_MIN, CLARIFY_MIN_PLAIN)
    parts = []
    if best_s < least:
        parts.append("score-intent" if q.intent else "score-plain")
    if cov < floor:
        parts.append("cov-intent" if q.intent else "cov-plain")
    return "+".join(parts) or "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, action="append")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    index = build_default_index()
    items: list[Item] = []
    for path in args.questions or SETS:
        if path.exists():
            items += load_items(path)
    rng = random.Random(args.seed)
    names = ("orig", "fold", "short", "typo", "heavy", "tone")
    tally = {n: Counter() for n in names}
    reasons = {n: Counter() for n in names}
    for item in items:
        for name, text in variants(item.q, rng).items():
            res = index.search(text)
            t = tally[name]
            if item.none:
                t["oos"] += 1
                t["oos_none"] += res.decision == "none"
                if args.verbose and res.decision != "none" and name != "orig":
                    print(f"OOS-ANS {name:6} {text!r}")
                continue
            t["in"] += 1
            if res.decision == "none":
                t["in_none"] += 1
                why = why_none(index, text)
                reasons[name][why] += 1
                if args.verbose:
                    print(f"IN-NONE {name:6} {why:12} {text!r}")
                continue
            if res.results and (
                item.codes.intersection(res.results[0].criterion_codes)
                or (item.ids and res.results[0].entry_id in item.ids)
            ):
                t["top1"] += 1
            if res.decision == "answer":
                t["ans"] += 1
                t["ans_ok"] += bool(
                    res.results
                    and (
                        item.codes.intersection(res.results[0].criterion_codes)
                        or (item.ids and res.results[0].entry_id in item.ids)
                    )
                )
    print("variant  top-1 %  in→none %  oos→none %  answers right %  in→none reasons")
    for n in names:
        t = tally[n]
        top1 = 100 * t["top1"] / max(t["in"], 1)
        in_none = 100 * t["in_none"] / max(t["in"], 1)
        oos_none = 100 * t["oos_none"] / max(t["oos"], 1)
        right = 100 * t["ans_ok"] / max(t["ans"], 1)
        print(
            f"{n:7} {top1:7.1f} {in_none:9.1f} {oos_none:10.1f} {right:14.1f}   {dict(reasons[n])}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
