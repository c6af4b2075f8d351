"""Errors of the data files, shared by the criteria and knowledge loaders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DataIssue:
    """One problem in one data file: where it is and what is wrong."""

    path: Path
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        field = self.field or "-"
        return f"{self.path}:{self.line}: {field}: {self.message}"


class DataError(Exception):
    """Raised when one or more data files are invalid; carries every issue found."""

    def __init__(self, issues: list[DataIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (str(i.path), i.line, i.field))
        super().__init__("\n".join(str(i) for i in self.issues))
