"""Build aiogram's pydantic models when first used, not all at import.

``import aiogram`` ends with a loop that calls ``model_rebuild()`` on each of its ~450
Telegram types; each builds a validator and a serializer that inline the schemas of every
nested type. That loop alone costs about 100 MB of RSS and seconds of start-up, for hundreds
of types (stickers, payments, business accounts, giveaways …) this bot never receives.

:func:`install` (called by ``bot/__init__.py``, before anything imports aiogram) makes that
loop only record the names it would resolve forward references with; a type is then built,
with the same names, the first time it is validated or serialised (pydantic's own deferred
build: aiogram's models already say ``defer_build=True``). Behaviour is unchanged; only
when the work happens. :func:`warm_up` builds what every update needs, at start.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_NAMESPACE: dict[str, Any] = {}
_installed = False


def install() -> None:
    """Patch ``BaseModel.model_rebuild`` for aiogram's models (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    original = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]

    def model_rebuild(
        cls: type[BaseModel],
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        if cls.__module__.startswith("aiogram.") and not force:
            if _types_namespace is not None:
                # aiogram.types' import-time loop: remember the names, build nothing yet.
                _NAMESPACE.update(_types_namespace)
                return None
            if _NAMESPACE:
                _types_namespace = _NAMESPACE
        return original(  # type: ignore[no-any-return]
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth,
            _types_namespace=_types_namespace,
        )

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[assignment, method-assign]


def warm_up() -> None:
    """Build the models every update uses (so the first update is not the slow one)."""
    from aiogram import methods, types

    for model in (
        types.Update,
        types.InlineKeyboardMarkup,
        methods.SendMessage,
        methods.AnswerCallbackQuery,
        methods.EditMessageText,
        methods.EditMessageReplyMarkup,
    ):
        model.model_rebuild()
