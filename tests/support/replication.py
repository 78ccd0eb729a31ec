"""A primary and a streaming standby of the test's own: the machine's PostgreSQL binaries, two
temporary data directories, free loopback ports. The standby is a ``pg_basebackup`` of the
primary that streams from it as ``application_name`` ``standby_name``, so that the primary's
``synchronous_standby_names`` can name it."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import psycopg.conninfo

from tests.support.own_postgres import OwnPostgres, own_postgres
from tests.support.processes import free_port, wait_until


class Standby:
    """A hot standby made from ``primary`` by ``pg_basebackup``, streaming from it."""

    def __init__(self, primary: OwnPostgres, standby_name: str) -> None:
        self.bindir = primary.bindir
        self.directory = Path(tempfile.mkdtemp(prefix="wallet-standby-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.name = standby_name
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        source = f"host=127.0.0.1 port={primary.port} user=postgres application_name={standby_name}"
        self._run("pg_basebackup", "-D", str(self.data), "-d", source, "-X", "stream", "-R")
        self.options = " ".join(
            f"-c {name}={value}"
            for name, value in {
                "port": str(self.port),
                "listen_addresses": "127.0.0.1",
                "unix_socket_directories": str(self.directory),
                "hot_standby": "on",
                "primary_conninfo": f"'{source}'",
            }.items()
        )

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
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def streaming(primary: OwnPostgres, standby_name: str) -> str | None:
    """The standby's sync_state on the primary ('async', 'sync', ...) while it streams."""
    with psycopg.connect(primary.url(), autocommit=True) as conn:
        row = conn.execute(
            "select sync_state from pg_stat_replication"
            " where application_name = %s and state = 'streaming'",
            [standby_name],
        ).fetchone()
    return None if row is None else str(row[0])


@contextlib.contextmanager
def replicated_pair(standby_name: str = "wallet_standby") -> Iterator[tuple[OwnPostgres, Standby]]:
    """A running primary and a standby streaming from it; both removed afterwards."""
    with own_postgres({"wal_level": "replica", "max_wal_senders": "4"}) as primary:
        standby = Standby(primary, standby_name)
        try:
            standby.start()
            wait_until(
                lambda: streaming(primary, standby_name) is not None, 60, "the standby to stream"
            )
            yield primary, standby
        finally:
            standby.remove()
