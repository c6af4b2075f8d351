"""``python -m bot`` is ``cchc-bot``."""

from bot.cli import main

raise SystemExit(main())
