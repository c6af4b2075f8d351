"""Errors of the data files, shared by the criteria and knowledge loaders."""

from __future__ import annotations

import errno
from collections.abc import Iterable
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


_OS_REASONS = {
    errno.ENOENT: "không có tệp hoặc thư mục này",
    errno.EACCES: "không có quyền truy cập",
    errno.EPERM: "không được phép",
    errno.EISDIR: "đây là một thư mục, không phải tệp",
    errno.ENOTDIR: "một phần của đường dẫn không phải là thư mục",
    errno.EEXIST: "đã có tệp hoặc thư mục trùng tên",
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.EROFS: "ổ đĩa chỉ cho phép đọc",
    errno.ENAMETOOLONG: "tên tệp quá dài",
    errno.EMFILE: "mở quá nhiều tệp cùng lúc",
}


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in Vietnamese (the OS's English text is left out)."""
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    return f"lỗi hệ thống (mã {exc.errno})" if exc.errno else "lỗi hệ thống"


class DataFiles(list[Path]):
    """The ``*.yaml`` files found in a data folder: a list of paths that remembers the folder,
    so that finding none can name the folder that was given (CRITERIA_DIR, KNOWLEDGE_DIR)."""

    def __init__(self, directory: Path, files: Iterable[Path] = ()) -> None:
        super().__init__(files)
        self.directory = directory


def data_files(directory: Path) -> DataFiles:
    """What ``directory`` holds named ``*.yaml`` (any case: "BO.YAML"), sorted; none if it is
    not a folder. Not only regular files: a folder or a broken link so named is listed too,
    and reading it is the issue that says so (``read_yaml``), rather than a file the operator
    meant to load being skipped without a word."""
    try:
        return DataFiles(
            directory, sorted(p for p in directory.iterdir() if p.suffix.lower() == ".yaml")
        )
    except OSError:  # missing, not a folder, unreadable: no files (``no_files`` says why)
        return DataFiles(directory, [])


def no_files(directory: Path, what: str) -> DataIssue:
    """The issue of a data folder without any file: ``what`` names the files ("bộ tiêu chí"),
    and the reason says whether the folder is missing, not a folder, or empty."""
    try:
        if not directory.exists():
            reason = "không có thư mục này"
        elif not directory.is_dir():
            reason = "đây không phải là thư mục"
        else:
            reason = "thư mục không có tệp .yaml nào"
    except OSError as exc:
        reason = f"không đọc được thư mục: {os_reason(exc)}"
    return DataIssue(directory, 0, "", f"không tìm thấy {what} nào: {reason}")
