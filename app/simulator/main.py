"""``wallet simulate``: what the command does once its options are read (they, and what the
command is for, are in :mod:`app.cli`, which loads this module for that command only)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.config import ConfigError, Settings
from app.keys import DEV_PRIVATE_KEY, DEV_PUBLIC_KEY, ProviderKey, jwk_thumbprint
from app.simulator import scenarios
from app.simulator.dba import Dba, embedded_admin_url
from app.simulator.referee import Referee
from app.simulator.report import build_report, print_report
from app.simulator.run import NeedsAdmin, Simulation
from app.simulator.traffic import Sender, Tally


def simulate(args: argparse.Namespace) -> int:
    settings = Settings.from_environ()
    url = (args.url or _default_url(settings)).rstrip("/")
    key, public_path = _provider_key(args, settings.data_dir)
    admin_url, admin_source = _admin_url(args, settings)
    named = [name.strip() for name in (args.players or "").split(",") if name.strip()]
    if admin_url is None and not named:
        raise ConfigError(
            "wallet simulate needs players: give --admin-url (a role that may call "
            "wallet.create_player, e.g. the embedded server's postgres) so that it opens its "
            "own, or --players p1,p2 to play with existing ones"
        )
    _ping(url)
    say = Console(stderr=True, highlight=False)
    say.print(
        f"signing as the provider with {key_description(args, settings.data_dir)}; the wallet "
        f"must trust its public key: WALLET_JWT_PUBLIC_KEYS={public_path} uv run wallet serve"
        + (
            " (wallet serve in embedded mode without WALLET_JWT_PUBLIC_KEYS uses this pair)"
            if args.key is None
            else ""
        ),
        markup=False,
        soft_wrap=True,
    )
    if admin_url is None:
        say.print(
            "no admin database URL: playing with the named players; the drained-balance and "
            "blocked-player steps and wallet.audit() are skipped",
            markup=False,
            soft_wrap=True,
        )
    else:
        say.print(
            f"players and wallet.audit() through SQL ({admin_source})", markup=False, soft_wrap=True
        )
    dba = Dba(admin_url) if admin_url is not None else None
    try:
        report = asyncio.run(_run(args, url, key, dba, named, say))
    except NeedsAdmin as error:
        raise ConfigError(str(error)) from None
    finally:
        if dba is not None:
            dba.close()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report, Console(highlight=False))
    return 0 if report["passed"] else 1


async def _run(
    args: argparse.Namespace,
    url: str,
    key: ProviderKey,
    dba: Dba | None,
    named: list[str],
    say: Console,
) -> dict[str, Any]:
    tally = Tally()
    referee = Referee()
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=say,
        transient=args.json,
    )
    async with httpx.AsyncClient(limits=limits, timeout=args.timeout) as client:
        with progress:
            task = progress.add_task(args.scenario, total=None)
            sender = Sender(
                client,
                url,
                connections=args.connections,
                retries=args.retries,
                tally=tally,
                advance=lambda n: progress.advance(task, n),
            )
            sim = Simulation(
                sender=sender,
                referee=referee,
                key=key,
                dba=dba,
                named_players=named,
                currency=args.currency,
                run_id=f"sim-{secrets.token_hex(3)}",
                token_lifetime=int(max(300, args.duration + 300)),
                progress=progress,
                task=task,
            )
            await _scenario(args, sim)
            with sim.step("every balance, through the balance route"):
                await sim.read_balances()
    money_source, mismatches = sim.money_check()
    if referee.unjudged:
        sim.notes.append(
            f"{referee.unjudged} answer(s) not judged: their player's model had lost track "
            "after a contract violation or a request without a definite answer"
        )
    return build_report(
        scenario=args.scenario,
        url=url,
        tally=tally,
        steps=sim.steps,
        money_source=money_source,
        accounts=len(sim.accounts),
        mismatches=mismatches,
        audit=dba.audit() if dba is not None else None,
        violations=referee.violations,
        notes=sim.notes,
    )


async def _scenario(args: argparse.Namespace, sim: Simulation) -> None:
    if args.scenario == "certification":
        await scenarios.certification(sim)
    elif args.scenario == "lifecycle":
        seed = args.seed if args.seed is not None else random.randrange(10**6)
        sim.notes.append(f"lifecycle seed {seed} (--seed {seed} plays the same moves)")
        await scenarios.lifecycle(
            sim,
            players=args.player_count,
            bets=args.bets,
            parallel=args.parallel,
            duplicate_rate=args.duplicate_rate,
            seed=seed,
        )
    elif args.scenario == "responsible-gambling":
        await scenarios.responsible_gambling(sim)
    elif args.scenario == "bonus-bets":
        await scenarios.bonus_bets(sim)
    else:
        await scenarios.soak(sim, players=args.player_count, rate=args.rate, duration=args.duration)


# Where things are --------------------------------------------------------------------------


def _default_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    return f"http://{host}:{settings.port}{settings.path_prefix}"


def key_description(args: argparse.Namespace, data_dir: Path) -> str:
    path = args.key or data_dir / DEV_PRIVATE_KEY
    return f"{path}" + (" (the development key)" if args.key is None else "")


def _provider_key(args: argparse.Namespace, data_dir: Path) -> tuple[ProviderKey, Path]:
    """The signing key, and a PEM file of its public half for WALLET_JWT_PUBLIC_KEYS (the
    development pair's, a ``<name>.pem`` beside ``<name>.private.pem``, or one written now).
    Tokens name the key by its RFC 7638 thumbprint, which the wallet knows whatever the
    public key file is called, unless --kid says otherwise."""
    if args.key is None:
        private_path = data_dir / DEV_PRIVATE_KEY
        public_path = data_dir / DEV_PUBLIC_KEY
        if not private_path.exists():
            raise ConfigError(
                f"no development key at {private_path}: start `uv run wallet serve` once "
                "without DATABASE_URL and WALLET_JWT_PUBLIC_KEYS (it makes the key pair), or "
                "give --key"
            )
    else:
        private_path = args.key
        public_path = private_path.with_name(private_path.name.replace(".private.", "."))
    key = ProviderKey.from_file(private_path)
    key = ProviderKey(key.private, args.kid or jwk_thumbprint(key.private.public_key()))
    if public_path == private_path or not _holds(public_path, key.public_pem):
        public_path = private_path.with_name(f"{private_path.name}.public.pem")
        public_path.write_bytes(key.public_pem)
    return key, public_path


def _holds(path: Path, pem: bytes) -> bool:
    try:
        return path.read_bytes() == pem
    except OSError:
        return False


def _admin_url(args: argparse.Namespace, settings: Settings) -> tuple[str | None, str]:
    if args.admin_url:
        return args.admin_url, "--admin-url"
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], "DATABASE_URL"
    embedded = embedded_admin_url(settings.data_dir)
    if embedded is not None:
        return embedded, f"the embedded server in {settings.data_dir / 'pg'}"
    return None, ""


def _ping(url: str) -> None:
    try:
        response = httpx.get(f"{url}/ping", timeout=10)
    except httpx.HTTPError as error:
        raise ConfigError(
            f"no wallet answers at {url}/ping ({error}): start one with `uv run wallet serve`, "
            "or give --url"
        ) from None
    if response.status_code != 200:
        raise ConfigError(
            f"{url}/ping answered {response.status_code}: is --url the wallet's base URL, "
            "with WALLET_PATH_PREFIX?"
        )
