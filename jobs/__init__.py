"""Background jobs of a running bot: the loops that deliver the outbox, queue deadline and
ticket reminders, and refresh approved rulings.

A layer of its own, beside ``handlers/``: jobs use the services (bot/services) and the
router-free renderers (handlers/notices.py, texts, callbacks), never a module with a Telegram
router. The app assembly (bot/app.py) hands :func:`all_jobs` to bot/background.py, which only
runs them; nothing else in bot/ imports this package.
"""

from __future__ import annotations

from bot.background import Job


def all_jobs() -> list[Job]:
    """The jobs every bot process runs; journeys add theirs here."""
    from bot.services.rulings import refresh_job as rulings_refresh_job
    from jobs.deadlines import outbox_job
    from jobs.deadlines import reminder_job as deadline_reminder_job
    from jobs.maintenance import prune_job
    from jobs.tickets import reminder_job as ticket_reminder_job

    return [
        outbox_job,
        deadline_reminder_job,
        ticket_reminder_job,
        rulings_refresh_job,
        prune_job,
    ]
