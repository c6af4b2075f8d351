"""Synthetic stress variants of the tuning sets' questions, to find systematic weaknesses.

    .venv/bin/python -m bench.stress [--questions PATH ...] [--seed N] [-v]

Each question is rewritten the way officers type on phones, by fixed rules and a seeded random
generator: ``fold`` (all diacritics dropped), ``short`` (folded, with chat shorthand: ko, dc,
hs, bc, kh, vb, tthc, bn, ntn, j, e, a/c…), ``typo`` (folded, one or two words with a letter
dropped, doubled or swapped), ``heavy`` (all three) and ``tone`` (accents kept, one or two
tone marks wrong or missing). Per variant: top-1 over in-scope questions, in scope → "none",
out of scope → "none", and for in-scope "none" which rule of the decision refused
(foreign, score, coverage). Only the tuning sets are read (never the held-aside ones).

``--ways`` runs a second family, the ways of typing that leave keys in the text: ``telex2`` /
``telex`` (two words / every word typed with the Telex keys and the input method off: "hoof
sow", "dduwowcj"), ``vni2`` (two words in VNI keys), ``teen`` (phone spellings: hok, kg, j, z,
w for qu, f for ph, z/d for gi, bit, r, dk), ``join`` (two neighbouring words run together),
``elong`` (a letter held down: "khongggg"), ``caps``, ``nospace`` (no space after
punctuation), ``no_dd`` (accents typed, đ as d), ``dropfin`` (a word's last letter
dropped), ``nearkey`` (a letter replaced by a neighbouring key), ``vowel`` (a wrong hat or
horn: a/ă/â, o/ô/ơ), ``mixed`` (accents on about half the words) and ``mix_all`` (several at
once). ``--only NAME -v`` lists one variant's misses.
"""

from __future__ import annotations

import argparse
import random
import unicodedata
from collections import Counter
from collections.abc import Callable
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
    GENERAL_MIN,
    TASK_MIN,
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


# ---------------------------------------------------------------- ways of typing (round 2)
# Keyboard leftovers: the input method off or misfiring leaves its key strokes in the text.
_MARK_TELEX = {"\u0302": None, "\u0306": "w", "\u031b": "w"}  # circumflex doubles the vowel
_TONE_TELEX = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_MARK_VNI = {"\u0302": "6", "\u0306": "8", "\u031b": "7"}
_TONE_VNI = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}


def _keys(word: str, vni: bool) -> str:
    """``word`` as typed with the Telex (or VNI) keys and no input method: "được" →
    "dduwowcj" ("duo75c" in VNI)."""
    out: list[str] = []
    tone = ""
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONE_TELEX:
            tone = (_TONE_VNI if vni else _TONE_TELEX)[ch]
        elif ch in _MARK_TELEX:
            if vni:
                out.append(_MARK_VNI[ch])
            elif _MARK_TELEX[ch] is None:
                out.append(out[-1] if out else "")
            else:
                out.append("w")
        elif ch in "đĐ":
            out.append("d9" if vni else "dd")
        else:
            out.append(ch)
    return "".join(out) + tone


def _some(words: list[str], rng: random.Random, n: int, pred: Callable[[str], bool]) -> list[int]:
    idx = [i for i, w in enumerate(words) if pred(w)]
    return rng.sample(idx, min(n, len(idx)))


def _keyed(text: str, rng: random.Random, n: int | None, vni: bool = False) -> str:
    """Some (``n``) or all words of an accented text typed with their keys."""
    words = unicodedata.normalize("NFC", text).split()
    picked = (
        range(len(words))
        if n is None
        else _some(words, rng, n, lambda w: _fold_text(w) != w)
    )
    for i in picked:
        words[i] = _keys(words[i], vni)
    return " ".join(words)


