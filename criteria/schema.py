"""Typed, frozen models of a criteria set and of the provincial routing.

A criteria set is a tree: areas → criteria → sub-criteria, every node with a stable code and
a maximum; every self-scored leaf carries a typed scoring rule. Points are ``Decimal`` so
that quarter points add up exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Literal, TypeVar, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Criterion and department codes travel in button data, which Telegram caps at 64 bytes:
# /chamdiem's ``sc:<action>:<assessment id>:<code>:<part>:<value>``, /tiendo's
# ``co:<action>:<unit id>:<department>:<code>:<year>`` and a ticket's "Chuyển Sở khác"
# ``tm:<ticket id>:<Sở>``. 16 characters each keep the longest of them (/tiendo's, with a
# 10-digit unit id) under 60 bytes; the shipped data uses at most 5 (codes) and 6 (Sở).
MAX_CODE_LENGTH = 16
MAX_DEPARTMENT_CODE_LENGTH = 16
MAX_TITLE_LENGTH = 500
"""A criterion's title, a tier's or a part's label (shown in messages and on buttons)."""
MAX_NAME_LENGTH = 200
"""A department's (phòng or Sở) name."""
MAX_TIERS = 50
MAX_REMINDER_DAYS = 366
"""A reminder goes out at most this many days before its deadline (checked in validate)."""
Days = Annotated[int, Field(strict=True)]
"""Whole days: ``true`` is not 1 day and ``"7"`` is not 7."""


def _fits_buttons(what: str, limit: int) -> Callable[[str], str]:
    """A validator refusing a code longer than ``limit``: codes travel in button data."""

    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(
                f"{what} dài {len(value)} ký tự, tối đa {limit} "
                "(mã nằm trong dữ liệu nút bấm của Telegram, giới hạn 64 byte)"
            )
        return value

    return check


_code_fits = _fits_buttons("mã", MAX_CODE_LENGTH)
_department_code_fits = _fits_buttons("mã phòng/Sở", MAX_DEPARTMENT_CODE_LENGTH)


def _no_control(value: str) -> str:
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("không được chứa ký tự điều khiển (xuống dòng, tab…)")
    return value


def _plain_name(value: str) -> str:
    if not value.strip():
        raise ValueError("không được để trống")
    _no_control(value)
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"tên dài {len(value)} ký tự, tối đa {MAX_NAME_LENGTH}")
    return value


Points = Annotated[Decimal, Field(ge=0, max_digits=6, decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=1000, max_digits=7, decimal_places=3)]
Code = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)*$"), AfterValidator(_code_fits)]
Text = Annotated[str, Field(min_length=1)]
Title = Annotated[
    str, Field(min_length=1, max_length=MAX_TITLE_LENGTH), AfterValidator(_no_control)
]
DepartmentCode = Annotated[
    str, Field(pattern=r"^[A-Z][A-Z0-9_]*$"), AfterValidator(_department_code_fits)
]
Name = Annotated[str, Field(min_length=1), AfterValidator(_plain_name)]


_T = TypeVar("_T")


def _memo(model: BaseModel, name: str, build: Callable[[], _T]) -> _T:
    """``build()`` computed once per model object: the models are frozen, and walking a set's
    tree ran several times per update. Kept in the object's ``__dict__`` (not a field: not
    compared, dumped or validated) with the object's id, so a ``model_copy(update=...)`` —
    which copies ``__dict__`` — computes its own."""
    found = model.__dict__.get(name)
    if found is not None and found[0] == id(model):
        return cast(_T, found[1])
    value = build()
    model.__dict__[name] = (id(model), value)
    return value


def level_name(code: str) -> str:
    """The tree level of ``code`` in words, lower case: "lĩnh vực" (an area, "3"),
    "tiêu chí" (a criterion, "3.4") or "tiêu chí thành phần" (a sub-criterion, "3.4.1")."""
    depth = code.count(".")
    return "lĩnh vực" if depth == 0 else "tiêu chí" if depth == 1 else "tiêu chí thành phần"


