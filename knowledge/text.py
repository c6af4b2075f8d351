"""Vietnamese text handling for search: normalisation, diacritic folding, abbreviations, codes.

Every text goes through :func:`analyze`, which yields two token-aligned forms:

* ``folded`` — lower case, no diacritics (đ → d), field abbreviations contracted to one
  canonical token ("cải cách hành chính", "cai cach hanh chinh" and "CCHC" all become
  ``cchc``). Used for recall, since officers often type without accents.
* ``accented`` — the same tokens with their diacritics kept, used to re-rank when the user did
  type accents (folding merges bán/bạn/bàn).

Criterion codes ("3.4.1", "tc 3.4", "tiêu chí 7.2.2", "TC7.2", "tieu chi 3.4.1") are found by
:func:`find_codes`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

__all__ = [
    "ABBREVIATIONS",
    "PHRASE_PAIRS",
    "SHORTHAND",
    "STOPWORDS",
    "STOPWORDS_ACCENTED",
    "Analyzed",
    "analyze",
    "expand",
    "find_codes",
    "fold",
    "has_diacritics",
    "is_stopword",
    "normalize",
    "tokens",
    "unhold",
]

# Canonical token → the spelled-out phrases (accented) it stands for, and the other
# abbreviations that mean the same. Phrases are matched on folded tokens, longest first, so
# the table works whether or not the user typed accents.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "cchc": ("cải cách hành chính",),
    "tthc": ("thủ tục hành chính",),
    "qppl": (
        "văn bản quy phạm pháp luật",
        "quy phạm pháp luật",
        "vbqppl",
        "văn bản qppl",
        "vb qppl",
    ),
    # Multi-word canonical forms keep the words they share with shorter phrases, so that
    # "cán bộ công chức" still meets "CBCCVC" and "một cửa" meets "Bộ phận Một cửa".
    "cbcc viên chức": ("cán bộ công chức viên chức", "cb cc vc", "cbccvc"),
    "cbcc": ("cán bộ công chức", "cb cc"),
    "tlkc": ("tài liệu kiểm chứng",),
    "dvc trực tuyến": ("dịch vụ công trực tuyến", "dvctt"),
    "dvc": ("dịch vụ công",),
    "pakn": ("phản ánh kiến nghị", "phản ánh, kiến nghị", "pa kn"),
    "dvsncl": ("đơn vị sự nghiệp công lập", "đơn vị sự nghiệp", "đvsn"),
    "nsnn": ("ngân sách nhà nước",),
    "ktxh": ("kinh tế xã hội", "kinh tế - xã hội", "kt-xh", "kt xh"),
    "hdnd": ("hội đồng nhân dân",),
    "ubnd": ("ủy ban nhân dân", "uỷ ban nhân dân", "ub"),
    "cntt": ("công nghệ thông tin",),
    "bcci": ("bưu chính công ích",),
    # ... and as voice typing writes it ("tiêu chuẩn i sô")
    "iso": ("hệ thống quản lý chất lượng", "htqlcl", "tcvn iso", "iso 9001", "i sô", "i-sô"),
    "sipas": ("chỉ số hài lòng", "chỉ số hài lòng về sự phục vụ hành chính"),
    "ttdt": ("thông tin điện tử", "ttđt"),
    "vtvl": ("vị trí việc làm",),
    "motcua": ("một cửa", "1 cửa"),
    # Telling people about the law is one activity whatever it is called ("tuyên truyền, phổ
    # biến, giáo dục pháp luật"): not the propaganda about CCHC (tuyên truyền cchc).
    "pbgdpl": (
        "phổ biến giáo dục pháp luật",
        "phổ biến, giáo dục pháp luật",
        "pbgd pl",
        "tuyên truyền phổ biến giáo dục pháp luật",
        "tuyên truyền, phổ biến, giáo dục pháp luật",
        "tuyên truyền phổ biến pháp luật",
        "tuyên truyền, phổ biến pháp luật",
        "tuyên truyền pháp luật",
        "phổ biến pháp luật",
        "giáo dục pháp luật",
        # ... and as officers shorten it ("tuyên truyền luật cho dân", "phổ biến pl")
        "tuyên truyền luật",
        "tuyên truyền pl",
        "phổ biến luật",
        "phổ biến pl",
        "pbpl",
    ),
    # "theo dõi tình hình thi hành pháp luật" is the activity's legal name (NĐ 59/2012).
    "thpl": (
        "thi hành pháp luật",
        "tình hình thi hành pháp luật",
        # ... "thực thi" is the everyday word for the same ("theo dõi việc thực thi luật")
        "thực thi pháp luật",
        "tình hình thực thi pháp luật",
        "thực thi luật",
    ),
    "bộ phận motcua": (
        "bộ phận một cửa",
        "bộ phận tiếp nhận và trả kết quả",
        "bp một cửa",
        "bpmc",
        "bộ phận 1 cửa",
    ),
    "qlvb": ("quản lý văn bản",),
    "cds": ("chuyển đổi số",),
    "kbnn": ("kho bạc nhà nước", "kho bạc"),
    "snv": ("sở nội vụ",),
    "tc": ("tiêu chí", "tieu chi"),
    "kh": ("kế hoạch",),
    "bc": ("báo cáo",),
    "qd": ("quyết định", "qđ"),
    "nd": ("nghị định", "nđ"),
    "nq": ("nghị quyết",),
    "tt": ("thông tư",),
    "cv": ("công văn",),
    "vb": ("văn bản",),
    "hs": ("hồ sơ",),
    "dn": ("doanh nghiệp",),
    "ntm": ("nông thôn mới",),
    "hdtd": ("hội đồng thẩm định",),
}

# Spelling variants that folding alone does not merge (i/y, old and new tone placement is
# handled separately). Keys and values are accented, lower case.
_SPELLING: dict[str, str] = {
    "tỉ": "tỷ",
    "ti": "tỷ",  # "ti le" typed without accents
    "kĩ": "kỹ",
    "lí": "lý",
    "mĩ": "mỹ",
    "qui": "quy",
    "sỹ": "sĩ",
    "phòng/ban": "phòng ban",
    "ko": "không",
    "k": "không",
    "khong": "không",
    "dc": "được",
    "đc": "được",
    "j": "gì",
    "ntn": "như thế nào",
    "e": "em",  # "cho e hỏi"
    "bn": "bao nhiêu",
    "vs": "với",
    "ng": "người",
    "cq": "cơ quan",
    "đv": "đơn vị",
    "tg": "thời gian",
    "sl": "số lượng",
    "%": "phần trăm",
    # Chat shorthand of the office (not ambiguous here).
    "onl": "online",
    "ol": "online",
    "ktra": "kiểm tra",
    "k.tra": "kiểm tra",
    "hok": "không",
    "khum": "không",
    "hông": "không",
    "hem": "không",
    "nhiêu": "bao nhiêu",
    "bnhieu": "bao nhiêu",
    "đ/c": "đồng chí",
    "vp": "văn phòng",
    "sdt": "số điện thoại",
    "sđt": "số điện thoại",
    "đt": "điện thoại",
    "app": "ứng dụng",
    "hc": "hành chính",
    # Chat spellings of common words, typed on phones.
    "chx": "chưa",
    "cx": "cũng",
    "ms": "mới",
    "trc": "trước",
    "bik": "biết",
    "bít": "biết",
    "mik": "mình",
    "nhiu": "nhiêu",
    "nhìu": "nhiều",
    "bnhiu": "bao nhiêu",
    "kq": "kết quả",
    "ql": "quản lý",
    "gq": "giải quyết",
    "lm": "làm",
    "tgian": "thời gian",
    "nvu": "nhiệm vụ",
    "bcao": "báo cáo",
    "bp": "bộ phận",
    "vd": "ví dụ",
    "kg": "không",
    "hk": "không",
    "dx": "được",
    "đx": "được",
    "đươc": "được",
    "bh": "bây giờ",
    "bgio": "bây giờ",
    "bjo": "bây giờ",
    "vc": "việc",
    "vđ": "vấn đề",
    "sd": "sử dụng",
    "ae": "anh em",
    "hum": "hôm",
    "wa": "quá",
    "wá": "quá",
    # Teencode for function words: read as words, not "corrected" to topic words ("thui" is no
    # "thu" of the budget).
    "thui": "thôi",
    "lun": "luôn",
    "nx": "nữa",
    "oy": "rồi",
    "zì": "gì",
    "ak": "à",
    # Office chat abbreviations of words ("hnay" is no "hay", "qly" no "quy").
    "hnay": "hôm nay",
    "hqua": "hôm qua",
    "nhg": "những",
    "qly": "quản lý",
    "ttra": "thanh tra",
    "cks": "chữ ký số",
    "cvp": "chánh văn phòng",
    "stp": "sở tư pháp",
    "dzay": "vậy",
    "zay": "vậy",
    # Southern speech as typed ("vậy co dung quy dinh hong", "tính vô phần này", "tui").
    "hổng": "không",
    "hong": "không",
    "dzậy": "vậy",
    "zậy": "vậy",
    "dzị": "vậy",
    "zị": "vậy",
    "tui": "tôi",
    "mần": "làm",
    "hổm": "hôm",
    "vô": "vào",
    "dzô": "vào",
    "zô": "vào",
    "ròi": "rồi",
    # Northern tr/ch as typed or dictated ("trấm điểm").
    "trấm": "chấm",
    "cty": "công ty",
    # Office abbreviations of the criteria's terms that mean nothing else (the ones that do —
    # ns, nv, bc, kl — are read in phrases by the lexicon, knowledge/lexicon.yaml).
    "ksthc": "kiểm soát tthc",
    "kstthc": "kiểm soát tthc",
    "tdthpl": "theo dõi thpl",
    "gdpl": "giáo dục pháp luật",
    "đtbd": "đào tạo bồi dưỡng",
    "dtbd": "đào tạo bồi dưỡng",
    "tgbc": "tinh giản biên chế",
    "đgnb": "đánh giá nội bộ",
    "dgnb": "đánh giá nội bộ",
    "cnnv": "chức năng nhiệm vụ",
    "qcctnb": "quy chế chi tiêu nội bộ",
    "ctnb": "chi tiêu nội bộ",
    "vbđt": "văn bản điện tử",
    "vbdt": "văn bản điện tử",
    "ccvc": "công chức viên chức",
    "pct": "phó chủ tịch",
    "đh": "đại học",
    "tkq": "trả kết quả",
    "gcn": "giấy chứng nhận",
    "hcc": "hành chính công",
    "qlcl": "quản lý chất lượng",
}

# English words of office chat: not Vietnamese syllables, so typo correction would otherwise
# read them as slips ("camera" → "ca", "team" → "trạm", "data" → "đất", "laptop" → "lập"); they
# are left as typed.
LOANWORDS: frozenset[str] = frozenset(
    """
    test camera done usd canon cache update team data list pro laptop slide mail email file
    files scan upload download link deadline report check online offline form app server export
    import backup log login logout password pass account admin dashboard usb wifi internet pdf
    word excel powerpoint iphone android zoom meeting group web website page post share print
    copy paste format font zip rar photo video clip sticker like comment inbox chat ok okay sorry
    thanks hello hi bye task plan note sheet table box code bug fix version support
    """.split()
)

# Chat shorthand typed without accents, of two letters or more ("ko", "dc", "bn").
SHORTHAND: frozenset[str] = frozenset(
    w for w in _SPELLING if w.isascii() and w.isalpha() and len(w) >= 2
)

# Function words of questions: they carry no topic, so they neither choose candidates nor
# count in coverage. Matched on the accented form when the user typed accents (so "hôn" in
# "kết hôn" or "cửa" in "một cửa" is not taken for "hơn" or "của"), else on the folded form.
STOPWORDS_ACCENTED: frozenset[str] = frozenset(
    """
    thì là có không gì nào bao nhiêu thế thể sao ra được của và các những nhưng khi phải hay
    bị chưa trong với theo để này nay ở ai mà nếu thuộc đến lại cũng còn rằng vậy à ạ ư nhé
    ơi ak mình em chúng ta như rồi nữa hơn muốn giúp biết cho chút
    """.split()
)
STOPWORDS: frozenset[str] = frozenset(
    "".join(ch for ch in unicodedata.normalize("NFD", w.replace("đ", "d")) if ch.isascii())
    for w in STOPWORDS_ACCENTED
)


def is_stopword(folded: str, accented: str) -> bool:
    """Whether a token (folded and accented forms) is a question function word."""
    if folded not in STOPWORDS:
        return False
    return accented == folded or accented in STOPWORDS_ACCENTED


# Regional spellings of whole phrases (folded → accented standard form).
_PHRASE_VARIANTS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("hanh", "chanh"): ("hành", "chính"),  # southern "hành chánh"
}

_TONE_MOVES = {
    # Old-style tone placement (hòa, thủy) to the new style (hoà, thuỷ), so both spellings of
    # the same syllable compare equal in the accented form.
    "òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ",
    "òe": "oè", "óe": "oé", "ỏe": "oẻ", "õe": "oẽ", "ọe": "oẹ",
    "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ",
}  # fmt: skip
_TONE_RE = re.compile("|".join(_TONE_MOVES))
_TONE_HINT = re.compile("[òóỏõọùúủũụ][ae]|[ùúủũụ]y")

# A token: a word, or a dotted number kept whole (criterion codes, decimals), or a number
# with slashes (document numbers such as 62/2020).
_TOKEN_RE = re.compile(r"\d+(?:[.,/]\d+)*|[^\W\d_]+|\d+", re.UNICODE)


def normalize(text: str) -> str:
    """NFC, case-folded, tone marks in one placement, punctuation as spaces, single spaces."""
    return " ".join(tokens(text))


def tokens(text: str) -> list[str]:
    """The accented, case-folded tokens of ``text``, spelling variants unified."""
    return _tokens(text)[0]


# Whitespace-separated chunk → its (accented, folded) tokens. A corpus repeats its words, so
# this cache makes analysis a dictionary look-up per word; it is bounded by clearing.
# The third item is the number of words the chunk's first token is spelled out as, when more
# than one (0 otherwise).
_CHUNKS: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {}
_CHUNKS_MAX = 200_000


def _tokens(text: str) -> tuple[list[str], list[str]]:
    text = unicodedata.normalize("NFC", text).casefold()
    if _TONE_HINT.search(text):
        text = _TONE_RE.sub(lambda m: _TONE_MOVES[m.group(0)], text)
    acc: list[str] = []
    fol: list[str] = []
    cache = _CHUNKS
    for raw in text.replace("%", " % ").split():
        found = cache.get(raw)
        if found is None:
            if len(cache) >= _CHUNKS_MAX:
                cache.clear()
            found = cache[raw] = _chunk_tokens(raw)
        lead = found[2]
        if lead and fol:
            # A shorthand spelled out as several words whose first words were typed just
            # before ("bao" + "nhiêu" → "bao nhiêu"): the word completes the phrase already
            # begun, so the begun part is not repeated ("bao bao nhiêu").
            head = found[1]
            for j in range(min(lead - 1, len(fol)), 0, -1):
                if fol[-j:] == list(head[:j]):
                    acc.extend(found[0][j:])
                    fol.extend(head[j:])
                    break
            else:
                acc.extend(found[0])
                fol.extend(head)
            continue
        acc.extend(found[0])
        fol.extend(found[1])
    return acc, fol


# A letter held down ("khongggg", "nhaaa", "hdnddd"): no Vietnamese word nor abbreviation
# has a letter three times in a row. A vowel counts once; a consonant twice, since
# abbreviations double theirs ("cccchc" is cchc) and search reads a double further.
_HELD_VOWEL_RE = re.compile(
    r"([aăâeêioôơuưyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ])\1{2,}"
)
_HELD_RE = re.compile(r"([^\W\d_])\1{2,}")


_SLASH_PAIR_RE = re.compile(r"([^\W\d_])/([^\W\d_])([.,;:?!)]*)")


def unhold(text: str) -> str:
    """``text`` with letters held down typed once (vowels) or twice (consonants)."""
    if _HELD_RE.search(text):
        return _HELD_RE.sub(r"\1\1", _HELD_VOWEL_RE.sub(r"\1", text))
    return text


# Shorthand that no Vietnamese syllable spells (its first two letters are consonants that open
# no syllable: "nvu", "bcao", "tgian"), also when a tone mark slipped onto it ("nvụ", "bcáo").
_ONSETS = frozenset({"ch", "gh", "gi", "kh", "ng", "nh", "ph", "qu", "th", "tr"})
_VOWEL_LETTERS = frozenset("aeiouy")
_MARKED_SHORTHAND: dict[str, str] = {
    k: v
    for k, v in _SPELLING.items()
    if k.isascii()
    and k.isalpha()
    and len(k) >= 3
    and k[0] not in _VOWEL_LETTERS
    and k[1] not in _VOWEL_LETTERS
    and k[:2] not in _ONSETS
}


def _chunk_tokens(raw: str) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """The tokens of one whitespace-separated chunk, accented and folded. Shorthand typed
    without accents ("ko", "dc", "khong") stands for its words without accents too: the
    user did not type them, and accents typed are evidence the search relies on. A letter
    held down counts once."""
    raw = unhold(raw)
    if "/" in raw:
        # "b/c", "h/s", "k/h", "q/d": two letters with a slash are the abbreviation (bc, hs…)
        m = _SLASH_PAIR_RE.fullmatch(raw)
        if m:
            raw = m.group(1) + m.group(2) + m.group(3)
    lead = 0
    if raw in _SPELLING:
        out = _SPELLING[raw].split()
        lead = len(out)
    else:
        out = []
        for tok in _TOKEN_RE.findall(raw):
            tok = tok.rstrip(".,")
            if tok:
                means = _SPELLING.get(tok)
                if means is None and not tok.isascii():  # (an ASCII one would be above)
                    means = _MARKED_SHORTHAND.get(fold(tok))
                words = (means or tok).split()
                if not out:
                    lead = len(words)
                out.extend(words)
    if lead < 2:
        lead = 0
    folded = tuple(fold(t) for t in out)
    if raw.isascii() and any(ch.isalpha() for ch in raw):
        return folded, folded, lead
    return tuple(out), folded, lead


_FOLD_TABLE = str.maketrans({"đ": "d", "Đ": "D"})


def _fold_chars(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_TABLE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


# Each Latin letter with marks (and each combining mark) whose folded form is plain ASCII, to
# that form: a text made of them and ASCII folds character by character (its marks dropped,
# what is left is ASCII, which the normal forms leave alone), in one ``str.translate``.
_ASCII_FOLD = str.maketrans(
    {
        chr(c): _fold_chars(chr(c))
        for r in ((0x80, 0x250), (0x300, 0x370), (0x1E00, 0x1F00))
        for c in range(*r)
        if _fold_chars(chr(c)).isascii() and _fold_chars(chr(c)) != chr(c)
    }
)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Remove diacritics (đ → d included); the text is otherwise unchanged."""
    plain = text.translate(_ASCII_FOLD)
    if plain.isascii():
        return plain
    return _fold_chars(text)


