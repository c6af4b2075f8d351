"""Reading a chat message the way an officer writes it: greeting, situation, the actual ask.

Officers write in Zalo/Telegram groups: "Dạ em chào anh chị ạ. Em ở Phòng Tư pháp, năm nay bên
em có 2 hồ sơ trễ hạn. Cho em hỏi tỷ lệ đúng hạn tính thế nào ạ?". For search, such a message
has three parts:

* **fillers** — greetings, politeness and chat particles (dạ, ạ, ơi, a/c, mn, cho em hỏi…):
  no topic at all, dropped;
* **the situation** — the sentences that tell what happened: context, weighed less;
* **the ask** — the sentence(s) with the question: weighed fully.

Numbers, dates, percentages and counts are quantities, not topic words: they are kept aside
(:mod:`knowledge.figures` reads their values) and never count as unknown words.

:func:`read_message` returns the message's tokens with a weight each; :mod:`knowledge.search`
uses the weights both to choose candidates and to decide whether the question is in scope.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from knowledge.numbers import spoken_numbers
from knowledge.spelling import is_syllable
from knowledge.text import analyze, fold

__all__ = [
    "ASK_WEIGHT",
    "CONTEXT_WEIGHT",
    "Message",
    "Token",
    "asks_something",
    "is_question",
    "message_parts",
    "read_message",
]

ASK_WEIGHT = 1.0
CONTEXT_WEIGHT = 0.5

# Invisible characters typed or pasted on phones.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

# "a/c" (anh/chị) and "A/C" would otherwise split into two one-letter words.
_SLASH_FILLER_RE = re.compile(r"(?<!\w)[aA]\s*/\s*[cC](?!\w)")

# "2đ", "bn đ", "mấy đ", typed without accents "0.5d", "may d", "co d ko": points ("đồng" is
# written "đồng", "k", "tr" or "nghìn" in these chats). A lone lower-case d or đ is points,
# except inside a list of letters ("a/b/c/d", "c, d").
_POINTS_RE = re.compile(r"(?<![\w/,])(\d+(?:[.,]\d+)?)?\s*[đd](?![\w/])(?<![,/]\s[đd])")
# ... which needs a d or đ that no letter, digit or slash follows (few messages have one).
_POINTS_HINT_RE = re.compile(r"[đd](?![\w/])")

# Sentence ends: . ? ! ; or a line break, followed by space. "1.250" and "3.4.1" have no space
# after the dot, so numbers and codes stay whole.
# Typed fast, a full stop is often followed by no space ("huyện.Năm nay", "120.cho em hỏi"): a
# dot between a word (two letters or digits at least, or a percentage) and a letter ends a
# sentence too ("p.Tư pháp" and "3.4.1" stay whole).
_SENTENCE_RE = re.compile(
    r"(?<=[?!;…])\s*|(?<=[.])\s+|\n+|(?<=[:])\s+(?=\S)"
    r"|(?<=[^\W_][^\W_]\.)(?=[^\W\d_])|(?<=%\.)(?=[^\W\d_])"
)

# Phrases that open the ask inside a sentence ("Bên em năm nay …, cho em hỏi …"): what comes
# before them is the situation, even without a full stop. They are fillers too.
_OPENER_PHRASES = (
    "cho em hoi",
    "cho e hoi",
    "cho minh hoi",
    "cho toi hoi",
    "cho hoi",
    "em xin hoi",
    "xin hoi",
    "em muon hoi",
    "e muon hoi",
    "minh muon hoi",
    "em hoi",
    "e hoi",
    "hoi chut",
    "hoi xiu",
    "hoi ti",
)
_ASK_OPENERS = tuple(tuple(p.split()) for p in _OPENER_PHRASES)
_OPENER_STARTS = frozenset(o[0] for o in _ASK_OPENERS)

# Greeting and politeness phrases (folded, matched as whole token runs); longest first.
_FILLER_PHRASES: tuple[str, ...] = tuple(
    sorted(
        {
            "da em chao anh chi",
            "em chao anh chi",
            "em chao ca anh chi",
            "em chao cac anh chi",
            "chao anh chi",
            "chao ca anh chi",
            "chao cac anh chi",
            "chao moi nguoi",
            "chao ca nha",
            "chao ca nhom",
            "chao nhom",
            "xin chao",
            "chao ad",
            "chao admin",
            "anh chi oi",
            "cac anh chi",
            "anh chi",
            "moi nguoi oi",
            "moi nguoi",
            "ca nha oi",
            "ca nha",
            "trong nhom",
            *_OPENER_PHRASES,
            "voi a",
            "nhe a",
            "a a",
            "giup em",
            "giup minh",
            "vui long",  # not "lòng" alone: "hài lòng" is the topic of the satisfaction survey
            "nho anh chi",
            "em cam on",
            "cam on",
            "thanks",
            "tks",
            # how the asker should answer whoever asked them (a boss): no topic
            "tra loi sep",
            "tra loi lanh dao",
            "em nen tra loi",
            "em tra loi nhu the nao",
            "em tra loi the nao",
            "em tra loi sao",
            "em tra loi ra sao",
        },
        key=lambda p: -len(p.split()),
    )
)
# Single-token fillers: dropped when typed without accents or with one of these accents
# (so "hội" in "hội đồng" is not taken for "hỏi", nor "đa" for "dạ").
_FILLER_ACCENTED = frozenset(
    """
    dạ ạ à ơi nhé nha hả hen nè hì hihi haha z v vậy ad admin mn mng ac xíu chút tí chào hỏi
    ừ ok oke alo alô
    """.split()
)
_FILLER_TOKENS = frozenset(fold(w) for w in _FILLER_ACCENTED) | {"a", "ak", "ah", "uh", "um"}
# ... of which these, typed without accents, are also content words (nhà, hẹn, hạ, hội, nhẹ,
# tối đa): particles only at the end of a sentence or before other particles.
_AMBIGUOUS_PLAIN = frozenset({"nha", "hen", "ha", "hoi", "nhe", "da"})

# Words that make a sentence a question.
_ASK_MARKERS: tuple[str, ...] = (
    "khong",
    "chua",
    "the nao",
    "nhu the nao",
    "ra sao",
    "sao",
    "bao nhieu",
    "may",
    "gi",
    "nao",
    "hay",
    "o dau",
    "khi nao",
    "ai",
    "duoc khong",
    "co phai",
    "dung khong",
    "hoi",
    "phai",
    "can",
)
# Quantities: percentages, ratios, dates, plain numbers (Vietnamese and English separators).
_QUANTITY_RE = re.compile(
    r"\d+(?:[.,]\d+)*\s*%"  # 97,6 % / 97.6%
    r"|\d{1,2}/\d{1,2}/\d{2,4}"  # 20/12/2020
    r"|\d+\s*/\s*\d+"  # 45/50, 6/2022
    r"|\d+(?:[.,]\d+)*"  # 1.250 / 2,5 / 42
)
_DIGIT_RE = re.compile(r"\d")


class Token(NamedTuple):
    """One content token of the message with its weight (ask, context or filler); a named
    tuple, since a message makes one per word."""

    folded: str
    accented: str
    weight: float
    ask: bool


@dataclass(frozen=True, slots=True)
class Message:
    """A chat message split into its ask and situation, as weighted tokens."""

    text: str
    ask: str
    context: str
    tokens: tuple[Token, ...]
    quantities: tuple[str, ...]
    accents: bool

    @property
    def has_words(self) -> bool:
        return any(t.weight > 0 for t in self.tokens)


def _points(m: re.Match[str]) -> str:
    # "0.5d" typed without accents stays without them ("diem"): the message's accents are the
    # user's, and an unaccented message is read as one (``Message.accents``).
    word = " điểm" if m.group(0).endswith("đ") else " diem"
    return f"{m.group(1)}{word}" if m.group(1) else word


# "được 0,5", "còn 1,5", "trừ 0.25": after a verb of scoring, a number with a quarter, half or
# three quarters and no unit after it is points (criteria give 0.25 to a few points).
_BARE_POINTS_RE = re.compile(
    r"(?i)(?<!\w)(được|duoc|đc|dc|mất|mat|còn|con|trừ|tru|chấm|cham|để|de|cho)\s+"
    r"(\d(?:[.,](?:25|5|75)))(?![\d.,]|\s*(?:%|phần|phan|tr\b|triệu|trieu|tỷ|ty\b|ngày|ngay"
    r"|tháng|thang|năm|nam|lần|lan|người|nguoi|hồ|ho\b|hs\b|điểm|diem|đ\b|d\b|km\b|ha\b|m\b))"
)
_BARE_POINTS_HINT_RE = re.compile(r"\d[.,](?:25|5|75)(?!\d)")


def _bare_points(m: re.Match[str]) -> str:
    # Typed without accents, the word is too ("diem"; see ``_points``).
    word = "diem" if m.string.isascii() else "điểm"
    return f"{m.group(1)} {m.group(2)} {word}"


# A word typed with the VNI keys and the input method off: digits 1–9 after its vowel
# ("tie6u chi1", "d9o7t5", "hoa2n tha2nh").
_VNI_RE = re.compile(
    r"(?<![\w/.,])(?:[dD]9)?[a-zA-Z]*[aeiouyAEIOUY][a-zA-Z]*[1-9][a-zA-Z1-9]*(?![\w/.,])"
)


# ... or with the VIQR marks ("die^m", "ddu+o+`c", "ca'c"): a hat, horn or breve after its
# vowel, a tone after a vowel or a mark ("?" and "." are left alone: they end sentences).
_VIQR_RE = re.compile(
    r"(?<=[aeoAEO])\^|(?<=[ouOU])\+(?=[a-zA-Z`'~+^]|\s|$)|(?<=[aA])\((?=[a-zA-Z`'~])"
    r"|(?<=[aeiouyAEIOUY^+(])[`'~](?=[a-zA-Z]|\s|$)"
)


_VNI_HINT_RE = re.compile(r"[aeiouyAEIOUY][a-zA-Z]?[a-zA-Z]?[1-9]")
_VIQR_HINT_RE = re.compile(r"[aeiouyAEIOUY][\^+(`'~]")


def _vni(m: re.Match[str]) -> str:
    word = m.group(0)
    letters = "".join(ch for ch in word if ch.isalpha())
    if (
        sum(ch.isdigit() for ch in word) > 4
        or re.search(r"\d{3}", word)
        or len(letters) < 2
        or not is_syllable(letters.lower())
    ):
        return word
    return letters


def _clean(text: str) -> str:
    text = spoken_numbers(unicodedata.normalize("NFC", text))
    if _VNI_HINT_RE.search(text):
        text = _VNI_RE.sub(_vni, text)
    if _VIQR_HINT_RE.search(text):
        text = _VIQR_RE.sub("", text)
    text = _INVISIBLE_RE.sub("", text)
    if "/" in text:
        text = _SLASH_FILLER_RE.sub(" anh chị ", text)
    if _POINTS_HINT_RE.search(text):
        text = _POINTS_RE.sub(_points, text)
    if _BARE_POINTS_HINT_RE.search(text):
        text = _BARE_POINTS_RE.sub(_bare_points, text)
    if _QUOTE_HINT_RE.search(text):
        text = _without_speakers(text)
    return text.replace("\u00a0", " ")


# Who said a quoted claim ("Sếp em bảo: "…"", "Chánh VP dặn "…"", "CT hỏi "…""): the speaker
# (a boss, a post, "anh", "chị" and up to 40 more characters, opening the message or a clause)
# and the verb that reports them are no topic of the message ("Chánh VP" is no office's
# scoring, "phó phòng" no count of deputy heads): the quote is what is asked about. Only before
# a quotation mark; "bc ghi 'đạt xấp xỉ'" quotes a document, whose words stay.
_QUOTE_HINT_RE = re.compile("[\"“”«']")
_SPEAKER_RE = re.compile(
    r"(?:^|(?<=[,.;:!?]))\s*"
    r"((?:sep|truong|pho|chu tich|ct|pct|chanh|lanh dao|ld|tp|ptp|giam doc|thu truong"
    r"|dong chi|d/c|anh|chi|bac)\b[^,.;:!?\"“”«']{0,40}?\s"
    r"(?:bao|noi|dan|hoi|yeu cau|nhan|thac mac|keu)(?:\s+(?:la|rang))?)"
    r"\s*:?\s*(?=[\"“”«'])"
)


def _without_speakers(text: str) -> str:
    """``text`` without the speaker and reporting verb before each quoted claim."""
    folded = fold(text).lower()
    if len(folded) != len(text):
        return text
    cuts = [m.span(1) for m in _SPEAKER_RE.finditer(folded)]
    for start, end in reversed(cuts):
        text = text[:start] + " " + text[end:]
    return text


# Where a side remark opens inside a sentence ("…, tiện hỏi luôn máy in tầng 2 ai sửa"): a
# message can carry a small question about something else next to its real ask.
_SIDE_RE = re.compile(
    r"[,;]?\s*\b(?:tiện hỏi|tien hoi|nhân tiện|nhan tien|với lại|voi lai|à mà|a ma|còn nữa"
    r"|con nua)\b",
    re.IGNORECASE,
)


def message_parts(text: str) -> list[str]:
    """The sentences of a message, a side remark opened inside one ("tiện hỏi …") apart: the
    parts that may each be a question of its own (see ``SearchIndex._side_remark_apart``)."""
    parts: list[str] = []
    for sentence in _sentences(text):
        parts.extend(p.strip(" ,;") for p in _SIDE_RE.split(sentence))
    return [p for p in parts if p and any(ch.isalnum() for ch in p)]


# Words that end a question typed without a question mark ("… có đc tính k mn", "… chấm ntn"),
# and the particles and addressees that may follow them.
_QUESTION_ENDS = frozenset(
    "khong ko k hok hong khum chua sao nao gi j bn nhieu may ntn ha hả ak dau ai".split()
)
_TRAILING = frozenset(
    "a ạ c ac nhe nha nhi vay v z zay day the anh chi em mn moi nguoi oi voi vs luon d"
    .split()
)


# "không … nào", "chưa … gì", "không … ai": a denial of any, not a question ("năm ngoái không
# bị lỗi nào", "bên em chưa nhận được văn bản gì") — unless the denial is of knowing ("em không
# biết nộp vào mục nào" asks).
_NEGATIONS = frozenset({"khong", "ko", "k", "chua", "chang", "cha", "hong"})
_ANY_WORDS = frozenset({"nao", "gi", "j", "ai"})
_KNOWING = frozenset({"biet", "bt", "bik", "ro", "hieu", "nho", "thay", "chac"})
_DENIAL_SPAN = 4  # words between the denial and the "any" word, at most (one at least)


def _denies_any(words: list[str]) -> bool:
    """Whether a sentence (folded words, trailing particles dropped) ends by denying any:
    its last word is "nào", "gì" or "ai", a denial comes before it with one to
    ``_DENIAL_SPAN`` words between, and none of those asks or speaks of knowing."""
    if len(words) < 3 or words[-1] not in _ANY_WORDS:
        return False
    span = words[-2 - _DENIAL_SPAN : -1]
    k = max((j for j, w in enumerate(span) if w in _NEGATIONS), default=-1)
    if k < 0:
        return False
    rest = span[k + 1 :]
    return bool(rest) and not any(w in _KNOWING or w in _QUESTION_ENDS for w in rest)


def is_question(sentence: str) -> bool:
    """Whether a sentence is a question: it has a question mark, or one of its last three words
    (before particles and addressees: "ạ", "a/c", "mn", "vậy") asks ("… có được tính không",
    "… được mấy điểm", "… chấm ntn"). "… nhưng không ai chịu ký biên bản" tells."""
    if "?" in sentence:
        return True
    words = _without_trailing(re.findall(r"\w+", fold(sentence.casefold())))
    if _denies_any(words):
        return False
    return (
        any(w in _QUESTION_ENDS for w in words[-3:])
        or " ".join(words[-2:]) == "the nao"
        or "hay" in words[-5:]  # a choice: "… phòng nội vụ hay văn phòng chấm"
    )


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_RE.split(text)]
    return [p for p in parts if p and any(ch.isalnum() for ch in p)]


_SHORT = 6  # words: a lead-in or a follow-up rather than a question of its own


def _word_count(sentence: str) -> int:
    return len(re.findall(r"\w+", sentence))


# ... and the chat shorthand for some of them, padded with spaces to be found as words.
_ASK_PADDED = tuple(
    f" {m} " for m in (*_ASK_MARKERS, "ko", "k", "hok", "ntn", "bn", "j", "khum")
)


def _is_ask(sentence: str, markers: tuple[str, ...] = _ASK_PADDED) -> bool:
    """Whether the sentence asks: a question mark, or one of ``markers`` among its words."""
    if "?" in sentence:
        return True
    words = re.findall(r"\w+", fold(sentence.casefold()))
    if _denies_any(_without_trailing(words)):
        return False
    joined = f" {' '.join(words)} "
    return any(m in joined for m in markers)


def _without_trailing(words: list[str]) -> list[str]:
    """``words`` without the particles and addressees that may close a question."""
    end = len(words)
    while end and words[end - 1] in _TRAILING:
        end -= 1
    return words[:end]


# The words that ask which thing or how much: a sentence with one that ends with a colon is a
# question whose options follow ("nộp những văn bản gì: A, B hay C?"; not "sếp hỏi: …"). Not
# "sao": "bản sao" is a copy.
_WH_PADDED = (" gi ", " j ", " nao ", " bao nhieu ", " may ")

# Markers that are as often plain words of a statement ("em cần trả lời các phòng sớm", "phải
# làm lại", "hay"): a sentence that asks only by them, after one that asks by a stronger
# marker, is a closing remark: the earlier one is part of the ask too.
_STRONG_PADDED = tuple(m for m in _ASK_PADDED if m not in (" can ", " phai ", " hay "))


def _ask_start(folded: tuple[str, ...]) -> int:
    """Where the ask opens inside a sentence: after the last opener ("cho em hỏi") that is
    followed by at least two words; 0 when there is none."""
    start = 0
    n = len(folded)
    for i in range(n):
        if folded[i] not in _OPENER_STARTS:
            continue
        for opener in _ASK_OPENERS:
            k = len(opener)
            if folded[i : i + k] == opener and n - (i + k) >= 2:
                start = i + k
                break
    return start


def _fillers(
    folded: tuple[str, ...], accented: tuple[str, ...], mask: tuple[bool, ...]
) -> list[bool]:
    """Which tokens of a sentence are fillers. A particle typed without accents that is also
    the first syllable of a word ("nha" nhà nước, "hen" trước hẹn, "ha" hạ tầng, "hoi" hội
    đồng) is one only where particles go: at the end, or before other fillers."""
    drop = [
        m or (f in _FILLER_TOKENS and (a == f or a in _FILLER_ACCENTED))
        for f, a, m in zip(folded, accented, mask, strict=True)
    ]
    for k in range(len(folded) - 1, -1, -1):
        f = folded[k]
        if drop[k] and not mask[k] and f in _AMBIGUOUS_PLAIN and accented[k] == f:
            drop[k] = k + 1 == len(folded) or drop[k + 1]
    return drop


def _by_first_word(phrases: tuple[str, ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """First word → the phrases it starts, as token tuples, in the order given."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(phrase.split())
        out.setdefault(words[0], []).append(words)
    return {w: tuple(v) for w, v in out.items()}


