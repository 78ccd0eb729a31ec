"""``wallet simulate``: play the provider against a running wallet, then count the money.

It signs with the provider's private key (by default the development key ``wallet serve``
makes in ``WALLET_DATA_DIR``), opens its own players through SQL when it has an admin database
URL (``--admin-url``, else ``DATABASE_URL``, else the embedded server ``wallet serve`` runs in
``WALLET_DATA_DIR``) or plays with the players ``--players`` names, runs a scenario, and
reports per route latencies and answers, throughput, the money check (every balance against
what the answers add up to) and ``wallet.audit()``. The exit status is 0 only when every
answer is one the contract allows and the money adds up; 1 otherwise; 2 for a usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.tokens import DEV_PRIVATE_KEY

SCENARIOS = ("certification", "lifecycle", "soak")


def add_simulate_parser(commands: Any) -> None:
    """The ``simulate`` subcommand and its options."""
    simulate = commands.add_parser(
        "simulate",
        help="play the provider against a running wallet and check every answer and the money",
        description=(__doc__ or "").replace("``", ""),
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
