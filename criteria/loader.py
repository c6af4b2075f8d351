"""Loading criteria sets and routing from YAML, with every problem located."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from criteria.errors import DataError, DataFiles, DataIssue, data_files, no_files
from criteria.schema import LEVEL_NAMES, CriteriaSet, Routing
from criteria.validate import check_routing, check_set
from criteria.yamlsource import read_yaml, validate_model

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_SETS_DIR = PACKAGE_DIR / "sets"
DEFAULT_ROUTING = PACKAGE_DIR / "routing.yaml"
# The set in use when several are loaded and DEFAULT_SET is not given: adding a set (a commune
# set, next year's set) must never switch the users of this one to it silently.
SHIPPED_DEFAULT = "huyen-2021"


def load_set(path: Path) -> tuple[CriteriaSet | None, list[DataIssue]]:
    """Load and check one criteria set file; returns the set (or None) and its issues."""
    doc = read_yaml(path)
    if doc.data is None:
        return None, doc.issues
    cset = validate_model(doc, CriteriaSet, doc.data)
    if cset is not None:
        check_set(cset, lambda loc, msg: doc.issues.append(doc.issue(loc, msg)))
    return (cset if not doc.issues else None), doc.issues


def load_routing(
    path: Path,
    known_codes: set[str] | None = None,
    set_codes: Mapping[str, set[str]] | None = None,
) -> tuple[Routing | None, list[DataIssue]]:
    doc = read_yaml(path)
    if doc.data is None:
        return None, doc.issues
    routing = validate_model(doc, Routing, doc.data)
    if routing is not None:
        check_routing(
            routing,
            known_codes,
            lambda loc, msg: doc.issues.append(doc.issue(loc, msg)),
            set_codes,
        )
    return (routing if not doc.issues else None), doc.issues


def set_files(directory: Path) -> DataFiles:
    """The criteria set files of ``directory`` (a list that remembers the folder)."""
    return data_files(directory)


def describe_sets(sets: dict[str, CriteriaSet]) -> str:
    """The loaded sets as a reader chooses among them: "huyen-2021 (cấp huyen, năm 2021), …"."""
    return ", ".join(
        f"{s.id} (cấp {LEVEL_NAMES.get(s.level, s.level)}, năm {s.year})" for s in sets.values()
    )


def resolve_default(sets: dict[str, CriteriaSet], wanted: str | None) -> tuple[str | None, str]:
    """The id of the set in use, or None and why (in Vietnamese).

    ``wanted`` (the DEFAULT_SET setting) if given; else the only set; else the shipped default
    (:data:`SHIPPED_DEFAULT`) if loaded; else no choice is made — never "the latest year".
    """
    if wanted:
        if wanted in sets:
            return wanted, ""
        return None, (
            f"DEFAULT_SET={wanted}: không có bộ tiêu chí mã «{wanted}»; "
            f"các bộ đã nạp: {describe_sets(sets)}"
        )
    if len(sets) == 1:
        return next(iter(sets)), ""
    if SHIPPED_DEFAULT in sets:
        return SHIPPED_DEFAULT, ""
    return None, (
        f"có {len(sets)} bộ tiêu chí nhưng chưa chọn bộ mặc định: đặt DEFAULT_SET "
        f"là một trong các bộ {describe_sets(sets)}"
    )


@dataclass(frozen=True)
class Catalogue:
    """All loaded criteria sets, by id, plus the routing of questions to provincial Sở.

    ``default_id`` is the set in use when none is asked for (resolved by
    :func:`resolve_default` when loading; resolved the same way here when left out).
    """

    sets: dict[str, CriteriaSet]
    routing: Routing
    default_id: str | None = None

    @property
    def current(self) -> CriteriaSet:
        """The set in use by default (see :func:`resolve_default`)."""
        if self.default_id is not None:
            return self.sets[self.default_id]
        found, why = resolve_default(self.sets, None)
        if found is None:
            raise DataError([DataIssue(DEFAULT_SETS_DIR, 0, "DEFAULT_SET", why)])
        return self.sets[found]

    def all_codes(self) -> set[str]:
        return {c.code for s in self.sets.values() for c in s.walk()}

    def codes_by_set(self) -> dict[str, set[str]]:
        """Every set's criterion codes, by set id (codes are unique within a set only)."""
        return {sid: {c.code for c in s.walk()} for sid, s in self.sets.items()}


def load_catalogue(
    sets: list[Path] | None = None, routing: Path | None = None, default_set: str | None = None
) -> tuple[Catalogue | None, list[DataIssue]]:
    """Load every set and the routing; issues from all files are collected, not just the first.

    ``default_set`` (the DEFAULT_SET setting) chooses the set in use; see
    :func:`resolve_default`.
    """
    paths = sets if sets is not None else set_files(DEFAULT_SETS_DIR)
    issues: list[DataIssue] = []
    loaded: dict[str, CriteriaSet] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        cset, found = load_set(path)
        issues.extend(found)
        if cset is None:
            continue
        if cset.id in loaded:
            issues.append(
                DataIssue(path, 1, "id", f"bộ tiêu chí '{cset.id}' đã có trong {origin[cset.id]}")
            )
            continue
        loaded[cset.id] = cset
        origin[cset.id] = path
    if not paths:
        folder = paths.directory if isinstance(paths, DataFiles) else DEFAULT_SETS_DIR
        issues.append(no_files(folder, "bộ tiêu chí"))
    by_set = {sid: {c.code for c in s.walk()} for sid, s in loaded.items()}
    codes = set().union(*by_set.values())
    routing_obj, found = load_routing(
        routing or DEFAULT_ROUTING, codes if loaded else None, by_set if loaded else None
    )
    issues.extend(found)
    default_id: str | None = None
    if loaded:
        default_id, why = resolve_default(loaded, default_set)
        if default_id is None:
            where = paths[0].parent if paths else DEFAULT_SETS_DIR
            issues.append(DataIssue(where, 0, "DEFAULT_SET", why))
    if issues or routing_obj is None or not loaded:
        return None, issues
    return Catalogue(sets=loaded, routing=routing_obj, default_id=default_id), issues


def require_catalogue(
    sets: list[Path] | None = None, routing: Path | None = None, default_set: str | None = None
) -> Catalogue:
    catalogue, issues = load_catalogue(sets, routing, default_set)
    if catalogue is None:
        raise DataError(issues)
    return catalogue
