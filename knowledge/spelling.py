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

from functools import lru_cache

from knowledge.text import fold

__all__ = ["is_syllable"]

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
