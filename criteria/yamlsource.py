"""Reading YAML with line numbers, so that every error can name file, line and field.

Floats are deliberately *not* resolved: ``0.25`` stays the text ``"0.25"``, which the
schemas turn into an exact ``Decimal`` and which keeps codes such as ``1.10`` intact.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from criteria.errors import DataIssue, os_reason


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

# Limits that keep a hostile or broken data file from exhausting time, memory or the stack
# ("billion laughs" aliases, thousands of nested lists, huge files). Real data is far below
# them: the shipped criteria set is ~50 KB, nested 8 levels, with no alias at all.
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_ALIAS_NODES = 10_000
"""Nodes that all aliases of a file may add together, once expanded."""


class YamlLimitError(yaml.MarkedYAMLError):
    """A data file beyond one of the limits above; ``problem`` is the Vietnamese message."""


class YamlValueError(yaml.MarkedYAMLError):
    """A scalar that cannot be turned into its value (``2021-02-29``, ``!!int abc``);
    ``problem`` is the Vietnamese message, ``node`` the offending node."""

    def __init__(self, node: yaml.Node, problem: str) -> None:
        super().__init__(problem=problem, problem_mark=node.start_mark)
        self.node = node


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_SHOWN_VALUE = 40
"""Characters of a refused value quoted in its message."""


def _value_problem(node: yaml.Node) -> str:
    raw = node.value if isinstance(node.value, str) else ""
    shown = raw if len(raw) <= _SHOWN_VALUE else raw[: _SHOWN_VALUE - 1] + "…"
    if node.tag == _TIMESTAMP_TAG:
        return (
            f"ngày «{shown}» không có thật hoặc sai dạng YYYY-MM-DD "
            "(muốn giữ nguyên văn bản thì đặt trong dấu nháy)"
        )
    return f"không đọc được giá trị «{shown}»"


class _LimitedLoader(_Loader):
    """Composes with a depth limit and an alias budget, so it never recurses deeply and never
    expands more than :data:`MAX_ALIAS_NODES` nodes through aliases. A scalar that PyYAML
    cannot construct (an impossible date) raises :class:`YamlValueError` at its node."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._alias_nodes = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None:
                self._count_alias(node, event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlLimitError(
                    problem=f"lồng nhau quá sâu (quá {MAX_DEPTH} cấp)", problem_mark=mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            # PyYAML's own constructors raise these unmarked (construct_yaml_timestamp calls
            # datetime.date(2021, 2, 29)); marked errors pass through unchanged.
            raise YamlValueError(node, _value_problem(node)) from exc

    def _count_alias(self, node: yaml.Node, mark: yaml.Mark) -> None:
        if node.end_mark is None:  # the anchored node is still open: a cycle
            raise YamlLimitError(problem="bí danh (alias) tự tham chiếu", problem_mark=mark)
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise YamlLimitError(
                problem=f"quá nhiều bí danh (alias *…): tối đa {MAX_ALIASES}", problem_mark=mark
            )
        self._alias_nodes += _expanded_size(node, self._sizes)
        if self._alias_nodes > MAX_ALIAS_NODES:
            raise YamlLimitError(
                problem=(
                    f"các bí danh (alias *…) bung ra quá {MAX_ALIAS_NODES:,} phần tử".replace(
                        ",", "."
                    )
                ),
                problem_mark=mark,
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


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expanded_size(root: yaml.Node, memo: dict[int, int]) -> int:
    """Nodes in ``root`` with every alias expanded; iterative, each node computed once."""
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in memo:
            continue
        children = _children(node)
        if ready:
            memo[id(node)] = 1 + sum(memo[id(child)] for child in children)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in memo)
    return memo[id(root)]


def _index(root: yaml.Node, doc: YamlDoc) -> dict[int, Loc]:
    """Record the line of every location, iteratively; returns each node's (first) location,
    by the node's id.

    An aliased node is indexed once, where its anchor is: at an alias only the line of the
    anchored node is recorded, so the work is linear in the size of the file, not in the size
    of the data with aliases expanded.
    """
    seen_nodes: dict[int, Loc] = {}
    # Depth first in document order (children pushed in reverse), so that a node is first
    # met at its anchor, which always comes before its aliases.
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        doc.lines.setdefault(loc, node.start_mark.line + 1)
        if id(node) in seen_nodes:
            continue
        seen_nodes[id(node)] = loc
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            children: list[tuple[yaml.Node, Loc]] = []
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
                doc.lines[(*loc, key)] = key_node.start_mark.line + 1
                children.append((value_node, (*loc, key)))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((node.value[i], (*loc, i)) for i in reversed(range(len(node.value))))
    return seen_nodes


class _TooLarge(Exception):
    """The file is beyond MAX_FILE_BYTES."""


class _NotRegular(Exception):
    """The path is not a regular file (a folder, a FIFO, a device): never opened or read."""


def _read_text(path: Path) -> str:
    """The file's text, refusing more than :data:`MAX_FILE_BYTES` without reading them.

    Anything but a regular file is refused before it is read: opening a FIFO for reading
    blocks until a writer comes, and a device such as /dev/zero never ends. The file is
    opened non-blocking and checked again, so a path swapped in between cannot hang either.
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise _NotRegular
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise _NotRegular
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise _TooLarge
    return raw.decode("utf-8")


def _too_large(path: Path) -> DataIssue:
    limit = f"{MAX_FILE_BYTES // 1024:,} KB".replace(",", ".")
    return DataIssue(path, 1, "", f"tệp quá lớn (tối đa {limit})")


def read_yaml(path: Path, text: str | None = None) -> YamlDoc:
    """Parse one YAML file. Syntax errors become issues with their line; data is then None.

    Files beyond the size, depth and alias limits above are refused the same way.
    """
    doc = YamlDoc(path=path, data=None)
    try:
        if text is None:
            text = _read_text(path)
        elif len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise _TooLarge
    except _TooLarge:
        doc.issues.append(_too_large(path))
        return doc
    except _NotRegular:
        doc.issues.append(
            DataIssue(path, 0, "", "không phải tệp thông thường (thư mục, FIFO hay thiết bị)")
        )
        return doc
    except OSError as exc:
        doc.issues.append(DataIssue(path, 0, "", f"không đọc được tệp: {os_reason(exc)}"))
        return doc
    except UnicodeDecodeError as exc:
        where = f"byte thứ {exc.start + 1}"
        doc.issues.append(DataIssue(path, 0, "", f"tệp không phải UTF-8 ({where})"))
        return doc
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            doc.issues.append(DataIssue(path, 1, "", "tệp rỗng"))
            return doc
        locations = _index(node, doc)
        try:
            doc.data = loader.construct_document(node)
        except YamlValueError as exc:
            loc = locations.get(id(exc.node), ())
            line = exc.node.start_mark.line + 1
            doc.issues.append(DataIssue(path, line, format_loc(loc), exc.problem or ""))
            doc.data = None
    except YamlLimitError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        doc.issues.append(DataIssue(path, line, "", f"tệp bị từ chối: {exc.problem}"))
        doc.data = None
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
    "string_too_long": "quá dài",
    "too_long": "danh sách quá dài",
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
        elif kind in {"string_too_long", "too_long"}:
            unit = "ký tự" if kind == "string_too_long" else "phần tử"
            given = err.get("input")
            size = f"{_number(len(given))} {unit}, " if isinstance(given, str | list) else ""
            limit = err.get("ctx", {}).get("max_length")
            most = _number(limit) if isinstance(limit, int) else ""
            message = f"{message}: {size}tối đa {most} {unit}"
        elif kind == "union_tag_invalid":
            message = f"loại không hợp lệ; cho phép: {err.get('ctx', {}).get('expected_tags', '')}"
        # Drop the pydantic-internal union tag (right after ``rule``) from the reported field;
        # a field of the same name ("tiers" of a tiers rule) stays.
        shown = tuple(
            p
            for i, p in enumerate(loc)
            if not (isinstance(p, str) and _TAGLIKE.match(p) and i and loc[i - 1] == "rule")
        )
        issues.append(DataIssue(doc.path, doc.line_of(loc), format_loc(shown), message))
    return issues


def _number(value: int) -> str:
    """``20000`` as Vietnamese write it: ``20.000``."""
    return f"{value:,}".replace(",", ".")


_TAGLIKE = re.compile(r"^(yes_no|tiers|ratio|count|deductions|sum|survey)$")


def validate_model(doc: YamlDoc, model: type[M], data: Any, prefix: Loc = ()) -> M | None:
    """Validate ``data`` into ``model``; on failure record issues in ``doc`` and return None."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        doc.issues.extend(pydantic_issues(doc, exc, prefix))
        return None


def read_mapping(path: Path, model: type[M], what: str) -> tuple[YamlDoc, M | None]:
    """Read ``path``, a file holding one mapping, into ``model``. ``what`` names the file in
    the message when it is not a mapping ("tệp từ điển"). Issues are recorded in the doc;
    the model is None when the file could not be read or validated."""
    doc = read_yaml(path)
    if doc.data is None:
        return doc, None
    if not isinstance(doc.data, dict):
        doc.issues.append(DataIssue(path, 1, "", f"{what} phải là một khối (mapping)"))
        return doc, None
    return doc, validate_model(doc, model, doc.data)
