# The wallet service. Build: docker build -t wallet .
# Deploy: run `python migrate.py` (DATABASE_URL with the owner role) before starting new code,
# then start the container with DATABASE_URL for the wallet_app role and the provider's keys.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir uv==0.13.* \
    && useradd --system --uid 10001 --home-dir /srv/wallet wallet

WORKDIR /srv/wallet

# Dependencies first, so that code changes do not re-download them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY migrate.py ./
COPY sql/ sql/
COPY app/ app/
RUN uv sync --frozen --no-dev

USER 10001
ENV WALLET_HOST=0.0.0.0 \
    WALLET_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# Always set DATABASE_URL (and WALLET_JWT_PUBLIC_KEYS): without DATABASE_URL, wallet serve
# starts the embedded development database inside the container, which is not for production.
CMD ["wallet", "serve"]
