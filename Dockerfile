# syntax=docker/dockerfile:1
# callqa: the HTTP service. Build: docker build -t callqa .  Run: docker compose up
# The database password can stay out of CALLQA_DATABASE_URL: CALLQA_DATABASE_PASSWORD, or
# CALLQA_DATABASE_PASSWORD_FILE=/run/secrets/<name> for a Docker or Kubernetes secret.

# --- builder: the locked dependencies and callqa's wheel (code, checklists, migrations) ---
FROM python:3.11-slim AS builder
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first, so code changes do not rebuild this layer.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY app ./app
COPY checklists ./checklists
COPY migrations ./migrations
COPY alembic.ini ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# --- runtime: only the venv, holding callqa as `pip install` would; no uv, no build tools ---
FROM python:3.11-slim
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CALLQA_DATA_DIR=/data \
    MALLOC_ARENA_MAX=2
RUN groupadd --system --gid 10001 callqa \
    && useradd --system --uid 10001 --gid callqa --home-dir /app --no-create-home callqa \
    && mkdir /data \
    && chown callqa:callqa /data
WORKDIR /app
COPY --from=builder /app/.venv ./.venv
# The embedded PostgreSQL's data when CALLQA_DATABASE_URL is unset.
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
# Listening on all interfaces needs an API key (serve refuses to start without one), made once
# on the same database: docker run --rm -v callqa-data:/data IMAGE callqa keys create --scope admin
# (or -e CALLQA_DATABASE_URL=...); CALLQA_AUTH=off serves without keys on a trusted network.
CMD ["callqa", "serve", "--host", "0.0.0.0"]
