"""Checks of invite targets against the loaded data (departments of the set, Sở of routing)."""

from __future__ import annotations

from bot.errors import CchcError
from bot.services.people import Role
from criteria.loader import Catalogue


class UnknownDepartment(CchcError):
    def __init__(self, code: str, allowed: list[str]) -> None:
        super().__init__(f"Không có phòng/Sở mã «{code}». Các mã hợp lệ: {', '.join(allowed)}.")


def department_choices(catalogue: Catalogue, role: Role) -> list[tuple[str, str]]:
    """(code, name) of the departments an invite of ``role`` may name."""
    if role is Role.CONTACT:
        return [(d.code, d.name) for d in catalogue.routing.departments]
    return [(d.code, d.name) for d in catalogue.current.departments]


def department_name(catalogue: Catalogue, role: str, code: str | None) -> str | None:
    """The department's (or, for a contact, the Sở's) name; the code if the data lost it."""
    if not code:
        return None
    target = Role.CONTACT if role == Role.CONTACT.value else Role.OFFICER
    return dict(department_choices(catalogue, target)).get(code, code)


def check_department(catalogue: Catalogue, role: Role, department: str | None) -> str | None:
    """The department code, normalised; raises :class:`UnknownDepartment` if not known."""
    if department is None or not department.strip():
        return None
    code = department.strip().upper()
    allowed = [c for c, _ in department_choices(catalogue, role)]
    if code not in allowed:
        raise UnknownDepartment(code, allowed)
    return code