def node_label(code: str) -> str:
    """The node's name with its tree level: "Lĩnh vực 3", "Tiêu chí 3.4", "Tiêu chí thành
    phần 3.4.1" (the same words in cards, answers, buttons, /tieuchi and scoring)."""
    name = level_name(code)
    return f"{name[0].upper()}{name[1:]} {code}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(_Model):
    """One step of a ratio or count rule: at least ``min`` (or more than, if strict)."""

    min: Percent
    points: Points
    strict: bool = False
    label: str | None = None

    def admits(self, value: Decimal) -> bool:
        return value > self.min if self.strict else value >= self.min


class YesNoRule(_Model):
    type: Literal["yes_no"]
    question: str | None = None
    if_yes: Points
    if_no: Points = Decimal(0)


class Tier(_Model):
    label: Title
    points: Points


class TiersRule(_Model):
    type: Literal["tiers"]
    question: str | None = None
    tiers: tuple[Tier, ...] = Field(min_length=2, max_length=MAX_TIERS)


class RatioRule(_Model):
    """Percentage = numerator ÷ denominator × 100, scored by descending thresholds."""

    type: Literal["ratio"]
    numerator: Text
    denominator: Text
    thresholds: tuple[Threshold, ...] = Field(min_length=1)
    below: Points = Decimal(0)
    when_zero: Points | None = None
    when_zero_label: str | None = None
    allow_over_100: bool = False
    # The denominator is the same figure a period earlier ("so với năm trước"): 0 then 0 counts
    # as equal (100 %), anything then 0 as an increase (above every threshold).
    comparison: bool = False


class CountRule(_Model):
    type: Literal["count"]
    unit: Text
    thresholds: tuple[Threshold, ...] = Field(min_length=1)
    below: Points = Decimal(0)
    max_count: int | None = Field(default=None, ge=0)  # more cannot happen (4 reports a year)


class DeductionRule(_Model):
    """Full marks minus ``per`` for each counted ``unit``, never below ``floor``."""

    type: Literal["deductions"]
    unit: Text
    per: Points
    floor: Points = Decimal(0)
    zero_if: str | None = None
    max_count: int | None = Field(default=None, ge=0)  # more cannot happen (4 reports a year)


class SurveyRule(_Model):
    """Scored by the province from surveys: never self-scored."""

    type: Literal["survey"]
    method: Text


LeafRule = Annotated[
    YesNoRule | TiersRule | RatioRule | CountRule | DeductionRule,
    Field(discriminator="type"),
]


class Part(_Model):
    label: Title
    max: Points
    rule: LeafRule


class SumRule(_Model):
    """The score is the sum of independently scored parts."""

    type: Literal["sum"]
    parts: tuple[Part, ...] = Field(min_length=2)


Rule = Annotated[
    YesNoRule | TiersRule | RatioRule | CountRule | DeductionRule | SumRule | SurveyRule,
    Field(discriminator="type"),
]


class NotApplicable(_Model):
    """What happens when the activity did not arise in the period ("không phát sinh")."""

    policy: Literal["exclude", "full_marks"]
    note: str | None = None


