"""Errors of the application that carry a message fit to show the user (Vietnamese)."""

from __future__ import annotations

from criteria.errors import os_reason

__all__ = ["CchcError", "NotAllowed", "NotFound", "os_reason"]


class CchcError(Exception):
    """A failure the user can understand; ``user_message`` is shown as is (plain text)."""

    user_message = "Không thực hiện được yêu cầu."

    def __init__(self, user_message: str | None = None) -> None:
        if user_message is not None:
            self.user_message = user_message
        super().__init__(self.user_message)


class NotAllowed(CchcError):
    user_message = "Bạn không có quyền thực hiện thao tác này."


class NotFound(CchcError):
    user_message = "Không tìm thấy dữ liệu được yêu cầu."