# Phone/teen spellings of folded words (word → choices) and of onsets.
_TEEN_WORDS = {
    "khong": ("hok", "hem", "kg", "khg", "k", "ko", "hong", "khum"),
    "gi": ("j", "z", "gi"),
    "biet": ("bit", "bik", "bjk"),
    "roi": ("r", "rui", "roai"),
    "duoc": ("dc", "dk", "dzc", "duoc"),
    "vay": ("z", "v", "zay", "dzay", "vay"),
    "a": ("ak", "ah", "a"),
    "ha": ("ha", "hak"),
    "nhu the nao": ("ntn", "nhu the lao"),
    "the nao": ("ntn", "the lao"),
    "cung": ("cx", "cug"),
    "chua": ("chx", "chua"),
    "minh": ("mk", "mik"),
    "nhieu": ("nhiu", "nhieu"),
    "voi": ("vs", "voi"),
}


def _teen_word(w: str, rng: random.Random) -> str:
    if w.startswith("gi") and len(w) > 2 and rng.random() < 0.6:
        w = rng.choice(("z", "d")) + w[2:]
    elif w.startswith("qu") and rng.random() < 0.6:
        w = "w" + w[2:]
    elif w.startswith("ph") and rng.random() < 0.6:
        w = "f" + w[2:]
    return w


def _teen(text: str, rng: random.Random) -> str:
    out = f" {text.lower()} "
    for long, choices in _TEEN_WORDS.items():
        if f" {long} " in out and rng.random() < 0.8:
            out = out.replace(f" {long} ", f" {rng.choice(choices)} ")
    return " ".join(_teen_word(w, rng) for w in out.split())


def _join(text: str, rng: random.Random, n: int) -> str:
    """Two neighbouring words run together ("tieuchi", "hoso", "dichvucong")."""
    words = text.split()
    idx = [
        i
        for i in range(len(words) - 1)
        if words[i].isalpha() and words[i + 1].isalpha() and len(words[i]) >= 2
    ]
    for i in sorted(rng.sample(idx, min(n, len(idx))), reverse=True):
        if i + 1 < len(words):
            words[i : i + 2] = [words[i] + words[i + 1]]
    return " ".join(words)


def _elongate(text: str, rng: random.Random, n: int) -> str:
    words = text.split()
    for i in _some(words, rng, n, lambda w: w.isalpha()):
        words[i] = words[i] + words[i][-1] * rng.randint(2, 4)
    return " ".join(words)


def _nospace(text: str) -> str:
    return (
        text.replace(", ", ",").replace(". ", ".").replace("? ", "?").replace("! ", "!")
        .replace(": ", ":")
    )


def _drop_final(text: str, rng: random.Random, n: int) -> str:
    words = text.split()
    for i in _some(words, rng, n, lambda w: len(w) >= 3 and w.isalpha()):
        words[i] = words[i][:-1]
    return " ".join(words)


_VOWEL_SWAP = {"a": "ăâ", "ă": "aâ", "â": "aă", "o": "ôơ", "ô": "oơ", "ơ": "oô", "e": "ê",
               "ê": "e", "u": "ư", "ư": "u"}  # fmt: skip


_QWERTY = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR = {
    ch: "".join(
        row2[j]
        for r2, row2 in enumerate(_QWERTY)
        for j in (i - 1, i, i + 1)
        if abs(r2 - r) <= 1 and 0 <= j < len(row2) and row2[j] != ch
    )
    for r, row in enumerate(_QWERTY)
    for i, ch in enumerate(row)
}


def _near_key(text: str, rng: random.Random, n: int) -> str:
    """One letter of a word replaced by a neighbouring key of the phone keyboard."""
    words = text.split()
    for i in _some(words, rng, n, lambda w: len(w) >= 3 and w.isalpha() and w.isascii()):
        w = words[i]
        k = rng.randrange(len(w))
        near = _NEAR.get(w[k].lower(), "")
        if near:
            words[i] = w[:k] + rng.choice(near) + w[k + 1 :]
    return " ".join(words)