# The filler phrases by their first word, longest first: a look-up per token, not a scan.
_FILLERS_BY_START = _by_first_word(_FILLER_PHRASES)


def _filler_mask(folded: tuple[str, ...]) -> tuple[bool, ...]:
    """Which tokens are part of a filler phrase (the longest at each position, left to
    right)."""
    mask = [False] * len(folded)
    n = len(folded)
    by_start = _FILLERS_BY_START
    i = 0
    while i < n:
        for words in by_start.get(folded[i], ()):
            k = len(words)
            if folded[i : i + k] == words:
                mask[i : i + k] = [True] * k
                i += k
                break
        else:
            i += 1
    return tuple(mask)


def asks_something(text: str) -> bool:
    """Whether any sentence of ``text`` asks (a question mark or an ask marker)."""
    cleaned = _clean(text)
    return any(_is_ask(s) for s in _sentences(cleaned) or [cleaned])


def asks_plainly(text: str) -> bool:
    """Whether any sentence of ``text`` asks by a question mark or a marker that is seldom a
    plain word of a statement (not "cần", "phải", "hay": "chắc phải xin nghỉ một tuần")."""
    cleaned = _clean(text)
    return any(_is_ask(s, _STRONG_PADDED) for s in _sentences(cleaned) or [cleaned])


