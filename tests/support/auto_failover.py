"""A pg_auto_failover formation of the test's own: a monitor and two data nodes with synchronous
replication, on free loopback ports, under one temporary folder, run as the ``postgres`` user
(Debian package ``postgresql-15-auto-failover``, the ``pg_autoctl`` command).

``pg_autoctl`` keeps its configuration and state under the user's XDG directories
(``XDG_CONFIG_HOME``, ``XDG_DATA_HOME``, ``XDG_RUNTIME_DIR``): each formation points them into
its own folder, so that a new one never inherits the last one's state. Every process it starts
is a child of a ``runuser`` the formation started in a session of its own; :meth:`Formation.stop`
ends those and nothing else.

The failover manager's timeouts are the wallet's (:data:`WALLET_TIMEOUTS`, documented in
docs/high-availability.md), not pg_auto_failover's defaults: a dead primary is replaced in about
20 s instead of about 50 s.

The ways a node fails, as the drill needs them (each acts on the processes of one node only):

- :meth:`Formation.kill_node`: the keeper, its children and Postgres SIGKILLed (the node dies);
- :meth:`Formation.freeze_node`: the same processes SIGSTOPped (the kernel still accepts TCP,
  nothing answers), :meth:`Formation.thaw_node` continues them;
- :meth:`Formation.make_zombie`: the node dies, and once the monitor is promoting the standby
  the old primary's Postgres is started again, read-write, with a synchronous standby that no
  longer follows it (what the keeper's Postgres controller child does when it outlives its
  supervisor).
- :meth:`Formation.rejoin`: the old primary's keeper started again; it rejoins as a standby.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg.conninfo

from tests.support.own_postgres import server_binaries
from tests.support.processes import free_port, wait_until

PG_AUTOCTL = shutil.which("pg_autoctl") or "/usr/bin/pg_autoctl"

WALLET_TIMEOUTS: dict[str, int] = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 2,
    "pgautofailover.health_check_retry_delay": 500,
    "pgautofailover.node_considered_unhealthy_timeout": 6000,
    "pgautofailover.primary_demote_timeout": 12000,
    "pgautofailover.startup_grace_period": 5000,
}
"""The monitor's settings (milliseconds; ``ALTER SYSTEM`` on the monitor, reloaded), the
wallet's choice (docs/high-availability.md says why each)."""

WALLET_KEEPER_TIMEOUTS: dict[str, int] = {
    "timeout.network_partition_timeout": 8,
    "timeout.prepare_promotion_walreceiver": 2,
}
"""Each keeper's settings (seconds; ``pg_autoctl config set``): a primary that loses the
monitor and its standby demotes itself after ``network_partition_timeout``, well before the
monitor promotes the standby (``primary_demote_timeout``)."""

NODE_SETTINGS = {
    "shared_buffers": "64MB",
    "max_connections": "60",
    "fsync": "off",
    "full_page_writes": "off",
    "checkpoint_timeout": "5min",
    "wal_sender_timeout": "5s",
    "wal_receiver_timeout": "5s",
    "wal_receiver_status_interval": "1s",
    "log_min_messages": "warning",
}
"""What the test sets on each data node (``postgresql.auto.conf``, which pg_basebackup copies
to the standby), over pg_auto_failover's own tuning (which sizes ``shared_buffers`` for a whole
machine): small, and ``fsync`` off, since the drill kills processes, never the machine (the
page cache survives a SIGKILL). Synchronous replication is unchanged: a commit still waits for
the standby's acknowledgement."""

PRIMARY_STATES = ("single", "wait_primary", "primary")
PROMOTING_STATES = ("prepare_promotion", "stop_replication", "wait_primary", "primary", "single")


@dataclass
class Node:
    name: str
    port: int
    pgdata: Path
    runner: subprocess.Popen[bytes] | None = None
    log: Path | None = None