def has_diacritics(text: str) -> bool:
    """Whether ``text`` carries any Vietnamese diacritic (the user typed accents)."""
    return fold(text) != text


def _phrase_table() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Folded phrase → the accented tokens of its canonical form."""
    table: dict[tuple[str, ...], tuple[str, ...]] = {}
    for canon, phrases in ABBREVIATIONS.items():
        out = tuple(canon.split())
        if len(out) == 1:
            table[out] = out
        for phrase in phrases:
            key = tuple(fold(t) for t in tokens(phrase))
            if key:
                table[key] = out
    return table


_PHRASES = _phrase_table()
# Neighbouring words inside a field phrase ("ke hoach", "hanh chinh"): such a pair is a
# known pair although the index only holds the phrase's canonical token ("kh", "tthc").
PHRASE_PAIRS: frozenset[str] = frozenset(
    f"{a} {b}" for key in _PHRASES for a, b in pairwise(key)
)
_PHRASE_STARTS = frozenset(k[0] for k in _PHRASES)
_PHRASES_FOLDED = {canon: [fold(t) for t in canon] for canon in _PHRASES.values()}
def _phrase_next() -> dict[str, dict[str, tuple[int, ...]]]:
    """First word → second word ("" for a one-word phrase) → the phrase lengths, longest
    first: a common first word ("bo", "ke", "ho") tries only the lengths of the phrases that
    go on with its neighbour."""
    sizes: dict[str, dict[str, set[int]]] = {}
    for key in _PHRASES:
        second = key[1] if len(key) > 1 else ""
        sizes.setdefault(key[0], {}).setdefault(second, set()).add(len(key))
    return {
        w: {nxt: tuple(sorted(v, reverse=True)) for nxt, v in by_next.items()}
        for w, by_next in sizes.items()
    }


_PHRASE_NEXT = _phrase_next()


@dataclass(frozen=True, slots=True)
class Analyzed:
    """Token-aligned folded and accented forms of a text."""

    folded: tuple[str, ...]
    accented: tuple[str, ...]
    accents: bool

    @property
    def folded_text(self) -> str:
        return " ".join(self.folded)

    @property
    def accented_text(self) -> str:
        return " ".join(self.accented)

    @property
    def content(self) -> tuple[str, ...]:
        """Folded tokens that carry a topic (no question words)."""
        return tuple(
            f for f, a in zip(self.folded, self.accented, strict=True) if not is_stopword(f, a)
        )


@lru_cache(maxsize=8192)
def analyze(text: str) -> Analyzed:
    """Normalise ``text`` and contract field phrases and abbreviations to canonical tokens."""
    acc, fol = _tokens(text)
    # Accents the user typed: not those of a symbol spelt out ("%" is "phần trăm"), which an
    # unaccented message must not be taken to have.
    accents = fol != acc and ("%" not in text or analyze(text.replace("%", " ")).accents)
    for variant, standard in _PHRASE_VARIANTS.items():
        if variant[0] not in fol:
            continue
        size = len(variant)
        for i in range(len(fol) - size + 1):
            if tuple(fol[i : i + size]) == variant:
                acc[i : i + size] = standard
                fol[i : i + size] = [fold(t) for t in standard]
    starts = [i for i, f in enumerate(fol) if f in _PHRASE_STARTS]
    if not starts:
        return Analyzed(tuple(fol), tuple(acc), accents)
    # Contract phrases, left to right, the longest at each position.
    n = len(fol)
    found: list[tuple[int, int, tuple[str, ...]]] = []
    end = 0
    for i in starts:
        if i < end:
            continue
        nexts = _PHRASE_NEXT[fol[i]]
        sizes = nexts.get(fol[i + 1], ()) if i + 1 < n else ()
        for size in (*sizes, 1) if "" in nexts else sizes:
            canon = _PHRASES.get(tuple(fol[i : i + size])) if i + size <= n else None
            if canon is not None:
                found.append((i, size, canon))
                end = i + size
                break
    for i, size, canon in reversed(found):
        acc[i : i + size] = canon
        fol[i : i + size] = _PHRASES_FOLDED[canon]
    return Analyzed(tuple(fol), tuple(acc), accents)


def expand(text: str) -> str:
    """``text`` with every known abbreviation spelled out (for display and baselines)."""
    out: list[str] = []
    for tok in analyze(text).accented:
        phrases = ABBREVIATIONS.get(tok)
        out.append(phrases[0] if phrases and tok != "iso" else tok)
    return " ".join(out)


# Codes: dotted numbers with short parts. After "tc", "tiêu chí" or "chỉ tiêu" a code may
# have one to four parts; after "mục", "ý" or "tctp" (tiêu chí thành phần) at least two
# (folded, "mục 3" is also "mức 3", and "ý 3" a third point of a list); after "lĩnh vực" one
# (an area). A bare code needs three parts: two alone are too often a decimal. Followed by
# "%", by "/" and a digit or by a decimal comma it is a figure ("chỉ tiêu 5/4 người", "tiêu chí
# 45/50 hồ sơ", "chỉ tiêu 2,5 tỷ").
_END = r"(?![\d.]*\d)(?!\s*%)(?!\s*/\s*\d)(?!,\d)"
_PREFIXED_RE = re.compile(
    r"(?<![a-z0-9])(?:"
    rf"(?:tieu\s*chi|tc|chi\s*tieu)\s*(?:so\s*)?(\d{{1,2}}(?:\.\d{{1,2}}){{0,3}}){_END}"
    rf"|(?:muc|y|tctp)\s*(?:so\s*)?(\d{{1,2}}(?:\.\d{{1,2}}){{1,3}}){_END}"
    rf"|(?:linh\s*vuc|lv)\s*(?:so\s*)?(\d{{1,2}})(?![\d.]*\d)"
    r")"
)
# A one-part number after "chỉ tiêu" (also a quota, a target) followed by what it counts is a
# quantity: "chỉ tiêu 10 người" is a quota of ten, not area 10. ("tiêu chí 3 hồ sơ trễ hạn",
# "lĩnh vực 4 phòng nào chấm" name an area and its topic: they stay codes.)
_MAX_AREA = 10  # no criteria set has more areas: "chỉ tiêu 80" is a quota of 80
_COUNTED_AFTER_RE = re.compile(
    r"\s*(?:nguoi|ho\s*so|hs\b|bien\s*che|can\s*bo|cong\s*chuc|cc\b|vien\s*chuc"
    r"|van\s*ban|vb\b|bao\s*cao|bc\b|nhiem\s*vu|nv\b|thu\s*tuc|tthc|xa\b"
    r"|diem|d\b|ty\b(?!\s*le)|trieu|ngay|thang|lan\b|truong\s*hop|luot|lop\b|hoc\s*vien)"
)
_BARE_RE = re.compile(r"(?<![\w.,/])(\d{1,2}\.\d{1,2}\.\d{1,2})(?![\w/]|[.,]\d)")
_ONLY_CODE_RE = re.compile(r"^\s*(\d{1,2}\.\d{1,2}(?:\.\d{1,2})?)\s*$")
# A two-part code opening the question ("8.2 có phải tự chấm không") is a code, unless a unit
# follows it ("2.5 điểm", "1.5 tỷ", "97.5 %"; "6.4 năm nay …" is a code and this year; "5.8 tỷ
# lệ …" is a code and its rate).
_LEADING_CODE_RE = re.compile(
    r"^\s*(\d{1,2}\.\d{1,2})(?![\w.,/%])"
    r"(?!\s*(?:%|diem|d\b|phan\s*tram|ty\b(?!\s*le)|trieu|nghin|ngan|dong|lan|ngay|thang|gio|km|m\b"
    r"|nam\b(?!\s+(?:nay|ngoai|truoc|qua)\b)))"
)


_DIGIT_RE = re.compile(r"\d")


def _code_text(text: str) -> str:
    folded = fold(unicodedata.normalize("NFC", text).casefold())
    # "3,4,1" and "3 . 4" appear when typing on phones; keep them out: only dots count.
    # A sentence's end stays between a prefix and a number ("vượt 17 chỉ tiêu; 2 chỉ tiêu
    # gần đạt": two counts, not indicator 2).
    return re.sub(r"[^\w.%/,;!?]+", " ", folded)


# The other ways officers write a code after a word that names one (tiêu chí, tc, mục, tctp,
# chỉ tiêu): parts split by a hyphen ("tc 3-4-1", read as spaces here), a comma, an
# underscore, a slash or spaced dots ("3,4,1", "3_4_1", "3.4 .1", "tc 3 . 4 . 1"); three
# digits run together ("tc 341"); an area in Roman numerals ("mục III.4.1", "lĩnh vực III"); and an
# item of a criterion ("tiêu chí thành phần 2 của 3.4", "ý 1 mục 7.2"). Each is rewritten as
# the dotted code before the patterns above read it.
_CODE_SEP = r"(\s*\.\s*|[,_/]|\s+)"  # a comma tight ("3,4,1"; "1, 2, 3" is a list)
_SPLIT_CODE_RE = re.compile(
    r"(?<![a-z0-9])(tieu\s*chi|tc|muc|tctp|chi\s*tieu)(\s*(?:so\s*)?)"
    rf"(\d){_CODE_SEP}(\d)(?:{_CODE_SEP}(\d))?(?![\d.,/%]|\s*(?:%|diem|d\b|phan))"
)
_RUN_CODE_RE = re.compile(
    r"(?<![a-z0-9])(tieu\s*chi|tc|muc)(\s*(?:so\s*)?)([1-9])([1-9])([1-9])"
    r"(?![\d.,/%]|\s*(?:%|diem|d\b|phan|nguoi|ho\s*so|hs\b))"
)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8"}
_ROMAN_CODE_RE = re.compile(
    r"(^|(?<![a-z0-9])(?:muc|tc|tieu\s*chi|phan)\s*)(i{1,3}|iv|vi{0,3})\s*\.\s*"
    r"(\d{1,2}(?:\.\d{1,2})?)(?![\w])"
)
_ROMAN_AREA_RE = re.compile(r"(?<![a-z0-9])(linh\s*vuc|lv)\s+(i{1,3}|iv|vi{0,3})(?![\w.])")
_ITEM_OF_RE = re.compile(
    r"(?<![a-z0-9])(?:tieu\s*chi\s*thanh\s*phan|tctp|y|noi\s*dung)\s*(?:so\s*)?(\d)\s+"
    r"(?:(?:cua|thuoc|trong|o|tai)\s+)?(?:(?:tieu\s*chi|tc|muc)\s*)?(\d\.\d)(?![\d.]*\d)"
    r"(?!\s*(?:%|diem|d\b|phan))"
)


def _split_code(m: re.Match[str]) -> str:
    """A code written with other separators, as a dotted code; the match as it was when it
    may be something else: two parts only with a spaced dot ("3 .4"; "3,5" is a decimal, "3 4"
    two numbers), parts split by spaces alone only after "tiêu chí" / "tc" ("mức 3 4 5")."""
    head, gap, a, sep1, b, sep2, c = m.groups()
    seps = [sep1] if c is None else [sep1, sep2]
    if all(sep == "." for sep in seps):
        return m.group(0)  # a plain dotted code: read as it is
    if c is None and "." not in sep1:
        return m.group(0)
    if any(not sep.strip() for sep in seps) and head not in ("tc", "tieu chi", "tieuchi"):
        return m.group(0)
    return head + gap + ".".join(x for x in (a, b, c) if x)


# Quick tests of whether any of the patterns above can match (most questions have none).
_CODE_HEAD_RE = re.compile(r"(?<![a-z0-9])(?:tieu\s*chi|tc|muc|tctp|chi\s*tieu)\s*(?:so\s*)?\d")
_DOTTED_RE = re.compile(r"\d\.\d")
_ROMAN_HINT_RE = re.compile(r"\b[iv]+\s*\.\s*\d|(?<![a-z0-9])(?:linh\s*vuc|lv)\s+[iv]+\b")


def _plain_codes(flat: str) -> str:
    """``flat`` with the codes written in the other ways above rewritten as dotted codes."""
    if _DOTTED_RE.search(flat):
        flat = _ITEM_OF_RE.sub(lambda m: f" tc {m.group(2)}.{m.group(1)}", flat)
    if _CODE_HEAD_RE.search(flat):
        flat = _SPLIT_CODE_RE.sub(_split_code, flat)
        flat = _RUN_CODE_RE.sub(
            lambda m: m.group(1) + m.group(2) + ".".join(m.group(3, 4, 5)), flat
        )
    if _ROMAN_HINT_RE.search(flat):
        flat = _ROMAN_CODE_RE.sub(
            lambda m: f"{m.group(1)} {_ROMAN[m.group(2)]}.{m.group(3)}", flat
        )
        flat = _ROMAN_AREA_RE.sub(lambda m: f"{m.group(1)} {_ROMAN[m.group(2)]}", flat)
    return flat


def find_codes(text: str) -> list[str]:
    """Criterion codes mentioned in ``text``, in order of appearance, without duplicates."""
    flat = _code_text(text)
    if not _DIGIT_RE.search(flat):
        if not _ROMAN_HINT_RE.search(flat):
            return []  # every code has a digit or a Roman numeral (most questions have neither)
        flat = _ROMAN_AREA_RE.sub(lambda m: f"{m.group(1)} {_ROMAN[m.group(2)]}", flat)
        if not _DIGIT_RE.search(flat):
            return []
    else:
        flat = _plain_codes(flat)
    found: list[tuple[int, str]] = []
    for m in _PREFIXED_RE.finditer(flat):
        group = next(g for g in (1, 2, 3) if m.group(g))
        code = m.group(group)
        if (
            "." not in code
            and m.group(0).startswith("chi")
            and (int(code) > _MAX_AREA or _COUNTED_AFTER_RE.match(flat, m.end()))
        ):
            continue  # "chỉ tiêu 10 người", "chỉ tiêu 80 lượt": a quota
        found.append((m.start(group), code))
    for m in _BARE_RE.finditer(flat):
        found.append((m.start(1), m.group(1)))
    only = _ONLY_CODE_RE.match(flat) or _LEADING_CODE_RE.match(flat)
    if only:
        found.append((only.start(1), only.group(1)))
    out: list[str] = []
    for _, code in sorted(found):
        if code not in out:
            out.append(code)
    return out


def has_words(text: str) -> bool:
    """Whether ``text`` is worth searching: it has a letter, or it is a criterion code alone
    ("3.4.1"); emoji, punctuation, digits and invisible characters alone are not a question."""
    for ch in text:  # a letter is never a format or control character: most texts end here
        if ch.isalpha():
            return True
    visible = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cf", "Cc"})
    return any(ch.isalpha() for ch in visible) or _ONLY_CODE_RE.match(visible) is not None
