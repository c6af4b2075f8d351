"""Loading criteria sets and routing from YAML, with every problem located."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from criteria.errors import DataError, DataIssue
from criteria.schema import CriteriaSet, Routing
from criteria.validate import check_routing, check_set
from criteria.yamlsource import read_yaml, validate_model

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_SETS_DIR = PACKAGE_DIR / "sets"
DEFAULT_ROUTING = PACKAGE_DIR / "routing.yaml"


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
    path: Path, known_codes: set[str] | None = None
) -> tuple[Routing | None, list[DataIssue]]:
    doc = read_yaml(path)
    if doc.data is None:
        return None, doc.issues
    routing = validate_model(doc, Routing, doc.data)
    if routing is not None:
        check_routing(
            routing, known_codes, lambda loc, msg: doc.issues.append(doc.issue(loc, msg))
        )
    return (routing if not doc.issues else None), doc.issues


def set_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


@dataclass(frozen=True)
class Catalogue:
    """All loaded criteria sets, by id, plus the routing of questions to provincial Sở."""

    sets: dict[str, CriteriaSet]
    routing: Routing

    @property
    def current(self) -> CriteriaSet:
        """The set in use: the latest year (then the last id) among those loaded."""
        return max(self.sets.values(), key=lambda s: (s.year, s.id))

    def all_codes(self) -> set[str]:
        return {c.code for s in self.sets.values() for c in s.walk()}


def load_catalogue(
    sets: list[Path] | None = None, routing: Path | None = None
) -> tuple[Catalogue | None, list[DataIssue]]:
    """Load every set and the routing; issues from all files are collected, not just the first."""
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
        issues.append(DataIssue(DEFAULT_SETS_DIR, 0, "", "không tìm thấy bộ tiêu chí nào"))
    codes = {c.code for s in loaded.values() for c in s.walk()}
    routing_obj, found = load_routing(routing or DEFAULT_ROUTING, codes if loaded else None)
    issues.extend(found)
    if issues or routing_obj is None or not loaded:
        return None, issues
    return Catalogue(sets=loaded, routing=routing_obj), issues


def require_catalogue(sets: list[Path] | None = None, routing: Path | None = None) -> Catalogue:
    catalogue, issues = load_catalogue(sets, routing)
    if catalogue is None:
        raise DataError(issues)
    return catalogue
