"""Reading YAML with line numbers, so that every error can name file, line and field.

Floats are deliberately *not* resolved: ``0.25`` stays the text ``"0.25"``, which the
schemas turn into an exact ``Decimal`` and which keeps codes such as ``1.10`` intact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from criteria.errors import DataIssue


class _Loader(yaml.SafeLoader):
    """SafeLoader without the float resolver (see the module docstring)."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in {"tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# Only true/false are booleans: YAML 1.1's yes/no/on/off would silently turn keys and
# Vietnamese-free answers such as "no" into booleans.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)

Loc = tuple[int | str, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass
class YamlDoc:
    """A parsed YAML document with a map from data location to line number (1-based)."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    issues: list[DataIssue] = field(default_factory=list)

    def line_of(self, loc: Iterable[int | str]) -> int:
        """The line of the deepest known node along ``loc`` (union tags are skipped)."""
        best = self.lines.get((), 1)
        current: Loc = ()
        for part in loc:
            candidate = (*current, part)
            if candidate in self.lines:
                current = candidate
                best = self.lines[candidate]
        return best

    def issue(self, loc: Iterable[int | str], message: str) -> DataIssue:
        loc = tuple(loc)
        return DataIssue(self.path, self.line_of(loc), format_loc(loc), message)


def format_loc(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _index(node: yaml.Node, loc: Loc, doc: YamlDoc) -> None:
    doc.lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                doc.issues.append(
                    DataIssue(
                        doc.path,
                        key_node.start_mark.line + 1,
                        format_loc((*loc, key)),
                        "khóa bị lặp lại trong cùng một khối (duplicate key)",
                    )
                )
            seen.add(key)
            _index(value_node, (*loc, key), doc)
            doc.lines[(*loc, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*loc, i), doc)


def read_yaml(path: Path, text: str | None = None) -> YamlDoc:
    """Parse one YAML file. Syntax errors become issues with their line; data is then None."""
    doc = YamlDoc(path=path, data=None)
    try:
        if text is None:
            text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        doc.issues.append(DataIssue(path, 0, "", f"không đọc được tệp: {exc}"))
        return doc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            doc.issues.append(DataIssue(path, 1, "", "tệp rỗng"))
            return doc
        _index(node, (), doc)
        doc.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problem = exc.problem or str(exc)
        doc.issues.append(DataIssue(path, line, "", f"lỗi cú pháp YAML: {problem}"))
        doc.data = None
    except yaml.YAMLError as exc:
        doc.issues.append(DataIssue(path, 0, "", f"lỗi cú pháp YAML: {exc}"))
        doc.data = None
    finally:
        loader.dispose()
    return doc


_PYDANTIC_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được phép (không có trong lược đồ)",
    "string_type": "phải là chuỗi văn bản",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "decimal_parsing": "phải là một số",
    "decimal_type": "phải là một số",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "date_type": "phải là ngày dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
    "date_parsing": "phải là ngày dạng YYYY-MM-DD",
    "list_type": "phải là một danh sách",
    "tuple_type": "phải là một danh sách",
    "model_type": "phải là một khối (mapping)",
    "dict_type": "phải là một khối (mapping)",
    "literal_error": "giá trị không hợp lệ",
    "union_tag_invalid": "loại không hợp lệ",
    "union_tag_not_found": "thiếu trường 'type'",
    "greater_than_equal": "không được âm",
    "greater_than": "phải lớn hơn 0",
    "too_short": "danh sách quá ngắn",
    "string_too_short": "không được để trống",
    "string_pattern_mismatch": "sai định dạng",
}


def pydantic_issues(doc: YamlDoc, exc: ValidationError, prefix: Loc = ()) -> list[DataIssue]:
    """Translate pydantic errors into issues located in ``doc``."""
    issues = []
    for err in exc.errors(include_url=False):
        loc = (*prefix, *err["loc"])
        kind = err["type"]
        message = _PYDANTIC_MESSAGES.get(kind, "giá trị không hợp lệ")
        if kind in {"value_error", "assertion_error"}:
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        elif kind == "literal_error":
            message = f"giá trị không hợp lệ; cho phép: {err.get('ctx', {}).get('expected', '')}"
        elif kind == "union_tag_invalid":
            message = f"loại không hợp lệ; cho phép: {err.get('ctx', {}).get('expected_tags', '')}"
        # Drop the pydantic-internal union tag from the reported field.
        shown = tuple(p for p in loc if not (isinstance(p, str) and _TAGLIKE.match(p)))
        issues.append(DataIssue(doc.path, doc.line_of(loc), format_loc(shown), message))
    return issues


_TAGLIKE = re.compile(r"^(yes_no|tiers|ratio|count|deductions|sum|survey)$")


def validate_model(
    doc: YamlDoc, model: type[M], data: Any, prefix: Loc = ()
) -> M | None:
    """Validate ``data`` into ``model``; on failure record issues in ``doc`` and return None."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        doc.issues.extend(pydantic_issues(doc, exc, prefix))
        return None