def _vowel(text: str, rng: random.Random, n: int) -> str:
    """One vowel of a word written with the wrong hat or horn (tone kept)."""
    words = unicodedata.normalize("NFC", text).split()
    for i in _some(words, rng, n, lambda w: w.isalpha() and _fold_text(w) != w):
        chars = list(unicodedata.normalize("NFD", words[i]))
        base = [j for j, c in enumerate(chars) if c.lower() in "aeou"]
        if not base:
            continue
        j = rng.choice(base)
        mark = chars[j + 1] if j + 1 < len(chars) and chars[j + 1] in _MARK_TELEX else ""
        cur = unicodedata.normalize("NFC", chars[j] + mark)
        if cur.lower() not in _VOWEL_SWAP:
            continue
        new = unicodedata.normalize("NFD", rng.choice(_VOWEL_SWAP[cur.lower()]))
        chars[j : j + 1 + bool(mark)] = list(new)
        words[i] = unicodedata.normalize("NFC", "".join(chars))
    return " ".join(words)


def _mixed(text: str, rng: random.Random) -> str:
    """Accents typed on some words only (each word folded with probability one half)."""
    return " ".join(_fold_text(w) if rng.random() < 0.5 else w for w in text.split())


def _no_dd(text: str) -> str:
    """Accents typed, but đ as a plain d (a keyboard without it)."""
    return text.replace("đ", "d").replace("Đ", "D")


def variants2(q: str, rng: random.Random) -> dict[str, str]:
    f = _fold_text(q)
    return {
        "orig": q,
        "telex2": _keyed(q, rng, 2),
        "telex": _keyed(q, rng, None),
        "vni2": _keyed(q, rng, 2, vni=True),
        "teen": _teen(f, rng),
        "join": _join(f, rng, 2),
        "elong": _elongate(f, rng, 2),
        "caps": f.upper(),
        "nospace": _nospace(f),
        "no_dd": _no_dd(q),
        "dropfin": _drop_final(f, rng, 2),
        "nearkey": _near_key(f, rng, 2),
        "vowel": _vowel(q, rng, 2),
        "mixed": _mixed(q, rng),
        "mix_all": _nospace(_elongate(_teen(_typo(f, rng, 1), rng), rng, 1)),
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
    if q.task and not q.intent and best_s < TASK_MIN:
        return "task"
    if not index._targets[best_t].codes and best_s < GENERAL_MIN:
        return "general"
    floor = COVERAGE_MIN_INTENT if q.intent else COVERAGE_MIN
    least = CLARIFY_MIN if q.intent else max(CLARIFY_MIN, CLARIFY_MIN_PLAIN)
    parts = []
    if best_s < least:
        parts.append("score-intent" if q.intent else "score-plain")
    if cov < floor:
        parts.append("cov-intent" if q.intent else "cov-plain")
    # Not clarified below the bars: because of what (an ask for a task, an off-topic word in
    # the situation, too few of its words in the best criterion), or too far below them.
    if not q.intent:
        few = not index._shares_topic(q, best_t)
        parts.append("task" if q.task else "offctx" if q.foreign else "few" if few else "far")
    return "+".join(parts) or "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, action="append")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "--ways",
        action="store_true",
        help="the second family: keyboard leftovers, teen spellings…",
    )
    parser.add_argument("--only", help="print (with -v) only this variant")
    args = parser.parse_args(argv)
    index = build_default_index()
    items: list[Item] = []
    for path in args.questions or SETS:
        if path.exists():
            items += load_items(path)
    rng = random.Random(args.seed)
    make = variants2 if args.ways else variants
    names = tuple(make("a", random.Random(0)))
    tally: dict[str, Counter[str]] = {n: Counter() for n in names}
    reasons: dict[str, Counter[str]] = {n: Counter() for n in names}
    for item in items:
        for name, text in make(item.q, rng).items():
            show = args.verbose and (args.only is None or args.only == name)
            res = index.search(text)
            t = tally[name]
            if item.none:
                t["oos"] += 1
                t["oos_none"] += res.decision == "none"
                if show and res.decision != "none" and name != "orig":
                    print(f"OOS-ANS {name:6} {text!r}")
                continue
            t["in"] += 1
            if res.decision == "none":
                t["in_none"] += 1
                why = why_none(index, text)
                reasons[name][why] += 1
                if show:
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