def read_message(text: str) -> Message:
    """Split ``text`` into fillers, situation and ask; weight its content tokens."""
    text = _clean(text)
    sentences = _sentences(text) or [text]
    asks = [i for i, s in enumerate(sentences) if _is_ask(s)]
    marked = [i for i in asks if "?" in sentences[i]]
    if marked:
        # A question mark says which sentence is the question: a longer question-like sentence
        # after the last one is a comment ("… có bị tính là chưa hoàn thành không ạ? Sếp em bảo
        # cứ tính là xong mà em thấy không yên tâm."), a short one a follow-up ("Vậy tính sao").
        asks = [i for i in asks if i <= marked[-1] or _word_count(sentences[i]) <= _SHORT]
    if len(sentences) == 1 or not asks:
        ask_idx = set(range(len(sentences)))
    else:
        # The ask is the last question-like sentence, with the question-like sentence just
        # before it when one of the two is short: a lead-in ("Cho em hỏi: …") or a follow-up
        # that names no topic ("… có bị trừ không? Vậy tính sao ạ?").
        last = asks[-1]
        ask_idx = {last}
        if not marked and not _is_ask(sentences[last], _STRONG_PADDED):
            strong = [i for i in asks if _is_ask(sentences[i], _STRONG_PADDED)]
            if strong:
                ask_idx.add(strong[-1])
        if len(asks) > 1 and asks[-2] == last - 1 and (
            _word_count(sentences[last - 1]) <= _SHORT
            or _word_count(sentences[last]) <= _SHORT
            or ("?" in sentences[last - 1] and "?" in sentences[last])
            # "… nộp những văn bản gì làm minh chứng: A, B hay C?": what follows the colon
            # details the question before it.
            or (
                sentences[last - 1].endswith(":")
                and _is_ask(sentences[last - 1].replace("?", ""), _WH_PADDED)
            )
        ):
            ask_idx.add(last - 1)
            # A run of questions, each with its question mark ("… chấm 0,5 hay 0 ạ? Mô hình của
            # xã có được tính không? Nghe nói còn có điểm thưởng phải không ạ?"): all are asked.
            k = last - 1
            while k - 1 in asks and "?" in sentences[k] and "?" in sentences[k - 1]:
                k -= 1
                ask_idx.add(k)
        if marked and marked[0] == 0:
            # A message that opens with its question, then pours out the story ("Tỷ lệ hoàn
            # thành KH tính sao khi có nhiệm vụ thường xuyên ạ? Em đang làm báo cáo năm… Em nên
            # tính thế nào?"): the opening question is asked too, what closes it often only
            # restates it.
            ask_idx.add(0)
    tokens: list[Token] = []
    new_token = tuple.__new__
    quantities: list[str] = []
    ask_parts: list[str] = []
    ctx_parts: list[str] = []
    accents = False
    for i, sentence in enumerate(sentences):
        is_ask = i in ask_idx
        if _DIGIT_RE.search(sentence):  # every quantity starts with a digit
            quantities.extend(m.group(0) for m in _QUANTITY_RE.finditer(sentence))
        an = analyze(sentence)
        accents = accents or an.accents
        mask = _filler_mask(an.folded)
        start = _ask_start(an.folded) if is_ask else 0
        kept: list[str] = []
        before: list[str] = []
        drop = _fillers(an.folded, an.accented, mask)
        for k, (f, a) in enumerate(zip(an.folded, an.accented, strict=True)):
            if drop[k]:
                continue
            asked = is_ask and k >= start
            # (a Token made as its __new__ makes it, without a Python call per word)
            tokens.append(new_token(Token, (f, a, ASK_WEIGHT if asked else CONTEXT_WEIGHT, asked)))
            (kept if asked or not is_ask else before).append(a)
        if before:
            ctx_parts.append(" ".join(before))
        (ask_parts if is_ask else ctx_parts).append(" ".join(kept))
    return Message(
        text=text,
        ask=" ".join(p for p in ask_parts if p),
        context=" ".join(p for p in ctx_parts if p),
        tokens=tuple(tokens),
        quantities=tuple(quantities),
        accents=accents,
    )
