"""The provider routes, once: each route's path, the SQL function that does all of it, the
shape of its success body, and what it does.

Everything that needs the route map reads it here: the database call (``app.service.database``), the
HTTP handlers and their OpenAPI text (``app.service.routes``), and the tests that call the route
functions directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from app.envelope import BalanceResult, TransactionResult


@dataclass(frozen=True, slots=True)
class ProviderRoute:
    """One provider callback: ``POST <prefix>/<path>`` runs ``function(request jsonb)``."""

    path: str
    """The route after the prefix, as the provider calls it (``bet/make``)."""
    function: str
    """The schema-qualified route function; it returns one row ``(status, body)``."""
    result: type[msgspec.Struct]
    """The success body the function composes (for the OpenAPI document)."""
    description: str

    @property
    def query(self) -> str:
        """The one statement the service sends for a request (the request is its parameter)."""
        return f"SELECT status, body::text FROM {self.function}(%s::jsonb)"


ROUTES: tuple[ProviderRoute, ...] = (
    ProviderRoute(
        "balance",
        "wallet.player_balance",
        BalanceResult,
        "The player's balance in a currency. No effect.",
    ),
    ProviderRoute(
        "bet/make",
        "wallet.bet_make",
        TransactionResult,
        "Debit the stake and store the bet slip.",
    ),
    ProviderRoute(
        "bet/commit",
        "wallet.bet_commit",
        TransactionResult,
        "The provider accepted the bet; no money moves.",
    ),
    ProviderRoute(
        "bet/discard",
        "wallet.bet_discard",
        TransactionResult,
        "The provider rejected the bet before accepting it: give the stake back.",
    ),
    ProviderRoute(
        "bet/win",
        "wallet.bet_win",
        TransactionResult,
        "Credit the win; the bet is won or cashed out.",
    ),
    ProviderRoute(
        "bet/lost",
        "wallet.bet_lost",
        TransactionResult,
        "The bet is lost; no money moves.",
    ),
    ProviderRoute(
        "bet/refund",
        "wallet.bet_refund",
        TransactionResult,
        "Credit the refund (at most the stake); the bet is refunded.",
    ),
    ProviderRoute(
        "bet/rollback",
        "wallet.bet_rollback",
        TransactionResult,
        "Undo the bet's last settlement and reopen it.",
    ),
    ProviderRoute(
        "bet/settlement",
        "wallet.bet_settlement",
        TransactionResult,
        "Final: the bet can no longer be rolled back; no money moves.",
    ),
)

ROUTE_BY_PATH: dict[str, ProviderRoute] = {route.path: route for route in ROUTES}
"""The same routes, by path."""
