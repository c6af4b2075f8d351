"""Loading and checking every data file the bot runs on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import Settings
from criteria.errors import DataError, DataIssue
from criteria.loader import (
    DEFAULT_ROUTING,
    DEFAULT_SETS_DIR,
    Catalogue,
    load_catalogue,
    load_routing,
    load_set,
    set_files,
)
from criteria.schema import CriteriaSet
from criteria.yamlsource import read_yaml
from knowledge.ask import build_set_index
from knowledge.lexicon import DEFAULT_LEXICON, Lexicon, load_lexicon, vocabulary
from knowledge.loader import DEFAULT_ENTRIES_DIR, entry_files, load_entries
from knowledge.schema import Entry
from knowledge.search import SearchIndex
from knowledge.veto import DEFAULT_VETO, Veto, is_veto_file, load_veto


@dataclass(frozen=True)
class BotData:
    catalogue: Catalogue
    entries: tuple[Entry, ...]
    lexicon: Lexicon = field(default_factory=Lexicon)
    veto: Veto | None = None  # the learned out-of-scope veto (None: the shipped one)
    by_id: dict[str, Entry] = field(default_factory=dict)
    # The other sets' indexes (the default set's is the dispatcher's ``index``), built on
    # first use and rebuilt in place with the approved rulings (bot.services.rulings).
    set_indexes: dict[str, SearchIndex] = field(default_factory=dict)
    rulings: list[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id.update((e.id, e) for e in self.entries)

    def index(self, set_id: str | None = None, extra: Sequence[Entry] = ()) -> SearchIndex:
        """The search index of one set (default: the set in use): its criteria and the
        entries (and ``extra`` rulings) that apply to it."""
        return build_set_index(
            self.catalogue, self.entries, set_id, extra=extra, lexicon=self.lexicon, veto=self.veto
        )

    def index_of(self, set_id: str, default: SearchIndex) -> SearchIndex:
        """The index to search for ``set_id``: ``default`` (the dispatcher's shared index)
        for the default set, else that set's own."""
        return default if set_id == self.catalogue.current.id else self.set_index(set_id)

    def set_index(self, set_id: str) -> SearchIndex:
        """The shared index of a set other than the default one, built once (with the
        approved rulings known so far)."""
        found = self.set_indexes.get(set_id)
        if found is None:
            found = self.set_indexes[set_id] = self.index(set_id, self.rulings)
        return found


def _paths(settings: Settings) -> tuple[list[Path], Path, list[Path]]:
    sets_dir = settings.criteria_dir or DEFAULT_SETS_DIR
    routing = settings.routing_file or DEFAULT_ROUTING
    entries_dir = settings.knowledge_dir or DEFAULT_ENTRIES_DIR
    return set_files(sets_dir), routing, entry_files(entries_dir)


def load_data(settings: Settings) -> BotData:
    """Load the criteria sets, routing and knowledge entries, or raise :class:`DataError`."""
    set_paths, routing, entry_paths = _paths(settings)
    catalogue, issues = load_catalogue(set_paths, routing, settings.default_set)
    known = catalogue.codes_by_set() if catalogue else None
    entries, entry_issues = load_entries(entry_paths, known)
    issues = [*issues, *entry_issues]
    if catalogue is None or issues:
        raise DataError(issues)
    lexicon, lexicon_issues = load_lexicon(
        settings.lexicon_file or DEFAULT_LEXICON,
        _lexicon_vocabulary(settings, entries, catalogue.sets.values()),
    )
    if lexicon is None:
        raise DataError(lexicon_issues)
    veto, veto_issues = load_veto(DEFAULT_VETO)
    if veto is None:
        raise DataError(veto_issues)
    return BotData(catalogue=catalogue, entries=tuple(entries), lexicon=lexicon, veto=veto)


def _lexicon_vocabulary(
    settings: Settings, entries: Sequence[Entry], sets: Iterable[CriteriaSet]
) -> set[str]:
    """The words a lexicon's ``means`` phrases are checked against: those of the loaded data,
    and, for the shipped lexicon, also those of the shipped sets and entries it was written
    for — a province loading only its own set (or only the commune set) must not be refused
    because a synonym group names words of a set it does not use."""
    words = vocabulary(entries, sets)
    custom_data = settings.criteria_dir is not None or settings.knowledge_dir is not None
    if settings.lexicon_file is None and custom_data:  # else the loaded data is the shipped
        shipped_sets = [s for s in (load_set(p)[0] for p in set_files(DEFAULT_SETS_DIR)) if s]
        shipped = load_entries(entry_files(DEFAULT_ENTRIES_DIR), None)[0]
        words |= vocabulary(shipped, shipped_sets)
    return words


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*.yaml") if p.is_file()))
            out.extend(sorted(p for p in path.rglob("*.yml") if p.is_file()))
        else:
            out.append(path)
    return out


def check_paths(paths: list[Path], settings: Settings) -> tuple[list[DataIssue], int]:
    """Check the given files or directories (or everything shipped, if none).

    Each file's kind is told by its content: a list is knowledge entries, a mapping with
    ``areas`` a criteria set, a mapping with ``routes`` the routing. Returns the issues and
    the number of files checked.
    """
    if not paths:
        set_paths, routing, entry_paths = _paths(settings)
        catalogue, found = load_catalogue(set_paths, routing, settings.default_set)
        known = catalogue.codes_by_set() if catalogue else None
        loaded, entry_issues = load_entries(entry_paths, known)
        sets_loaded = catalogue.sets.values() if catalogue else ()
        _, lexicon_issues = load_lexicon(
            settings.lexicon_file or DEFAULT_LEXICON,
            _lexicon_vocabulary(settings, loaded, sets_loaded),
        )
        veto_issues = load_veto(DEFAULT_VETO)[1]
        return (
            [*found, *entry_issues, *lexicon_issues, *veto_issues],
            len(set_paths) + len(entry_paths) + 3,
        )

    files = _expand(paths)
    issues: list[DataIssue] = []
    sets, routings, entries, lexicons, vetoes = [], [], [], [], []
    for path in files:
        if not path.exists():
            issues.append(DataIssue(path, 0, "", "không tìm thấy tệp"))
            continue
        doc = read_yaml(path)
        if doc.data is None:
            issues.extend(doc.issues)
        elif isinstance(doc.data, list):
            entries.append(path)
        elif isinstance(doc.data, dict) and "areas" in doc.data:
            sets.append(path)
        elif isinstance(doc.data, dict) and "routes" in doc.data:
            routings.append(path)
        elif is_veto_file(doc.data):
            vetoes.append(path)
        elif isinstance(doc.data, dict) and not {
            "synonyms", "out_of_scope", "other_subjects", "in_scope", "in_scope_asks",
            "out_of_scope_asks", "fact_asks",
        }.isdisjoint(doc.data):
            lexicons.append(path)
        else:
            issues.append(
                DataIssue(
                    path,
                    1,
                    "",
                    "không nhận ra loại tệp (bộ tiêu chí, định tuyến, hỏi đáp, từ điển, mô hình)",
                )
            )
    by_set: dict[str, set[str]] = {}
    for path in sets:
        cset, found = load_set(path)
        issues.extend(found)
        if cset is not None:
            by_set[cset.id] = {c.code for c in cset.walk()}
    if not sets and (entries or routings or lexicons):
        # Check references against the shipped sets when no set is given.
        for path in set_files(settings.criteria_dir or DEFAULT_SETS_DIR):
            cset, _ = load_set(path)
            if cset is not None:
                by_set[cset.id] = {c.code for c in cset.walk()}
    codes = set().union(*by_set.values())
    for path in routings:
        issues.extend(load_routing(path, codes or None, by_set or None)[1])
    if entries:
        issues.extend(load_entries(entries, by_set or None)[1])
    if lexicons:
        # Words are checked against the given criteria and entries, else the shipped ones.
        set_paths, _, entry_paths = _paths(settings)
        loaded_sets = [s for s in (load_set(p)[0] for p in sets or set_paths) if s is not None]
        vocab = vocabulary(load_entries(entries or entry_paths, None)[0], loaded_sets)
        for path in lexicons:
            issues.extend(load_lexicon(path, vocab)[1])
    for path in vetoes:
        issues.extend(load_veto(path)[1])
    return issues, len(files)


__all__ = ["BotData", "DataError", "check_paths", "load_data"]
