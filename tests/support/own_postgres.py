"""A PostgreSQL server of a test's own: the machine's binaries, a temporary data directory, a
free loopback port. For tests that must configure the server (preload libraries) or hurt it
(crash it, restart it) without touching the shared one.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user through
``runuser``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg.conninfo

from tests.support.processes import free_port


def server_binaries(*, pg_stat_statements: bool = False) -> Path | None:
    """The bin directory of a PostgreSQL 15+ install (with pg_stat_statements if asked)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if pg_config := shutil.which("pg_config"):
        bindir = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        candidates.insert(0, Path(bindir))
    for bindir in candidates:
        if not (bindir / "postgres").exists() or not (bindir / "pg_ctl").exists():
            continue
        if not pg_stat_statements:
            return bindir
        lib = subprocess.run(
            [str(bindir / "pg_config"), "--pkglibdir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if (Path(lib) / "pg_stat_statements.so").exists():
            return bindir
    return None


class OwnPostgres:
    """An initialized data directory and the ``pg_ctl`` commands a test needs on it."""

    def __init__(self, bindir: Path, directory: Path, settings: dict[str, str]) -> None:
        self.bindir = bindir
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            owner = pwd.getpwnam("postgres")
            os.chown(directory, owner.pw_uid, owner.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        self.options = " ".join(
            f"-c {name}={value}"
            for name, value in {
                "port": str(self.port),
                "listen_addresses": "127.0.0.1",
                "unix_socket_directories": str(directory),
                **settings,
            }.items()
        )
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, program: str, *arguments: str) -> None:
        subprocess.run(
            [*self._as_postgres, str(self.bindir / program), *arguments],
            check=True,
            capture_output=True,
        )

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return psycopg.conninfo.make_conninfo(
            host="127.0.0.1", port=self.port, dbname=dbname, user=user
        )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self.options, "-l",
                  str(self.directory / "log"), "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``immediate`` is a crash: every backend is killed, nothing is checkpointed."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def log(self) -> str:
        path = self.directory / "log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def own_postgres(
    settings: dict[str, str] | None = None, *, pg_stat_statements: bool = False
) -> Iterator[OwnPostgres]:
    """A running server of the test's own, stopped and deleted afterwards. Skips the test
    where PostgreSQL's server binaries are not installed."""
    import pytest

    bindir = server_binaries(pg_stat_statements=pg_stat_statements)
    if bindir is None:
        needs = " with pg_stat_statements" if pg_stat_statements else ""
        pytest.skip(f"needs PostgreSQL server binaries{needs}")
    directory = Path(tempfile.mkdtemp(prefix="wallet-own-pg-"))
    try:
        server = OwnPostgres(bindir, directory, settings or {})
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):
                server.stop("fast")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
