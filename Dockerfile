# Trợ lý CCHC — the bot image (see docs/DEPLOY.md). Not built in this project's CI;
# tests/test_deploy.py checks it copies every package and runs an existing command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY jobs ./jobs
COPY criteria ./criteria
COPY knowledge ./knowledge
RUN pip install ".[postgres,redis]" && cchc-bot check

RUN useradd --system --create-home --home-dir /var/lib/cchc cchc
USER cchc
WORKDIR /var/lib/cchc
# The SQLite file (when DATABASE_URL is not set) lives here: mount a volume on it.
ENV DATA_DIR=/var/lib/cchc/data \
    WEBHOOK_HOST=0.0.0.0 \
    WEBHOOK_PORT=8080
EXPOSE 8080

ENTRYPOINT ["cchc-bot"]
CMD ["run"]
