# syntax=docker/dockerfile:1
# callqa: the HTTP service. Build: docker build -t callqa .  Run: docker compose up

# --- builder: resolve and install the locked dependencies into /app/.venv with uv ---
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
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# --- runtime: the venv, the code, checklists and migrations; no uv, no build tools ---
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
COPY app ./app
COPY checklists ./checklists
COPY migrations ./migrations
COPY alembic.ini ./
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
CMD ["callqa", "serve", "--host", "0.0.0.0"]
