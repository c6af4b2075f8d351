"""Loading knowledge entries from YAML files (each file: a list of entries)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from pathlib import Path

from criteria.errors import DataError, DataFiles, DataIssue, data_files, no_files
from criteria.yamlsource import YamlDoc, read_yaml, validate_model
from knowledge.schema import Entry

DEFAULT_ENTRIES_DIR = Path(__file__).resolve().parent / "entries"

# What linked codes are checked against: one pool of codes, or each set's codes by set id.
Known = Set[str] | Mapping[str, Set[str]]


def entry_files(directory: Path) -> DataFiles:
    """The entry files of ``directory`` (a list that remembers the folder)."""
    return data_files(directory)


def load_entries(
    paths: list[Path] | None = None, known_codes: Known | None = None
) -> tuple[list[Entry], list[DataIssue]]:
    """Load entries from ``paths``; check ids are unique and codes exist in ``known_codes``.

    ``paths`` found in a folder (:func:`entry_files`) must not be empty: the issue then
    names the folder.

    With ``known_codes`` by set id, the sets an entry names under ``sets:`` must exist, and
    each code it links to must exist in every set it applies to (all sets when it names none).
    """
    if paths is None:
        paths = entry_files(DEFAULT_ENTRIES_DIR)
    entries: list[Entry] = []
    issues: list[DataIssue] = []
    if not paths and isinstance(paths, DataFiles):
        # A knowledge folder (KNOWLEDGE_DIR) without entries: the bot would answer nothing.
        issues.append(no_files(paths.directory, "tệp hỏi đáp"))
    ids: dict[str, tuple[Path, int]] = {}
    for path in paths:
        doc = read_yaml(path)
        if doc.data is None:
            issues.extend(doc.issues)
            continue
        if not isinstance(doc.data, list):
            issues.extend(doc.issues)
            issues.append(DataIssue(path, 1, "", "tệp phải là một danh sách các mục hỏi đáp"))
            continue
        for i, raw in enumerate(doc.data):
            entry = validate_model(doc, Entry, raw, (i,))
            if entry is None:
                continue
            if entry.id in ids:
                other, line = ids[entry.id]
                doc.issues.append(
                    doc.issue((i, "id"), f"mã mục '{entry.id}' đã dùng ở {other}:{line}")
                )
                continue
            ids[entry.id] = (path, doc.line_of((i, "id")))
            if isinstance(known_codes, Mapping):
                _check_by_set(doc, i, entry, known_codes)
            elif known_codes is not None:
                for j, code in enumerate(entry.criteria):
                    if code not in known_codes:
                        doc.issues.append(
                            doc.issue((i, "criteria", j), f"không có tiêu chí mã {code}")
                        )
            entries.append(entry)
        issues.extend(doc.issues)
    return entries, issues


def _check_by_set(doc: YamlDoc, i: int, entry: Entry, by_set: Mapping[str, Set[str]]) -> None:
    for j, set_id in enumerate(entry.sets):
        if set_id not in by_set:
            choices = ", ".join(by_set) or "(không có)"
            doc.issues.append(
                doc.issue((i, "sets", j), f"không có bộ tiêu chí mã {set_id} (các bộ: {choices})")
            )
    applies = [s for s in by_set if entry.applies_to(s)]
    for j, code in enumerate(entry.criteria):
        missing = [s for s in applies if code not in by_set[s]]
        if missing:
            doc.issues.append(
                doc.issue(
                    (i, "criteria", j),
                    f"không có tiêu chí mã {code} trong bộ {', '.join(missing)}"
                    + ("" if entry.sets else " (mục không ghi sets: áp dụng cho mọi bộ)"),
                )
            )


def require_entries(paths: list[Path] | None = None, known: Known | None = None) -> list[Entry]:
    entries, issues = load_entries(paths, known)
    if issues:
        raise DataError(issues)
    return entries