class Criterion(_Model):
    code: Code
    title: Title
    max: Points
    department: str | None = None
    also: tuple[str, ...] = ()
    rule: Rule | None = None
    evidence: tuple[Text, ...] = ()
    notes: str | None = None
    not_applicable: NotApplicable | None = None
    children: tuple[Criterion, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def is_survey(self) -> bool:
        return isinstance(self.rule, SurveyRule)

    @property
    def area_code(self) -> str:
        return self.code.split(".", 1)[0]

    def walk(self) -> list[Criterion]:
        """This node and all its descendants, depth first."""
        return list(self._subtree())

    def _subtree(self) -> tuple[Criterion, ...]:
        def build() -> tuple[Criterion, ...]:
            out: list[Criterion] = [self]
            for child in self.children:
                out.extend(child._subtree())
            return tuple(out)

        return _memo(self, "_subtree_memo", build)


class Department(_Model):
    code: DepartmentCode
    name: Name


class Document(_Model):
    id: Text
    kind: Literal["issuing", "guidance", "basis"]
    title: Text
    number: str | None = None
    date: dt.date | None = None
    issuer: str | None = None


class BonusItem(_Model):
    code: Text
    title: Text
    points: Points
    per_occurrence: bool = False
    evidence: tuple[Text, ...] = ()


class BonusBlock(_Model):
    cap: Points
    items: tuple[BonusItem, ...] = Field(min_length=1)


class Band(_Model):
    name: Text
    min: Percent


class CalendarStep(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")]
    title: Text
    start: dt.date | None = None
    end: dt.date
    audience: Literal["departments", "coordinators", "all"] = "all"
    reminders: tuple[Days, ...] | None = None
    note: str | None = None


# The levels a set can be for, as users read them ("bộ tiêu chí cấp xã").
LEVEL_NAMES = {"tinh": "tỉnh", "so": "sở", "huyen": "huyện", "xa": "xã"}


class CriteriaSet(_Model):
    # At most 64: the database's set_id columns (VARCHAR(64) on PostgreSQL).
    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$", max_length=64)]
    title: Text
    level: Literal["tinh", "so", "huyen", "xa"]
    year: Annotated[int, Field(ge=2000, le=2100)]
    description: str | None = None
    sample: bool = False
    total: Points
    departments: tuple[Department, ...] = Field(min_length=1)
    documents: tuple[Document, ...] = ()
    areas: tuple[Criterion, ...] = Field(min_length=1)
    bonus: BonusBlock | None = None
    penalty: BonusBlock | None = None
    rating: tuple[Band, ...] = Field(min_length=1)
    reminders: tuple[Days, ...] = (7, 3, 1, 0)
    calendar: tuple[CalendarStep, ...] = ()

    def walk(self) -> list[Criterion]:
        return list(self._nodes())

    def by_code(self) -> dict[str, Criterion]:
        return dict(self._codes())

    def node(self, code: str) -> Criterion | None:
        """The criterion (or area) ``code``, without copying :meth:`by_code`'s dict."""
        return self._codes().get(code)

    def leaves(self) -> list[Criterion]:
        return list(self._leaves())

    def _nodes(self) -> tuple[Criterion, ...]:
        return _memo(
            self, "_nodes_memo", lambda: tuple(c for a in self.areas for c in a._subtree())
        )

    def _codes(self) -> Mapping[str, Criterion]:
        return _memo(
            self, "_codes_memo", lambda: MappingProxyType({c.code: c for c in self._nodes()})
        )

    def _leaves(self) -> tuple[Criterion, ...]:
        return _memo(self, "_leaves_memo", lambda: tuple(c for c in self._nodes() if c.is_leaf))

    def department_name(self, code: str | None) -> str:
        for dep in self.departments:
            if dep.code == code:
                return dep.name
        return code or ""

    @property
    def self_scored_max(self) -> Decimal:
        return _memo(
            self,
            "_self_scored_max_memo",
            lambda: sum((c.max for c in self._leaves() if not c.is_survey), Decimal(0)),
        )


class ProvincialDepartment(_Model):
    code: DepartmentCode
    name: Name
    default: bool = False


class Route(_Model):
    """Questions about these codes (areas or criteria, by prefix) go to ``department``."""

    department: str
    codes: tuple[Code, ...] = Field(min_length=1)
    # The sets whose codes these are (codes are unique within a set only); none: every set.
    sets: tuple[str, ...] = ()
    note: str | None = None

    def applies_to(self, set_id: str | None) -> bool:
        return not self.sets or set_id is None or set_id in self.sets


class Routing(_Model):
    departments: tuple[ProvincialDepartment, ...] = Field(min_length=1)
    routes: tuple[Route, ...] = ()

    @property
    def default(self) -> ProvincialDepartment:
        return next(d for d in self.departments if d.default)

    def department(self, code: str) -> ProvincialDepartment | None:
        return next((d for d in self.departments if d.code == code), None)

    def route(self, criterion_code: str | None, set_id: str | None = None) -> ProvincialDepartment:
        """The department answering questions on ``criterion_code`` of set ``set_id``: the
        longest prefix wins among the routes of that set (a route naming the set wins over
        one for every set at the same length)."""
        best: tuple[int, int, str] | None = None
        if criterion_code:
            parts = criterion_code.split(".")
            for route in self.routes:
                if not route.applies_to(set_id):
                    continue
                named = 1 if route.sets and set_id is not None else 0
                for code in route.codes:
                    cparts = code.split(".")
                    key = (len(cparts), named)
                    if parts[: len(cparts)] == cparts and (best is None or key > best[:2]):
                        best = (*key, route.department)
        if best is not None:
            found = self.department(best[2])
            if found is not None:
                return found
        return self.default
