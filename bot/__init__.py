"""The application package (settings, database, services, assembly)."""

from bot.lazymodels import install as _install_lazy_models

# Before anything imports aiogram: its Telegram types are built when first used (see
# bot/lazymodels.py); this saves about 100 MB of memory and seconds at start.
_install_lazy_models()
