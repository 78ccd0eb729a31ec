-- Bet slips, their selections, and the sports reference tables they name.

create table wallet_core.sports (
    sport_id text primary key check (length(sport_id) between 1 and 128),
    name text not null,
    created_at timestamptz not null default now()
);
comment on table wallet_core.sports is 'Sports named by bet slips, inserted by bet/make when new.';

create table wallet_core.categories (
    category_id text primary key check (length(category_id) between 1 and 128),
    sport_id text not null references wallet_core.sports,
    name text not null,
    created_at timestamptz not null default now()
);
comment on table wallet_core.categories is
'Categories (countries, leagues groups) of a sport, inserted by bet/make when new.';

create table wallet_core.tournaments (
    tournament_id text primary key check (length(tournament_id) between 1 and 128),
    category_id text not null references wallet_core.categories,
    name text not null,
    created_at timestamptz not null default now()
);
comment on table wallet_core.tournaments is 'Tournaments of a category, inserted by bet/make when new.';

create table wallet_core.bets (
    bet_id bigint primary key,
    account_id bigint not null references wallet_core.accounts,
    make_transaction_id text not null unique check (length(make_transaction_id) between 1 and 128),
    made boolean not null,
    state text not null check (state in ('open', 'accepted', 'settled', 'closed', 'discarded')),
    stake bigint not null check (stake >= 0 and stake <= 1000000000000000),
    result text check (result in ('won', 'cashed_out', 'lost', 'refunded')),
    settlement_transaction_id text,
    settled_amount bigint not null default 0 check (settled_amount >= 0),
    closing_status text check (
        closing_status in ('won', 'lost', 'canceled', 'refund', 'cashed out', 'half-won', 'half-lost')
    ),
    discard_reason text,
    betslip_id text,
    provider_player_id text,
    session_id text,
    bonus_id text,
    potential_win bigint check (potential_win >= 0),
    betslip_type text,
    odds numeric check (odds > 0),
    is_quick_bet boolean,
    accept_odds_change boolean,
    placed_at timestamptz,
    transaction_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check ((state in ('settled', 'closed')) = (result is not null)),
    check ((result is null) = (settlement_transaction_id is null)),
    check ((state = 'closed') = (closing_status is not null)),
    check (made or (state = 'discarded' and stake = 0))
);
comment on table wallet_core.bets is
'Bet slips. A row with made = false is a discard marker: the provider discarded a make the wallet '
'never saw, and a make arriving later with that id is refused.';
comment on column wallet_core.bets.bet_id is
'The wallet''s id of the bet, sent back by the provider as bet_transaction_id.';
comment on column wallet_core.bets.make_transaction_id is 'The provider''s transaction.id of the make.';
comment on column wallet_core.bets.state is
'open -> accepted (commit) -> settled (win/lost/refund) -> closed (settlement); open -> discarded; '
'rollback takes settled back to accepted.';
comment on column wallet_core.bets.result is 'How the current settlement settled it; null while not settled.';
comment on column wallet_core.bets.settlement_transaction_id is
'Provider id of the current win/lost/refund: what a rollback must name as parent_transaction_id.';
comment on column wallet_core.bets.settled_amount is 'What the current settlement credited (0 for lost).';
comment on column wallet_core.bets.closing_status is 'The status bet/settlement closed the bet with.';
comment on column wallet_core.bets.odds is 'betslip.k, stored exactly.';
comment on column wallet_core.bets.provider_player_id is
'transaction.player_id: the provider''s own id of the player.';

create index bets_account_idx on wallet_core.bets (account_id);

create table wallet_core.selections (
    bet_id bigint not null references wallet_core.bets,
    position integer not null check (position >= 0),
    selection_id text not null,
    event_id text not null,
    sport_id text not null references wallet_core.sports,
    category_id text not null references wallet_core.categories,
    tournament_id text not null references wallet_core.tournaments,
    competitor_names text[],
    market_name text,
    outcome_name text,
    scheduled_at timestamptz,
    live boolean,
    odds numeric not null check (odds > 0),
    primary key (bet_id, position)
);
comment on table wallet_core.selections is 'The selections (betslip.bets[]) of a bet slip, in the order sent.';
comment on column wallet_core.selections.selection_id is 'betslip.bets[].id';
comment on column wallet_core.selections.odds is 'The selection''s odds, stored exactly.';

create index selections_sport_idx on wallet_core.selections (sport_id);
create index selections_category_idx on wallet_core.selections (category_id);
create index selections_tournament_idx on wallet_core.selections (tournament_id);

alter table wallet_core.journal
add constraint journal_bet_fk foreign key (bet_id) references wallet_core.bets;
