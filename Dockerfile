# The wallet service image: a builder stage makes the virtual environment, the runtime stage
# carries only that venv (and migrate.py's entry point) on the same base, at the same path.
#
#   docker build -t wallet .
#       (from a mirrored base: --build-arg BASE_IMAGE=<mirror>/python:3.11-slim-bookworm)
#   docker run --rm -e DATABASE_URL=<owner or deploy role URL> wallet python migrate.py
#   docker run -e DATABASE_URL=<wallet_app URL> -e WALLET_JWT_PUBLIC_KEYS=/keys/provider.pem \
#       -v <keys>:/keys:ro -p 8000:8000 wallet
#
# The base must be identical in both stages: the venv's python is a symlink to the base's
# interpreter, and its scripts' shebangs name /opt/venv/bin/python.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS builder

ARG UV_VERSION=0.13.9
# uv in a throwaway venv of its own, and binutils' strip (the runtime stage sees neither).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/uv \
    && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}"

# Compile bytecode at install time (the runtime venv is read-only to the service user);
# never download a Python: the venv must use the base's interpreter.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv

WORKDIR /src

# Dependencies first: a code change does not re-install them. Litestar requires polyfactory
# (and with it Faker, 25 MB of fake-data locales) only to invent OpenAPI examples, which the
# service does not ask for (create_examples is off); it requires httpx only for its test client
# and rich (with rich-click) only for its own CLI, which the service does not use either: all are
# left out. The `relay` extra (aio-pika) is in, so that the same image runs `wallet relay`; the
# `simulate` extra (httpx, rich) is not: the simulator is a development tool.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --frozen --no-dev --no-install-project --no-editable --extra relay \
        --no-install-package polyfactory --no-install-package faker \
        --no-install-package httpx --no-install-package httpcore \
        --no-install-package rich --no-install-package rich-click \
        --no-install-package markdown-it-py --no-install-package mdurl --no-install-package pygments

# Then the project itself, non-editable: app/ (with sql/ as app/sql) and migrate.py go into
# site-packages, so the venv needs nothing from /src.
COPY README.md migrate.py ./
COPY app/ app/
COPY sql/ sql/
# Shared objects ship with debug symbols (uvloop's alone is 13.6 MB); strip them.
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --frozen --no-dev --no-editable --extra relay \
        --no-install-package polyfactory --no-install-package faker \
        --no-install-package httpx --no-install-package httpcore \
        --no-install-package rich --no-install-package rich-click \
        --no-install-package markdown-it-py --no-install-package mdurl --no-install-package pygments \
    && find /opt/venv -name '*.so*' -type f -exec strip --strip-unneeded {} +

FROM ${BASE_IMAGE}

# No pip (or setuptools, wheel) at run time, if the base has them; an unprivileged user.
RUN if python3 -m pip --version >/dev/null 2>&1; then \
        python3 -m pip uninstall --yes --no-cache-dir pip setuptools wheel; \
    fi \
    && useradd --system --uid 10001 --user-group --no-create-home --home-dir /srv/wallet \
        --shell /usr/sbin/nologin wallet

COPY --from=builder /opt/venv /opt/venv
WORKDIR /srv/wallet
# `python migrate.py` is the deploy step; this is the same file the wheel installs, and it
# finds the SQL files in the installed package (app/sql).
COPY migrate.py ./

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WALLET_HOST=0.0.0.0 \
    WALLET_PORT=8000

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WALLET_PORT', '8000'), timeout=2)"]
# DATABASE_URL (the wallet_app role) and WALLET_JWT_PUBLIC_KEYS must be set: the image has no
# embedded database, and without DATABASE_URL `wallet serve` stops and says so.
CMD ["wallet", "serve"]
