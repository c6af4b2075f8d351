"""Checks of invite targets against the loaded data (departments of the set, Sở of routing)."""

from __future__ import annotations

from bot.errors import CchcError
from bot.services.people import Role
from criteria.loader import Catalogue


class UnknownDepartment(CchcError):
    def __init__(self, code: str, allowed: list[str]) -> None:
        super().__init__(f"Không có phòng/Sở mã «{code}». Các mã hợp lệ: {', '.join(allowed)}.")


def department_choices(
    catalogue: Catalogue, role: Role, level: str | None = None
) -> list[tuple[str, str]]:
    """(code, name) of the departments an invite of ``role`` may name: for a contact the
    Sở of the routing; else the departments of the sets of the unit's ``level`` (the latest
    set first; the default set's when no level is given)."""
    if role is Role.CONTACT:
        return [(d.code, d.name) for d in catalogue.routing.departments]
    sets = [s for s in catalogue.sets.values() if s.level == level] if level else []
    sets = sorted(sets, key=lambda s: -s.year) or [catalogue.current]
    found: dict[str, str] = {}
    for cset in sets:
        for d in cset.departments:
            found.setdefault(d.code, d.name)
    return list(found.items())


def department_name(
    catalogue: Catalogue, role: str, code: str | None, level: str | None = None
) -> str | None:
    """The department's (or, for a contact, the Sở's) name; the code if the data lost it."""
    if not code:
        return None
    target = Role.CONTACT if role == Role.CONTACT.value else Role.OFFICER
    return dict(department_choices(catalogue, target, level)).get(code, code)


def check_department(
    catalogue: Catalogue, role: Role, department: str | None, level: str | None = None
) -> str | None:
    """The department code, normalised; raises :class:`UnknownDepartment` if not known (for
    an officer: not a department of the sets of the unit's ``level``)."""
    if department is None or not department.strip():
        return None
    code = department.strip().upper()
    allowed = [c for c, _ in department_choices(catalogue, role, level)]
    if code not in allowed:
        raise UnknownDepartment(code, allowed)
    return code
