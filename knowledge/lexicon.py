"""The lexicon: officers' everyday words linked to the criteria's words, and the neighbouring
topics the bot does not cover.

``knowledge/lexicon.yaml`` (see docs/DATA.md)::

    synonyms:
      - means: tỷ lệ hồ sơ giải quyết đúng hạn     # words of the criteria / entries
        say: [hồ sơ trễ hẹn, hồ sơ quá hạn]        # what officers say instead
        unless: [hộ tịch]                          # optional: not so when also said
    out_of_scope:
      - topic: Tiền lương, phụ cấp
        words: [lương cơ sở, nâng lương, phụ cấp]
    other_subjects:                         # other indices and programmes, by their names
      - topic: Bộ chỉ số 766
        words: [chỉ số 766, qđ 766]
    in_scope: [chấm điểm, minh chứng]   # words of the assessment itself (up to three words)
    in_scope_asks: [có đạt không, đếm là]     # asks whether something counts or meets a rule
    out_of_scope_asks: [mất bao lâu, mất phí]  # asks for carrying out a task, not for its score
    fact_asks: [là ai, mấy giờ, xếp thứ]       # asks for a fact no criterion holds
    refused_asks: [soạn giúp, xếp thứ mấy]     # asks no criterion answers, whatever the words

Search adds the ``means`` words to a question that says one of the ``say`` phrases (not when
the message also says one of the group's ``unless`` phrases: the shared everyday words then
tell of another activity), counts an
``out_of_scope`` word in a question as evidence that it is about something else (an
``other_subjects`` name asked about as proof of it), and an
``in_scope`` word (the assessment's own: điểm, chấm, tiêu chí, minh chứng…; up to three
words) as evidence that it is about the criteria. Two lists of ask phrases (up to five words,
looked for in the ask only) weigh in when a question without those words matches the criteria
weakly: an ``in_scope_asks`` phrase (whether something counts, meets a rule, can be reused:
"có đạt không", "đếm là", "dùng lại được không") makes it an unsure question of ours, offered
the likeliest criteria; an ``out_of_scope_asks`` phrase (how long a procedure takes, where to
apply, what fee, which template, how to install) makes it a question about carrying out a task,
refused. A ``fact_asks`` phrase (a person, a contact, an hour, a venue, a rank, a price, a file
to share) asks for a fact that no criterion holds: without the assessment's own words in the
ask, such a question is refused however well its other words match. A ``refused_asks`` phrase
(a text to write for the asker, a rank) asks for what no criterion gives whatever words the
question uses ("soạn giúp em tờ trình phê duyệt kết quả tự chấm điểm", "năm ngoái huyện mình
được bao nhiêu điểm CCHC, xếp thứ mấy"): such a question is refused, unless it names a code.
Phrases are compared on folded tokens (:func:`knowledge.text.analyze`), so accents, case and
abbreviations do not matter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from criteria.errors import DataError, DataIssue
from criteria.schema import CriteriaSet
from criteria.yamlsource import YamlDoc, read_mapping
from knowledge.schema import Entry
from knowledge.text import STOPWORDS, analyze, fold, is_stopword

DEFAULT_LEXICON = Path(__file__).resolve().parent / "lexicon.yaml"

Phrase = Annotated[str, Field(min_length=1, max_length=120)]


class SynonymGroup(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    means: Phrase
    say: tuple[Phrase, ...] = Field(min_length=1)
    # Not read so when the message also says one of these: it is then about another activity
    # that shares the everyday words (loa, tờ rơi, zalo tell of law dissemination too).
    unless: tuple[Phrase, ...] = ()


class OffTopic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: Phrase
    words: tuple[Phrase, ...] = Field(min_length=1)


class LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    synonyms: tuple[SynonymGroup, ...] = ()
    out_of_scope: tuple[OffTopic, ...] = ()
    other_subjects: tuple[OffTopic, ...] = ()
    in_scope: tuple[Phrase, ...] = ()
    in_scope_asks: tuple[Phrase, ...] = ()
    out_of_scope_asks: tuple[Phrase, ...] = ()
    fact_asks: tuple[Phrase, ...] = ()
    refused_asks: tuple[Phrase, ...] = ()


Key = tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    """Phrases as folded token tuples: everyday phrase → criteria words; off-topic phrases."""

    synonyms: dict[Key, Key] = field(default_factory=dict)
    off_topic: dict[Key, str] = field(default_factory=dict)
    on_topic: frozenset[Key] = frozenset()
    # Off-topic phrases as written (accented tokens), by folded key: typed with accents, a
    # phrase is off topic only when the accents agree ("trời mưa", not "mua").
    off_topic_accented: dict[Key, frozenset[Key]] = field(default_factory=dict)
    # Asks whether something counts or meets a rule (weak evidence of a question of ours) ...
    judge_asks: frozenset[Key] = frozenset()
    # ... and asks for carrying out a task (a procedure's steps, fee, time, template…).
    task_asks: frozenset[Key] = frozenset()
    # Off-topic phrases naming another index, programme or assessment (``other_subjects``):
    # asked about, they are what the question is about, whatever words of ours it uses.
    subjects: frozenset[Key] = frozenset()
    # Asks for a fact no criterion holds (a person, a contact, an hour, a venue, a rank…).
    fact_asks: frozenset[Key] = frozenset()
    # Asks no criterion answers whatever words the question uses (a text to write, a rank).
    refused_asks: frozenset[Key] = frozenset()
    # Everyday phrase → phrases that, said in the same message, keep it from meaning its
    # ``means`` (a synonym group's ``unless``).
    unless: dict[Key, tuple[Key, ...]] = field(default_factory=dict)
    # The ask phrases (the four lists above) as written, by folded key: typed with accents,
    # an ask is that ask only when the accents agree ("thứ mấy", not "thử mấy tháng").
    asks_accented: dict[Key, frozenset[Key]] = field(default_factory=dict)

    @cached_property
    def _unless_starts(self) -> dict[str, tuple[Key, ...]]:
        """First word → the distinct ``unless`` phrases it starts (a few phrases are shared
        by many groups: each is looked for once)."""
        out: dict[str, list[Key]] = {}
        for u in dict.fromkeys(u for keys in self.unless.values() for u in keys):
            out.setdefault(u[0], []).append(u)
        return {w: tuple(us) for w, us in out.items()}

    @cached_property
    def _blocked_by(self) -> dict[Key, frozenset[Key]]:
        """Each ``unless`` phrase → the everyday phrases it keeps from their meaning."""
        out: dict[Key, set[Key]] = {}
        for k, keys in self.unless.items():
            for u in keys:
                out.setdefault(u, set()).add(k)
        return {u: frozenset(ks) for u, ks in out.items()}

    def blocked(self, folded: list[str]) -> frozenset[Key]:
        """The everyday phrases not read as their meaning in a message of these words."""
        if not self.unless:
            return frozenset()
        starts = self._unless_starts
        if starts.keys().isdisjoint(folded):
            return frozenset()
        said = {
            u
            for i, w in enumerate(folded)
            for u in starts.get(w, ())
            if tuple(folded[i : i + len(u)]) == u
        }
        if not said:
            return frozenset()
        blocked_by = self._blocked_by
        return frozenset().union(*[blocked_by[u] for u in said])

    @cached_property
    def max_len(self) -> int:
        """The longest phrase, in words."""
        return max((len(k) for k in (*self.synonyms, *self.off_topic)), default=0)

    @cached_property
    def words(self) -> frozenset[str]:
        """Every word of every phrase (real words, never taken for typos)."""
        return frozenset(
            w
            for k in (
                *self.synonyms,
                *self.off_topic,
                *self.on_topic,
                *self.judge_asks,
                *self.task_asks,
                *self.fact_asks,
                *self.refused_asks,
            )
            for w in k
        )

    @cached_property
    def pairs(self) -> frozenset[str]:
        """Neighbouring words ("a b") inside the phrases of our own topics and asks (not the
        off-topic ones): known pairs for typo correction ("mih chứng" → "minh chứng")."""
        return frozenset(
            f"{a} {b}"
            for k in (*self.synonyms, *self.on_topic, *self.judge_asks)
            for a, b in pairwise(k)
        )

    @cached_property
    def pair_words(self) -> frozenset[str]:
        """The words of those phrases (three letters or more): typo corrections may land on
        them although the index holds only the phrase's canonical term."""
        return frozenset(
            w for pair in self.pairs for w in pair.split() if len(w) >= 3 and w.isalpha()
        )

    @cached_property
    def starts(self) -> frozenset[str]:
        """The words that can start a phrase."""
        return frozenset(k[0] for k in (*self.synonyms, *self.off_topic))

    @cached_property
    def sizes(self) -> dict[str, tuple[int, ...]]:
        """First word → the lengths of the synonym and off-topic phrases it starts, longest
        first (so that matching tries only lengths that exist)."""
        return _sizes_by_start((*self.synonyms, *self.off_topic))

    @cached_property
    def sizes_next(self) -> dict[str, dict[str, tuple[int, ...]]]:
        """``sizes`` by the second word too (see ``_sizes_by_next``)."""
        return _sizes_by_next((*self.synonyms, *self.off_topic))

    @cached_property
    def subject_sizes(self) -> dict[str, tuple[int, ...]]:
        """The same for the ``subjects`` (looked for on their own as well)."""
        return _sizes_by_start(self.subjects)

    @cached_property
    def phrases_from(self) -> dict[str, tuple[Key, ...]]:
        """First word → the synonym phrases of two words or more it starts, longest first
        (a question may say one with filler words of its own inside: "xã em trễ")."""
        out: dict[str, list[Key]] = {}
        for key in self.synonyms:
            if len(key) >= 2:
                out.setdefault(key[0], []).append(key)
        return {w: tuple(sorted(v, key=len, reverse=True)) for w, v in out.items()}

    @cached_property
    def phrases_next(self) -> dict[str, dict[str, tuple[Key, ...]]]:
        """``phrases_from`` by their second word too (first → second → phrases)."""
        out: dict[str, dict[str, list[Key]]] = {}
        for first, keys in self.phrases_from.items():
            for key in keys:
                out.setdefault(first, {}).setdefault(key[1], []).append(key)
        return {f: {w: tuple(v) for w, v in by.items()} for f, by in out.items()}

    @cached_property
    def on_topic_sizes(self) -> dict[str, tuple[int, ...]]:
        """The same for the ``on_topic`` phrases (up to three words are looked for)."""
        return _sizes_by_start(k for k in self.on_topic if len(k) <= 3)

    @property
    def _asks(self) -> tuple[Key, ...]:
        return (*self.judge_asks, *self.task_asks, *self.fact_asks)

    @cached_property
    def refused_sizes(self) -> dict[str, tuple[int, ...]]:
        """First word → the lengths of the ``refused_asks`` phrases it starts (looked for in
        the message as typed, every word: "soạn giúp em" keeps the "giúp em" a reading drops)."""
        return _sizes_by_start(self.refused_asks)

    @cached_property
    def ask_sizes(self) -> dict[str, tuple[int, ...]]:
        """The same for the ``judge_asks``, ``task_asks`` and ``fact_asks`` phrases (up to
        five words)."""
        return _sizes_by_start(
            k
            for k in self._asks
            if len(k) <= _ASK_WORDS
        )

    @cached_property
    def ask_next(self) -> dict[str, dict[str, tuple[int, ...]]]:
        """``ask_sizes`` by the second word too (see ``_sizes_by_next``)."""
        return _sizes_by_next(
            k
            for k in self._asks
            if len(k) <= _ASK_WORDS
        )


