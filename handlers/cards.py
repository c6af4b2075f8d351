"""HTML rendering of criteria cards and rules in plain Vietnamese."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from criteria.schema import (
    CountRule,
    CriteriaSet,
    Criterion,
    DeductionRule,
    RatioRule,
    SumRule,
    SurveyRule,
    Threshold,
    TiersRule,
    YesNoRule,
    level_name,
    node_label,
)
from criteria.scoring import format_points as pts


def _pct(value: Decimal) -> str:
    return pts(value) + " %"


def _thresholds(items: tuple[Threshold, ...], below: Decimal, unit: str) -> list[str]:
    out = []
    upper: Threshold | None = None
    for th in items:
        sign = ">" if th.strict else "≥"
        bound = f"{sign} {_pct(th.min)}" if unit == "%" else f"{sign} {pts(th.min)} {unit}"
        if upper is not None and unit == "%":
            bound = f"{_pct(th.min)} đến dưới {_pct(upper.min)}"
            if th.strict:
                bound = f"trên {_pct(th.min)} đến dưới {_pct(upper.min)}"
            elif upper.min == th.min:  # "> 100 %" above it: this band is exactly 100 %
                bound = f"bằng {_pct(th.min)}"
        label = f" ({escape(th.label)})" if th.label else ""
        out.append(f"{bound}{label}: {pts(th.points)} điểm")
        upper = th
    if items:
        last = items[-1]
        rest = f"dưới {_pct(last.min)}" if unit == "%" else "thấp hơn"
        if last.strict:
            rest = "bằng 0" if last.min == 0 else f"không quá {_pct(last.min)}"
        out.append(f"{rest}: {pts(below)} điểm")
    return out


def describe_rule(rule: object) -> list[str]:
    """The scoring rule as short plain-language lines."""
    if isinstance(rule, YesNoRule):
        head = [escape(rule.question)] if rule.question else []
        return [*head, f"Có: {pts(rule.if_yes)} điểm; không: {pts(rule.if_no)} điểm"]
    if isinstance(rule, TiersRule):
        head = [escape(rule.question)] if rule.question else []
        return [*head, *(f"{escape(t.label)}: {pts(t.points)} điểm" for t in rule.tiers)]
    if isinstance(rule, RatioRule):
        lines = [f"Tỷ lệ = {escape(rule.numerator)} ÷ {escape(rule.denominator)} × 100 %"]
        lines += _thresholds(rule.thresholds, rule.below, "%")
        if rule.when_zero is not None:
            label = rule.when_zero_label or f"Không có {rule.denominator}"
            lines.append(f"{escape(label)}: {pts(rule.when_zero)} điểm")
        return lines
    if isinstance(rule, CountRule):
        return _thresholds(rule.thresholds, rule.below, escape(rule.unit))
    if isinstance(rule, DeductionRule):
        lines = [f"Đủ điểm, trừ {pts(rule.per)} điểm cho mỗi {escape(rule.unit)}"]
        lines.append(f"Thấp nhất {pts(rule.floor)} điểm")
        if rule.zero_if:
            lines.append(f"{escape(rule.zero_if)}: 0 điểm")
        return lines
    if isinstance(rule, SumRule):
        out = []
        for part in rule.parts:
            sub = "; ".join(describe_rule(part.rule))
            out.append(f"{escape(part.label)} (tối đa {pts(part.max)}): {sub}")
        return out
    if isinstance(rule, SurveyRule):
        return [f"Không tự chấm — {escape(rule.method)}"]
    return []


def criterion_card(cset: CriteriaSet, node: Criterion, *, source: bool = True) -> str:
    """The criterion card: code, title, max, rule, evidence, department, source."""
    lines = [f"📌 <b>{node_label(node.code)}</b>: {escape(node.title)}"]
    lines.append(f"Điểm tối đa: <b>{pts(node.max)}</b>")
    if node.is_survey:
        lines.append("Loại: <i>điều tra xã hội học, không tự chấm</i>")
    if node.rule is not None:
        lines.append("Cách chấm:")
        lines += [f"  • {line}" for line in describe_rule(node.rule)]
    elif node.children:
        lines.append(f"Gồm các {level_name(node.children[0].code)}:")
        lines += [
            f"  • {escape(c.code)} {escape(c.title)} — {pts(c.max)} điểm" for c in node.children
        ]
    if node.not_applicable is not None:
        how = (
            "bỏ khỏi điểm tối đa và quy đổi"
            if node.not_applicable.policy == "exclude"
            else "được điểm tối đa"
        )
        note = f" ({escape(node.not_applicable.note)})" if node.not_applicable.note else ""
        lines.append(f"Không phát sinh: {how}{note}")
    if node.evidence:
        lines.append("Tài liệu kiểm chứng:")
        lines += [f"  • {escape(e)}" for e in node.evidence]
    if node.department:
        codes = (node.department, *node.also)
        deps = [cset.department_name(code) for code in codes]
        lines.append("Phụ trách: " + escape(", ".join(deps)))
    if node.notes:
        lines.append(f"Ghi chú: {escape(node.notes)}")
    if source:
        issuing = next((d for d in cset.documents if d.kind == "issuing"), None)
        lines.append(f"Nguồn: {escape(issuing.title if issuing else cset.title)}")
    return "\n".join(lines)