class Formation:
    """A monitor and two data nodes (``node1``, then ``node2``, its standby), database
    ``wallet`` on both, synchronous replication (``ANY 1 (pgautofailover_standby_N)``)."""

    def __init__(self, directory: Path | None = None) -> None:
        bindir = server_binaries()
        if bindir is None or not Path(PG_AUTOCTL).exists():
            raise FileNotFoundError("needs pg_autoctl (Debian postgresql-15-auto-failover)")
        self.bindir = bindir
        self.directory = directory or Path(tempfile.mkdtemp(prefix="wallet-formation-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL and pg_autoctl refuse to run as root
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        self.env = {
            "PATH": f"{bindir}:/usr/bin:/bin",
            "HOME": str(self.directory),
            "XDG_CONFIG_HOME": str(self.directory / "config"),
            "XDG_DATA_HOME": str(self.directory / "share"),
            "XDG_RUNTIME_DIR": str(self.directory / "run"),
            "PG_CONFIG": str(bindir / "pg_config"),
            "LANG": "C.UTF-8",
        }
        self.monitor = Node("monitor", free_port(), self.directory / "monitor")
        self.nodes = {
            name: Node(name, free_port(), self.directory / name) for name in ("node1", "node2")
        }

    # Commands -----------------------------------------------------------------------------

    def _command(self, *arguments: str, check: bool = True) -> str:
        done = subprocess.run(
            [*self._as_postgres, "env", *(f"{k}={v}" for k, v in self.env.items()), *arguments],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.directory,
        )
        if check and done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(arguments)}: {done.returncode}\n{done.stdout}{done.stderr}"
            )
        return done.stdout

    def _run_keeper(self, node: Node) -> None:
        """``pg_autoctl run`` for the node, in a session of its own, its output in a log."""
        node.log = self.directory / f"{node.name}.log"
        with node.log.open("ab") as log:
            node.runner = subprocess.Popen(
                [
                    *self._as_postgres,
                    "env",
                    *(f"{k}={v}" for k, v in self.env.items()),
                    PG_AUTOCTL,
                    "run",
                    "--pgdata",
                    str(node.pgdata),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                start_new_session=True,
            )

    @property
    def monitor_url(self) -> str:
        return (
            f"postgres://autoctl_node@127.0.0.1:{self.monitor.port}/pg_auto_failover"
            "?sslmode=disable"
        )

    # Start and stop -----------------------------------------------------------------------

    def start(self, timeout: float = 120) -> Formation:
        self._command(
            PG_AUTOCTL, "create", "monitor", "--pgdata", str(self.monitor.pgdata),
            "--pgport", str(self.monitor.port), "--pgctl", str(self.bindir / "pg_ctl"),
            "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl",
        )  # fmt: skip
        self._run_keeper(self.monitor)
        wait_until(lambda: self._answers(self.monitor.port), 30, "the monitor to answer")
        self.tune_monitor(WALLET_TIMEOUTS)
        for number, node in enumerate(self.nodes.values()):
            if number == 0:  # the first node's data directory is the test's, small
                self._command(str(self.bindir / "initdb"), "-D", str(node.pgdata),
                              "-U", "postgres", "--auth=trust", "-E", "UTF8")  # fmt: skip
                with (node.pgdata / "postgresql.auto.conf").open("a") as conf:
                    conf.writelines(f"{k} = '{v}'\n" for k, v in NODE_SETTINGS.items())
            self._command(
                PG_AUTOCTL, "create", "postgres", "--pgdata", str(node.pgdata),
                "--pgport", str(node.port), "--pgctl", str(self.bindir / "pg_ctl"),
                "--listen", "127.0.0.1", "--hostname", "127.0.0.1", "--name", node.name,
                "--dbname", "wallet", "--monitor", self.monitor_url,
                "--auth", "trust", "--no-ssl",
            )  # fmt: skip
            for name, value in WALLET_KEEPER_TIMEOUTS.items():
                self._command(
                    PG_AUTOCTL, "config", "set", "--pgdata", str(node.pgdata), name, str(value)
                )
            self._run_keeper(node)
            if number == 0:
                wait_until(lambda: self.primary() == "node1", timeout, "node1 to be the primary")
        self.wait_healthy(timeout)
        return self

    def tune_monitor(self, settings: dict[str, int]) -> None:
        with psycopg.connect(
            self._url(self.monitor.port, "pg_auto_failover"), autocommit=True
        ) as c:
            for name, value in settings.items():
                c.execute(f"alter system set {name} = {int(value)}")
            c.execute("select pg_reload_conf()")

    def stop(self) -> None:
        """End every process the formation started (the keepers' sessions, the Postgres
        servers they run, and anything left of a node a drill hurt), then remove the folder."""
        for node in [*self.nodes.values(), self.monitor]:
            self._end(node)
        for pid in self._leftovers():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _end(self, node: Node) -> None:
        pids = self.node_processes(node.name) if node.name in self.nodes else {}
        if node.runner is not None and node.runner.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.runner.pid, signal.SIGCONT)
                os.killpg(node.runner.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.runner.wait(timeout=20)
        for pid in [*pids.get("keeper", []), *pids.get("postgres", [])]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
        if node.runner is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.runner.pid, signal.SIGKILL)
            node.runner.wait(timeout=10)
        postmaster = _postmaster_pid(node.pgdata)
        if postmaster is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(postmaster, signal.SIGKILL)

    # URLs and state -------------------------------------------------------------------------

    @staticmethod
    def _url(port: int, dbname: str = "wallet", user: str = "postgres") -> str:
        return psycopg.conninfo.make_conninfo(
            host="127.0.0.1", port=port, dbname=dbname, user=user, connect_timeout=2
        )

    def node_url(self, name: str, dbname: str = "wallet", user: str = "postgres") -> str:
        return self._url(self.nodes[name].port, dbname, user)

    def url(self, user: str = "postgres", first: str = "node1", dbname: str = "wallet") -> str:
        """The multi-host URL the service is given: both nodes, ``first`` first,
        ``target_session_attrs=read-write``."""
        order = [first, *(name for name in self.nodes if name != first)]
        hosts = ",".join(f"127.0.0.1:{self.nodes[name].port}" for name in order)
        return f"postgresql://{user}@{hosts}/{dbname}?target_session_attrs=read-write"

    def states(self) -> dict[str, tuple[str, str]]:
        """Node name -> (reported state, assigned state), as the monitor has them."""
        with psycopg.connect(self._url(self.monitor.port, "pg_auto_failover")) as conn:
            rows = conn.execute(
                "select nodename, reportedstate::text, goalstate::text from pgautofailover.node"
            ).fetchall()
        return {name: (reported, goal) for name, reported, goal in rows}

    def primary(self) -> str | None:
        """The node the monitor has as primary (reported and assigned), if any."""
        for name, (reported, goal) in self.states().items():
            if reported == goal and reported in PRIMARY_STATES:
                return name
        return None

    def other(self, name: str) -> str:
        return next(other for other in self.nodes if other != name)

    def healthy(self) -> bool:
        """One primary and one secondary, each in the state the monitor assigned."""
        try:
            states = self.states()
        except psycopg.Error:
            return False
        settled = [reported for reported, goal in states.values() if reported == goal]
        return sorted(settled) == ["primary", "secondary"]

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if time.monotonic() > deadline:
                raise AssertionError(f"the formation did not settle: {self.states()}")
            # pg_basebackup (a new or rejoining standby) waits for a spread checkpoint on
            # the primary; ask for an immediate one instead of waiting minutes.
            primary = self.primary()
            if primary is not None:
                with (
                    contextlib.suppress(psycopg.Error),
                    psycopg.connect(self.node_url(primary), autocommit=True) as conn,
                ):
                    conn.execute("checkpoint")
            time.sleep(0.5)

    @staticmethod
    def _answers(port: int) -> bool:
        try:
            with psycopg.connect(Formation._url(port, "postgres")):
                return True
        except psycopg.Error:
            return False

    def writable(self, name: str) -> bool | None:
        """Whether the node's Postgres accepts connections and is not in recovery (None when
        it does not answer)."""
        try:
            with psycopg.connect(self.node_url(name), autocommit=True) as conn:
                row = conn.execute("select not pg_is_in_recovery()").fetchone()
        except psycopg.Error:
            return None
        return bool(row and row[0])

    # Processes ------------------------------------------------------------------------------

    def node_processes(self, name: str) -> dict[str, list[int]]:
        """The node's processes: ``keeper`` (the pg_autoctl supervisor and its pg_autoctl
        children, those orphaned by a drill included, found by their ``--pgdata`` or as
        children of the supervisor), ``postgres`` (the postmaster and its children)."""
        node = self.nodes[name]
        table = _process_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in table.items():
            children.setdefault(ppid, []).append(pid)

        def descendants(pid: int) -> list[int]:
            found = []
            for child in children.get(pid, []):
                found.append(child)
                found.extend(descendants(child))
            return found

        keeper: set[int] = set()
        for pid, (_, command) in table.items():
            if (
                "pg_autoctl" in command
                and f"--pgdata {node.pgdata}" in command
                and not command.startswith("runuser")
            ):
                keeper.add(pid)
        if node.runner is not None:
            keeper.update(
                pid for pid in descendants(node.runner.pid) if "pg_autoctl" in table[pid][1]
            )
        for pid in list(keeper):
            keeper.update(p for p in children.get(pid, []) if "pg_autoctl" in table[p][1])
        postmaster = _postmaster_pid(node.pgdata)
        postgres: list[int] = []
        if postmaster is not None and postmaster in table:
            postgres = [postmaster, *descendants(postmaster)]
        return {"keeper": sorted(keeper), "postgres": postgres}

    def _signal(self, pids: list[int], signum: int) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def kill_node(self, name: str) -> None:
        """The node dies: its keeper, the keeper's children and Postgres SIGKILLed."""
        pids = self.node_processes(name)
        self._signal([*pids["keeper"], *pids["postgres"]], signal.SIGKILL)
        self.nodes[name].runner = None

    def freeze_node(self, name: str) -> list[int]:
        """The node hangs: the same processes SIGSTOPped. Returns them, for thaw_node."""
        pids = self.node_processes(name)
        frozen = [*pids["keeper"], *pids["postgres"]]
        self._signal(frozen, signal.SIGSTOP)
        return frozen

    def thaw_node(self, frozen: list[int]) -> None:
        self._signal(frozen, signal.SIGCONT)

    def make_zombie(self, name: str, timeout: float = 90) -> float:
        """The old primary comes back read-write without its standby: the node dies (as
        :meth:`kill_node`), and once the monitor is promoting the other node its Postgres is
        started again as it was (``pg_ctl start``, what the keeper's Postgres controller child
        does when it outlives its supervisor): a primary whose ``synchronous_standby_names``
        names a standby that no longer follows it. Returns the time.monotonic() at which the
        zombie accepts connections.

        (Killing only the supervisor and the postmaster and letting the controller restart
        Postgres, as in issue 17's report, happened in one of our tries and not in others;
        starting it here makes the drill's zombie certain.)"""
        self.kill_node(name)
        other = self.other(name)
        wait_until(
            lambda: self.states().get(other, ("", ""))[1] in PROMOTING_STATES,
            timeout,
            f"the monitor to promote {other}",
        )
        node = self.nodes[name]
        wait_until(lambda: not self.node_processes(name)["postgres"], 30, f"{name} to be gone")
        self._command(str(self.bindir / "pg_ctl"), "-D", str(node.pgdata),
                      "-l", str(self.directory / f"{name}-zombie.log"), "-w", "start")  # fmt: skip
        wait_until(lambda: self.writable(name) is True, 60, f"{name} to come back read-write")
        return time.monotonic()

    def rejoin(self, name: str) -> None:
        """Start the old primary's keeper again, after ending whatever is left of it (a
        zombie Postgres, orphaned keeper children): it rejoins as a standby (``pg_rewind``)."""
        pids = self.node_processes(name)
        self._signal(pids["keeper"], signal.SIGCONT)
        self._signal(pids["keeper"], signal.SIGKILL)
        node = self.nodes[name]
        if self.node_processes(name)["postgres"]:
            self._command(str(self.bindir / "pg_ctl"), "-D", str(node.pgdata),
                          "-m", "fast", "-w", "-t", "30", "stop", check=False)  # fmt: skip
        self._signal(self.node_processes(name)["postgres"], signal.SIGKILL)
        wait_until(lambda: not any(self.node_processes(name).values()), 30, f"{name} to be gone")
        self._run_keeper(node)

    def _leftovers(self) -> list[int]:
        """Every process still running with this formation's environment (a keeper's child
        orphaned by a drill, a Postgres it started)."""
        marker = f"XDG_DATA_HOME={self.env['XDG_DATA_HOME']}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if marker in environ.split(b"\0"):
                found.append(int(entry.name))
        return found


def _process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        table[int(entry.name)] = (int(fields[1]), command.strip())
    return table


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        first = (pgdata / "postmaster.pid").read_text().split("\n", 1)[0]
    except OSError:
        return None
    try:
        pid = int(first)
    except ValueError:
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


@contextlib.contextmanager
def formation() -> Iterator[Formation]:
    """A running formation, stopped and removed afterwards. Skips where pg_autoctl is not
    installed, except in CI (``CI`` set), where it must run."""
    import pytest

    try:
        started = Formation()
    except FileNotFoundError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(error))
    try:
        started.start()
        yield started
    finally:
        started.stop()