_ASK_WORDS = 5

# Pronouns and time words a question puts inside a phrase ("xã em trễ", "hồ sơ bên mình đã
# trễ"), besides the question words; matched on the accented form when typed with accents.
_FILLERS_ACCENTED = frozenset("em mình bên tôi đã đang vẫn cũng vừa".split())
_FILLERS_PLAIN = frozenset("em e minh ben toi dang".split())


# The folded forms of every word ``is_filler_word`` takes (a token's folded form is its
# accented form folded): any other word is none, without a call.
FILLER_FORMS = frozenset(fold(w) for w in _FILLERS_ACCENTED) | _FILLERS_PLAIN | STOPWORDS


def is_filler_word(folded: str, accented: str) -> bool:
    """Whether a question's token says nothing inside a phrase: a question word, pronoun or
    time word."""
    if accented != folded:
        return accented in _FILLERS_ACCENTED or is_stopword(folded, accented)
    return folded in _FILLERS_PLAIN or is_stopword(folded, accented)


def _sizes_by_next(keys: Iterable[Key]) -> dict[str, dict[str, tuple[int, ...]]]:
    """First word → second word → the lengths of the phrases that go on with it (and 1 when
    the first word alone is one), longest first; under "" the lengths when no phrase goes on
    with the next word: a phrase's first word tries only the lengths that can match."""
    out: dict[str, dict[str, set[int]]] = {}
    for k in keys:
        out.setdefault(k[0], {}).setdefault(k[1] if len(k) > 1 else "", set()).add(len(k))
    table: dict[str, dict[str, tuple[int, ...]]] = {}
    for first, by_next in out.items():
        alone = by_next.get("", set())
        table[first] = {
            second: tuple(sorted(sizes | alone, reverse=True)) for second, sizes in by_next.items()
        }
        table[first].setdefault("", ())
    return table


