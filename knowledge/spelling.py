"""Vietnamese spelling: is a folded word a possible syllable, and what did a typo mean?

Officers type fast on phones: letters swap ("theo" → "teho", "hiện" → "hệin"), drop ("kiểm
chứng" → "kiểm chng") or double. Vietnamese syllables have a strict shape — an onset from a
short list, then a rhyme from a closed inventory, with the spelling rules of c/k, g/gh, ng/ngh
— so most such typos are not syllables at all. A word that is not a syllable and not known to
the index is a typo worth correcting; a word that is a syllable but unknown is left alone,
since it may well be a real word that the knowledge base just does not use ("mưa", "lương").

Everything works on folded text (no diacritics, đ as d), as the index does.
"""

from __future__ import annotations

import re
from functools import lru_cache

from knowledge.text import SHORTHAND, fold

__all__ = ["is_syllable", "key_readings", "syllable_splits"]

_ONSETS = (
    "ngh", "ng", "gh", "gi", "kh", "nh", "ph", "th", "tr", "ch", "qu",
    "b", "c", "d", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)  # fmt: skip

# Rhymes (vần) with their vowel marks, without tone: the folded forms are what is checked.
_RHYMES_ACCENTED = """
a ai ao au ay ac ach am an ang anh ap at
ăc ăm ăn ăng ăp ăt
âc âm ân âng âp ât âu ây
e eo ec em en eng ep et
ê êch êm ên ênh êp êt êu
i ia ich im in inh ip it iu
iêc iêm iên iêng iêp iêt iêu
o oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt
oc oe oen oeo oet oi om on ong ooc oong op ot
ô ôc ôi ôm ôn ông ôp ôt
ơ ơi ơm ơn ơp ơt
u ua uân uâng uât uây uc ui um un ung up ut uy uya uych uyên uyêt uyn uynh uyp uyt uyu
uê uêch uênh uơ uôc uôi uôm uôn uông uôp uôt
ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
y yêm yên yêt yêu
"""
_RHYMES = frozenset(fold(r) for r in _RHYMES_ACCENTED.split())

# Onsets that take only front vowels (i, e, ê, y) and the ones that never do.
_FRONT_ONLY = frozenset({"k", "gh", "ngh"})
_NOT_FRONT = frozenset({"c", "g", "ng"})


@lru_cache(maxsize=8192)
def is_syllable(word: str) -> bool:
    """Whether folded ``word`` can be a Vietnamese syllable (spelling rules included)."""
    if not word.isalpha() or not word.isascii():
        return False
    for onset in _ONSETS:
        if not word.startswith(onset):
            continue
        rhyme = word[len(onset) :]
        if onset == "gi" and (rhyme == "" or rhyme in _RHYMES or "i" + rhyme in _RHYMES):
            return True  # gì, gia, giếng (gi + iêng)
        if rhyme not in _RHYMES:
            continue
        front = rhyme[0] in "iey"
        if onset in _FRONT_ONLY and not front:
            continue
        if onset in _NOT_FRONT and front:
            continue
        if onset == "qu" and rhyme.startswith("u"):
            continue
        return True
    return False


# ---------------------------------------------------------------- keys left in the text
# Letters that never follow the vowel of a Vietnamese syllable: typed after it, they are the
# Telex keys of a tone or a mark, left in the text when the input method is off or misfires
# ("chis" chí, "hoof" hồ, "dduwowcj" được). f, j, w, z are no Vietnamese letters at all.
_TAIL_KEYS = frozenset("sfrxjwz")
_VOWELS = frozenset("aeiouy")
_RUN_RE = re.compile(r"(.)\1+")
# Phone spellings of an onset (f for ph, w for qu, z and dz for gi or d, j for gi, k for c
# before a back vowel): readings to be confirmed by context, since foreign words start so too.
_ONSET_SPELLINGS: dict[str, tuple[str, ...]] = {
    "f": ("ph",),
    "w": ("qu",),
    "dz": ("d", "gi"),
    "z": ("gi", "d"),
    "j": ("gi",),
}


def _collapse(word: str) -> str:
    """Runs of one letter as one ("khongg", "theooo", Telex "tieeu", "dd")."""
    return _RUN_RE.sub(r"\1", word)


@lru_cache(maxsize=8192)
def key_readings(word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a folded word that is not a syllable may have been typed for, as syllables:
    ``(sure, onset)``. *Sure* readings only drop keys — letters held down ("khongggg",
    "theoo") and Telex tone and mark keys typed with the input method off ("tieeu" tiêu, "chis"
    chí, "hoof" hồ, "sow" sơ, "dduwowcj" được, "nhw" như). *Onset* readings also respell a phone
    onset ("fap" pháp, "wy" quy, "zai" giải, "jup" giúp, "kai" cái); a foreign word may start
    so too, so the caller takes them only where the context confirms them. A word that is a
    syllable has no readings: it is a word."""
    if not word.isalpha() or not word.isascii() or is_syllable(word):
        return (), ()
    first = next((k for k, ch in enumerate(word) if ch in _VOWELS), None)
    if first is None:
        # No vowel: a Telex w stands for ư ("nhw" như, "tw" tư).
        if "w" not in word:
            return (), ()
        head, tail = word[: word.index("w")], "u" + word[word.index("w") + 1 :]
    else:
        head, tail = word[:first], word[first:]
    # A key is followed by no vowel: "hoso" is two words run together, not "ho" + s.
    body = tail[0] + "".join(
        ch
        for k, ch in enumerate(tail[1:], 1)
        if ch not in _TAIL_KEYS or (ch != "w" and tail[k + 1 : k + 2] in _VOWELS)
    )
    sure: list[str] = []
    for cand in (_collapse(head + tail), _collapse(head + body)):
        if cand != word and is_syllable(cand) and cand not in sure:
            sure.append(cand)
    onset: list[str] = []
    head1 = _collapse(head)
    for spelt, means in _ONSET_SPELLINGS.items():
        if head1 == spelt:
            for m in means:
                cand = _collapse(m + body) if m != "d" else "d" + _collapse(body)
                if is_syllable(cand) and cand not in sure and cand not in onset:
                    onset.append(cand)
    if head1 == "k" and body[:1] in ("a", "o", "u"):
        cand = "c" + _collapse(body)
        if is_syllable(cand) and cand not in sure:
            onset.append(cand)
    return tuple(sure), tuple(onset)


@lru_cache(maxsize=8192)
def syllable_splits(word: str, max_parts: int = 3) -> tuple[tuple[str, ...], ...]:
    """The ways a folded word run together from several ("tieuchi", "hoso", "dichvucong",
    "nhieudiem", "kophai") splits into 2 to ``max_parts`` syllables or chat shorthand, fewest
    parts first. Only for a
    word that is not a syllable itself; the caller chooses by what the index knows."""
    if len(word) < 4 or not word.isalpha() or not word.isascii() or is_syllable(word):
        return ()
    out: list[tuple[str, ...]] = []

    def walk(rest: str, parts: tuple[str, ...]) -> None:
        if not rest:
            if len(parts) >= 2:
                out.append(parts)
            return
        if len(parts) == max_parts:
            return
        for k in range(1, min(len(rest), 7) + 1):
            head = rest[:k]
            if is_syllable(head) or head in SHORTHAND:
                walk(rest[k:], (*parts, head))

    walk(word, ())
    out.sort(key=len)
    return tuple(out)
