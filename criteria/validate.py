"""Semantic checks of a criteria set and of the routing, beyond what the schema types say."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from criteria.schema import (
    MAX_REMINDER_DAYS,
    CountRule,
    CriteriaSet,
    Criterion,
    DeductionRule,
    RatioRule,
    Routing,
    SumRule,
    SurveyRule,
    Threshold,
    TiersRule,
    YesNoRule,
)

Loc = tuple[int | str, ...]
Report = Callable[[Loc, str], None]

MIN_YEAR, MAX_YEAR = 2000, 2100
"""The years a calendar date may fall in (as for dates typed in the bot)."""


def best_score(rule: object) -> Decimal:
    """The highest score a rule can give."""
    if isinstance(rule, YesNoRule):
        return max(rule.if_yes, rule.if_no)
    if isinstance(rule, TiersRule):
        return max(t.points for t in rule.tiers)
    if isinstance(rule, RatioRule):
        best = max([*(t.points for t in rule.thresholds), rule.below])
        return max(best, rule.when_zero) if rule.when_zero is not None else best
    if isinstance(rule, CountRule):
        return max([*(t.points for t in rule.thresholds), rule.below])
    if isinstance(rule, SumRule):
        return sum((p.max for p in rule.parts), Decimal(0))
    raise TypeError(f"no best score for {type(rule).__name__}")


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def _check_thresholds(
    thresholds: Iterable[Threshold], below: Decimal, maximum: Decimal, loc: Loc, report: Report
) -> None:
    previous: Threshold | None = None
    for i, th in enumerate(thresholds):
        if th.points > maximum:
            report(
                (*loc, "thresholds", i, "points"),
                f"ngưỡng cho {_fmt(th.points)} điểm, vượt điểm tối đa {_fmt(maximum)}",
            )
        if previous is not None:
            if th.min > previous.min or (th.min == previous.min and not previous.strict):
                report(
                    (*loc, "thresholds", i, "min"),
                    "các ngưỡng phải xếp theo thứ tự giảm dần của 'min' (ngưỡng cao trước)",
                )
            elif th.points > previous.points:
                report(
                    (*loc, "thresholds", i, "points"),
                    "ngưỡng thấp hơn không được cho nhiều điểm hơn ngưỡng cao hơn",
                )
        previous = th
    if previous is not None and below > previous.points:
        report((*loc, "below"), "điểm dưới ngưỡng thấp nhất lớn hơn điểm của ngưỡng đó")


def _check_leaf_rule(rule: object, maximum: Decimal, loc: Loc, report: Report) -> None:
    if isinstance(rule, YesNoRule):
        if rule.if_yes > maximum:
            report((*loc, "if_yes"), f"điểm 'có' vượt điểm tối đa {_fmt(maximum)}")
        if rule.if_no > rule.if_yes:
            report((*loc, "if_no"), "điểm 'không' lớn hơn điểm 'có'")
    elif isinstance(rule, TiersRule):
        labels: set[str] = set()
        for i, tier in enumerate(rule.tiers):
            if tier.points > maximum:
                report(
                    (*loc, "tiers", i, "points"),
                    f"mức '{tier.label}' cho {_fmt(tier.points)} điểm, "
                    f"vượt điểm tối đa {_fmt(maximum)}",
                )
            if tier.label in labels:
                report((*loc, "tiers", i, "label"), f"mức '{tier.label}' bị lặp")
            labels.add(tier.label)
    elif isinstance(rule, RatioRule):
        _check_thresholds(rule.thresholds, rule.below, maximum, loc, report)
        if rule.when_zero is not None and rule.when_zero > maximum:
            report((*loc, "when_zero"), f"vượt điểm tối đa {_fmt(maximum)}")
    elif isinstance(rule, CountRule):
        _check_thresholds(rule.thresholds, rule.below, maximum, loc, report)
    elif isinstance(rule, DeductionRule):
        if rule.per > maximum:
            report((*loc, "per"), f"mức trừ vượt điểm tối đa {_fmt(maximum)}")
        if rule.floor > maximum:
            report((*loc, "floor"), f"điểm sàn vượt điểm tối đa {_fmt(maximum)}")
        if rule.per == 0:
            report((*loc, "per"), "mức trừ phải lớn hơn 0")
        return
    else:
        return
    best = best_score(rule)
    if best != maximum and best <= maximum:
        report(loc, f"điểm cao nhất của quy tắc ({_fmt(best)}) khác điểm tối đa ({_fmt(maximum)})")


def _check_rule(node: Criterion, loc: Loc, report: Report) -> None:
    rule = node.rule
    rloc = (*loc, "rule")
    if isinstance(rule, SumRule):
        total = sum((p.max for p in rule.parts), Decimal(0))
        if total != node.max:
            report(
                (*rloc, "parts"),
                f"tổng điểm các phần ({_fmt(total)}) khác điểm tối đa ({_fmt(node.max)})",
            )
        for i, part in enumerate(rule.parts):
            _check_leaf_rule(part.rule, part.max, (*rloc, "parts", i, "rule"), report)
    elif not isinstance(rule, SurveyRule):
        _check_leaf_rule(rule, node.max, rloc, report)


def check_set(cset: CriteriaSet, report: Report) -> None:
    """Report every semantic problem of ``cset`` through ``report(loc, message)``."""
    departments = {d.code for d in cset.departments}
    seen: dict[str, Loc] = {}

    def visit(node: Criterion, loc: Loc, parent: Criterion | None) -> None:
        if node.code in seen:
            report((*loc, "code"), f"mã {node.code} bị trùng")
        seen.setdefault(node.code, loc)
        depth = node.code.count(".")
        if parent is None and depth != 0:
            report((*loc, "code"), f"mã lĩnh vực phải là một số, không phải {node.code}")
        if parent is not None and (
            not node.code.startswith(parent.code + ".") or depth != parent.code.count(".") + 1
        ):
            report(
                (*loc, "code"),
                f"mã {node.code} không nối tiếp mã cha {parent.code} (ví dụ {parent.code}.1)",
            )
        for i, dep in enumerate((node.department, *node.also)):
            if dep is not None and dep not in departments:
                field: Loc = ("department",) if i == 0 else ("also", i - 1)
                report((*loc, *field), f"phòng '{dep}' không có trong danh sách departments")
        if node.children:
            total = sum((c.max for c in node.children), Decimal(0))
            if total != node.max:
                report(
                    (*loc, "max"),
                    f"điểm tối đa của {node.code} là {_fmt(node.max)} nhưng tổng các "
                    f"tiêu chí con là {_fmt(total)}",
                )
            if node.rule is not None:
                report((*loc, "rule"), "tiêu chí có tiêu chí con không được có quy tắc chấm")
            for i, child in enumerate(node.children):
                visit(child, (*loc, "children", i), node)
        else:
            if node.rule is None:
                report((*loc, "rule"), f"tiêu chí {node.code} thiếu quy tắc chấm (rule)")
            else:
                _check_rule(node, loc, report)
            if node.department is None and parent is not None:
                report((*loc, "department"), f"tiêu chí {node.code} thiếu phòng phụ trách")

    for i, area in enumerate(cset.areas):
        visit(area, ("areas", i), None)

    total = sum((a.max for a in cset.areas), Decimal(0))
    if total != cset.total:
        report(
            ("total",),
            f"tổng điểm khai báo {_fmt(cset.total)} khác tổng các lĩnh vực {_fmt(total)}",
        )
    codes = [d.code for d in cset.departments]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            report(("departments", i, "code"), f"phòng '{code}' bị trùng")
    for name in ("bonus", "penalty"):
        block = getattr(cset, name)
        if block is None:
            continue
        for i, item in enumerate(block.items):
            if item.points > block.cap:
                report((name, "items", i, "points"), "điểm của mục vượt mức trần (cap)")
    for i in range(1, len(cset.rating)):
        if cset.rating[i].min >= cset.rating[i - 1].min:
            report(("rating", i, "min"), "các mức xếp loại phải xếp theo 'min' giảm dần")
    _check_reminders(cset.reminders, ("reminders",), report)
    ids: set[str] = set()
    for i, step in enumerate(cset.calendar):
        if step.id in ids:
            report(("calendar", i, "id"), f"mốc '{step.id}' bị trùng")
        ids.add(step.id)
        if step.start is not None and step.start > step.end:
            report(("calendar", i, "start"), "ngày bắt đầu sau ngày kết thúc")
        for name in ("start", "end"):
            day = getattr(step, name)
            if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR:
                report(("calendar", i, name), f"năm phải trong khoảng {MIN_YEAR}–{MAX_YEAR}")
        _check_reminders(step.reminders or (), ("calendar", i, "reminders"), report)


def _check_reminders(days: Iterable[int], loc: Loc, report: Report) -> None:
    """Reminder offsets are whole days before the deadline, from 0 (the day itself) to
    :data:`MAX_REMINDER_DAYS`: a larger one has no date (and stopped every reminder)."""
    for j, value in enumerate(days):
        if value < 0:
            report((*loc, j), "số ngày nhắc trước không được âm")
        elif value > MAX_REMINDER_DAYS:
            report(
                (*loc, j),
                f"số ngày nhắc trước phải từ 0 đến {MAX_REMINDER_DAYS}, không phải {value}",
            )


def check_routing(
    routing: Routing,
    known_codes: set[str] | None,
    report: Report,
    set_codes: Mapping[str, set[str]] | None = None,
) -> None:
    """Report problems of the routing table; ``known_codes`` are the codes of loaded sets,
    ``set_codes`` each set's own (a route naming sets must use codes of those sets)."""
    codes = [d.code for d in routing.departments]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            report(("departments", i, "code"), f"Sở '{code}' bị trùng")
    defaults = [i for i, d in enumerate(routing.departments) if d.default]
    if len(defaults) != 1:
        report(("departments",), "phải có đúng một Sở mặc định (default: true)")
    seen: set[tuple[str, str]] = set()
    for i, route in enumerate(routing.routes):
        if route.department not in codes:
            report(("routes", i, "department"), f"Sở '{route.department}' không được khai báo")
        # A route for a set that is not loaded is kept idle (the province may load it later);
        # the codes of a loaded set are checked against that set.
        for j, code in enumerate(route.codes):
            for scope in route.sets or ("*",):
                if (code, scope) in seen:
                    report(("routes", i, "codes", j), f"mã {code} được định tuyến hai lần")
                seen.add((code, scope))
            if route.sets and set_codes is not None:
                for set_id in route.sets:
                    if set_id in set_codes and code not in set_codes[set_id]:
                        report(
                            ("routes", i, "codes", j),
                            f"không có tiêu chí mã {code} trong bộ {set_id}",
                        )
            elif known_codes is not None and code not in known_codes:
                report(("routes", i, "codes", j), f"không có tiêu chí mã {code}")