def _sizes_by_start(keys: Iterable[Key]) -> dict[str, tuple[int, ...]]:
    sizes: dict[str, set[int]] = {}
    for k in keys:
        sizes.setdefault(k[0], set()).add(len(k))
    return {w: tuple(sorted(v, reverse=True)) for w, v in sizes.items()}


def phrase_key(text: str) -> Key:
    """The folded tokens of ``text`` as analysed for search."""
    return analyze(text).folded


def load_lexicon(
    path: Path | None = None, vocabulary: Iterable[str] | None = None
) -> tuple[Lexicon | None, list[DataIssue]]:
    """Read and check ``path``; with ``vocabulary`` (folded words of the criteria and entries)
    also check that every ``means`` phrase can be found there."""
    path = path or DEFAULT_LEXICON
    doc, parsed = read_mapping(path, LexiconFile, "tệp từ điển")
    if parsed is None:
        return None, doc.issues
    lexicon = _compile(doc, parsed, set(vocabulary) if vocabulary is not None else None)
    return (None if doc.issues else lexicon), doc.issues


def _compile(doc: YamlDoc, parsed: LexiconFile, vocab: set[str] | None) -> Lexicon:
    synonyms: dict[Key, Key] = {}
    said: dict[Key, tuple[int, int]] = {}
    off: dict[Key, str] = {}
    off_accented: dict[Key, set[Key]] = {}
    unless: dict[Key, tuple[Key, ...]] = {}
    for i, group in enumerate(parsed.synonyms):
        means = phrase_key(group.means)
        if not means:
            doc.issues.append(doc.issue(("synonyms", i, "means"), "cụm từ không có chữ"))
            continue
        but: list[Key] = []
        for j, phrase in enumerate(group.unless):
            key = phrase_key(phrase)
            loc = ("synonyms", i, "unless", j)
            if not key:
                doc.issues.append(doc.issue(loc, "cụm từ không có chữ"))
            elif len(key) > 3:
                doc.issues.append(doc.issue(loc, "tối đa ba từ"))
            elif key == means or key in {phrase_key(p) for p in group.say}:
                doc.issues.append(doc.issue(loc, f"«{phrase}» là chính từ của nhóm này"))
            else:
                but.append(key)
        if vocab is not None:
            missing = [w for w in means if w not in vocab]
            if missing:
                doc.issues.append(
                    doc.issue(
                        ("synonyms", i, "means"),
                        "từ không có trong bộ tiêu chí và hỏi đáp: " + ", ".join(missing),
                    )
                )
        for j, phrase in enumerate(group.say):
            key = phrase_key(phrase)
            loc = ("synonyms", i, "say", j)
            if not key:
                doc.issues.append(doc.issue(loc, "cụm từ không có chữ"))
            elif key == means:
                doc.issues.append(doc.issue(loc, "trùng với chính nghĩa của nhóm (means)"))
            elif key in said and synonyms.get(key) != means:
                first = said[key]
                doc.issues.append(
                    doc.issue(loc, f"«{phrase}» đã có ở nhóm {first[0] + 1} với nghĩa khác")
                )
            else:
                said.setdefault(key, (i, j))
                synonyms[key] = means
                if but:
                    unless[key] = tuple(but)
    subjects: set[Key] = set()
    for section, topics in (
        ("out_of_scope", parsed.out_of_scope),
        ("other_subjects", parsed.other_subjects),
    ):
        _off_topics(doc, section, topics, synonyms, vocab, off, off_accented, subjects)
    on: set[Key] = set()
    for i, phrase in enumerate(parsed.in_scope):
        key = phrase_key(phrase)
        at: tuple[str, int] = ("in_scope", i)
        if not key:
            doc.issues.append(doc.issue(at, "cụm từ không có chữ"))
        elif len(key) > 3:
            doc.issues.append(doc.issue(at, "tối đa ba từ"))
        elif key in off:
            message = f"«{phrase}» cũng là từ ngoài phạm vi (out_of_scope)"
            doc.issues.append(doc.issue(at, message))
        else:
            on.add(key)
    asks: dict[str, set[Key]] = {
        "in_scope_asks": set(),
        "out_of_scope_asks": set(),
        "fact_asks": set(),
        "refused_asks": set(),
    }
    asks_accented: dict[Key, set[Key]] = {}
    for section, phrases in (
        ("in_scope_asks", parsed.in_scope_asks),
        ("out_of_scope_asks", parsed.out_of_scope_asks),
        ("fact_asks", parsed.fact_asks),
        ("refused_asks", parsed.refused_asks),
    ):
        for i, phrase in enumerate(phrases):
            key = phrase_key(phrase)
            at = (section, i)
            if not key:
                doc.issues.append(doc.issue(at, "cụm từ không có chữ"))
            elif len(key) > _ASK_WORDS:
                doc.issues.append(doc.issue(at, f"tối đa {_ASK_WORDS} từ"))
            elif key in on:
                message = f"«{phrase}» đã là từ của việc chấm điểm (in_scope)"
                doc.issues.append(doc.issue(at, message))
            elif key in synonyms and section not in ("fact_asks", "refused_asks"):
                # (a fact ask may also be an everyday name: "xếp hạng" is read as the rating
                # and, asked about without the assessment's words, as a rank no criterion holds)
                doc.issues.append(doc.issue(at, f"«{phrase}» cũng là từ đồng nghĩa ở synonyms"))
            elif section != "in_scope_asks" and key in asks["in_scope_asks"]:
                message = f"«{phrase}» cũng là cách hỏi trong phạm vi (in_scope_asks)"
                doc.issues.append(doc.issue(at, message))
            elif other := next((o for o, ks in asks.items() if o != section and key in ks), None):
                message = f"«{phrase}» đã có ở {other} (một cụm chỉ ở một danh sách)"
                doc.issues.append(doc.issue(at, message))
            else:
                asks[section].add(key)
                asks_accented.setdefault(key, set()).add(analyze(phrase).accented)
    accented = {k: frozenset(v) for k, v in off_accented.items()}
    return Lexicon(
        synonyms,
        off,
        frozenset(on),
        accented,
        frozenset(asks["in_scope_asks"]),
        frozenset(asks["out_of_scope_asks"]),
        frozenset(subjects),
        frozenset(asks["fact_asks"]),
        frozenset(asks["refused_asks"]),
        unless,
        {k: frozenset(v) for k, v in asks_accented.items()},
    )


def _off_topics(
    doc: YamlDoc,
    section: str,
    topics: tuple[OffTopic, ...],
    synonyms: dict[Key, Key],
    vocab: set[str] | None,
    off: dict[Key, str],
    off_accented: dict[Key, set[Key]],
    subjects: set[Key],
) -> None:
    """Check and add the phrases of ``out_of_scope`` or ``other_subjects``."""
    for i, topic in enumerate(topics):
        for j, phrase in enumerate(topic.words):
            key = phrase_key(phrase)
            loc = (section, i, "words", j)
            if not key:
                doc.issues.append(doc.issue(loc, "cụm từ không có chữ"))
            elif key in synonyms:
                doc.issues.append(doc.issue(loc, f"«{phrase}» cũng là từ đồng nghĩa ở synonyms"))
            elif len(key) == 1 and vocab is not None and key[0] in vocab:
                # Without accents the word would also be a word of the criteria ("nhậu" and
                # "nhau"): it cannot mark a question as off topic on its own.
                message = f"«{phrase}» (không dấu: {key[0]}) có trong bộ tiêu chí và hỏi đáp"
                doc.issues.append(doc.issue(loc, message))
            elif section == "other_subjects" and key in off and key not in subjects:
                message = f"«{phrase}» đã có ở out_of_scope (một cụm chỉ ở một danh sách)"
                doc.issues.append(doc.issue(loc, message))
            else:
                off[key] = topic.topic
                off_accented.setdefault(key, set()).add(analyze(phrase).accented)
                if section == "other_subjects":
                    subjects.add(key)


def vocabulary(entries: Iterable[Entry], sets: Iterable[CriteriaSet]) -> set[str]:
    """The folded words search knows: those of the entries and of the criteria cards."""
    from knowledge.search import rule_text

    texts: list[str] = []
    for e in entries:
        texts += [e.question, *e.alternatives, e.answer]
    for cset in sets:
        for c in cset.walk():
            texts += [c.title, rule_text(c), *c.evidence, c.notes or ""]
            if c.not_applicable is not None and c.not_applicable.note:
                texts.append(c.not_applicable.note)
    words: set[str] = set()
    for text in texts:
        words.update(analyze(text).folded)
    return words


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon; raises :class:`DataError` when it is invalid."""
    lexicon, issues = load_lexicon(DEFAULT_LEXICON)
    if lexicon is None:
        raise DataError(issues)
    return lexicon


def require_lexicon(path: Path | None, vocabulary: Iterable[str] | None = None) -> Lexicon:
    if path is None and vocabulary is None:
        return default_lexicon()
    lexicon, issues = load_lexicon(path, vocabulary)
    if lexicon is None:
        raise DataError(issues)
    return lexicon


__all__ = [
    "DEFAULT_LEXICON",
    "Lexicon",
    "default_lexicon",
    "load_lexicon",
    "phrase_key",
    "require_lexicon",
    "vocabulary",
]
