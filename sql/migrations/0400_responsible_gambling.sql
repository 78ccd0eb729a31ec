-- Responsible gambling (issue 14; docs/contract/operator.md sections 1 and 2, and
-- docs/responsible-gambling.md): limits, self-exclusion and time-outs (code 4001), sessions
-- (code 1007), the append-only history of every change, and the clock they all read.
--
-- The make pays for none of it unless the account is guarded: accounts.guarded is read with
-- the row the make already locks, and only a guarded account (one that has or had a limit, or
-- whose player is or was excluded) reads limits, exclusions and counters.

-- The clock ---------------------------------------------------------------------------------

-- No SET clause: the planner inlines both, so they cost what now() and clock_timestamp() cost.
-- Tests replace them with versions that read the setting wallet.test_clock (see
-- tests/sql/clock.py): a setting any role can set in its own session cannot be what production
-- reads, so production's clock reads none.
create function wallet_core.now()
returns timestamptz
language sql stable parallel safe
as $$
    select pg_catalog.now()
$$;
comment on function wallet_core.now() is
'The wallet''s clock for responsible gambling: the time of a make (the start of its transaction), '
'of the journal rows, and of the windows. now() in production; the tests replace it to move time. '
'Inlined by the planner.';

create function wallet_core.change_time()
returns timestamptz
language sql volatile parallel safe
as $$
    select pg_catalog.clock_timestamp()
$$;
comment on function wallet_core.change_time() is
'When a limit, exclusion or session change happens: the wall clock, read after the change took its '
'locks, so a make that waited for the change is later than it and one that went first is earlier. '
'clock_timestamp() in production; the tests replace it. Inlined by the planner.';

-- The journal's times are the wallet's clock (the same as now() in production), so that the
-- windows rebuilt from the journal and the audit agree with the counters when tests move time.
alter table wallet_core.journal alter column created_at set default wallet_core.now();

-- Codes ---------------------------------------------------------------------------------------

insert into wallet_core.error_codes (sqlstate, provider_code, http_status, stored, meaning) values
('WA401', 4001, 400, true, 'player limits exceeded: a limit, a self-exclusion or a time-out refuses the make'),
('WA107', 1007, 400, true, 'session expired: unknown, closed, expired or another player''s (session_check enforce)'),
('WA208', 2004, 400, false, 'a responsible-gambling change the rules forbid (DBA functions only)');

-- Settings ----------------------------------------------------------------------------------

create table wallet_core.settings (
    only_row boolean primary key default true check (only_row),
    cooling_off interval not null default '24 hours' check (cooling_off >= interval '0'),
    session_check text not null default 'off' check (session_check in ('off', 'enforce'))
);
insert into wallet_core.settings default values;
comment on table wallet_core.settings is
'The responsible-gambling settings of this database, one row; change them with wallet.set_setting().';
comment on column wallet_core.settings.cooling_off is
'How long a looser limit (higher, or removed) waits before it applies; a stricter one applies at once.';
comment on column wallet_core.settings.session_check is
'off: bet/make stores session_id and checks nothing; enforce: a make whose session is unknown, closed, '
'expired or another player''s is refused with 1007.';

-- What bet/make reads of session_check: a constant the planner folds into the make's plan, so
-- that the check costs nothing while it is off. wallet.set_setting() rewrites its body (and the
-- plans that folded it are invalidated); it lives here, not in a repeatable file, so that a
-- deploy does not set it back.
create function wallet_core.sessions_enforced()
returns boolean
language sql immutable parallel safe
as $$
    select false
$$;
comment on function wallet_core.sessions_enforced() is
'True when session_check is enforce: bet/make then checks the session. A constant the planner folds; '
'rewritten by wallet.set_setting(''session_check'', ...), never by hand.';
revoke all on function wallet_core.sessions_enforced() from public;

-- Accounts: the one flag the make reads --------------------------------------------------------

alter table wallet_core.accounts add column guarded boolean not null default false;
comment on column wallet_core.accounts.guarded is
'True once the account has had a limit or its player an exclusion: bet/make then checks them, and '
'the account''s counters (wallet_core.limit_counters) are kept. False: the make checks nothing more.';

-- Limits ------------------------------------------------------------------------------------

create table wallet_core.limits (
    account_id bigint not null references wallet_core.accounts,
    kind text not null check (
        kind in (
            'stake_per_bet', 'stake_24h', 'stake_7d', 'stake_30d', 'loss_24h', 'loss_7d', 'loss_30d',
            'bets_24h'
        )
    ),
    amount bigint not null check (amount between 0 and 1000000000000000),
    pending boolean not null default false,
    pending_amount bigint check (pending_amount between 0 and 1000000000000000),
    effective_at timestamptz,
    primary key (account_id, kind),
    check (pending = (effective_at is not null)),
    check (pending or pending_amount is null)
);
comment on table wallet_core.limits is
'A limit per account and kind: the amount in force, and a looser change waiting for its cooling-off '
'(pending; pending_amount null: a removal). From effective_at on the pending value is the one in '
'force, whether or not a later change has folded it in yet. Read wallet.limits(player_id).';

create table wallet_core.limit_counters (
    account_id bigint not null,
    minute timestamptz not null,
    stakes bigint not null,
    credits bigint not null,
    bets bigint not null,
    primary key (account_id, minute)
);
comment on table wallet_core.limit_counters is
'Running totals of a guarded account, one row per minute with activity: stakes made, credits '
'(wins, refunds and discards, less rollbacks) and bets, each summed from the start of the counting up '
'to the end of that minute. A window''s sum is the newest row less the last row before the window. '
'Written under the account''s lock, only ever at the newest minute: nothing arriving late rewrites one.';

create table wallet_core.exclusions (
    player_id text primary key check (length(player_id) between 1 and 128),
    since timestamptz not null,
    until timestamptz,
    reason text not null
);
comment on table wallet_core.exclusions is
'A player''s self-exclusion (until null: indefinite) or time-out (until set), in every currency. An '
'ended one may stay; wallet.lift_exclusion deletes one. Every change is in wallet_core.control_changes.';

create table wallet_core.sessions (
    session_id text primary key check (length(session_id) between 1 and 128),
    player_id text not null check (length(player_id) between 1 and 128),
    opened_at timestamptz not null,
    expires_at timestamptz not null,
    closed_at timestamptz,
    closed_why text
);
comment on table wallet_core.sessions is
'The operator''s sessions of a player''s front end (bet/make''s session_id): open until closed_at or '
'expires_at. Checked by bet/make only when wallet_core.settings.session_check is enforce.';
create index sessions_open_idx on wallet_core.sessions (player_id) where closed_at is null;

-- The history ---------------------------------------------------------------------------------

create table wallet_core.control_changes (
    change_id bigint generated always as identity primary key,
    changed_at timestamptz not null,
    changed_by text not null,
    action text not null check (
        action in (
            'limit.set', 'limit.removed', 'player.excluded', 'player.exclusion_lifted', 'setting.changed'
        )
    ),
    player_id text,
    currency text,
    kind text,
    old_amount bigint,
    new_amount bigint,
    effective_at timestamptz,
    until timestamptz,
    value text,
    reason text not null,
    journal_mark bigint,
    check ((player_id is null) = (action = 'setting.changed')),
    check ((value is not null) = (action = 'setting.changed')),
    check ((currency is not null) = (action in ('limit.set', 'limit.removed')))
);
comment on table wallet_core.control_changes is
'Append-only history of every responsible-gambling change: who (the login role), when, why, what was '
'in force before and what applies from effective_at. Nothing may update or delete it (triggers refuse). '
'Read wallet.control_changes.';
comment on column wallet_core.control_changes.changed_by is 'session_user: the role that logged in.';
comment on column wallet_core.control_changes.old_amount is
'The limit in force when the change was asked for (null: none).';
comment on column wallet_core.control_changes.new_amount is
'The limit from effective_at on (null: removed); for a setting, null (the value is in reason).';
comment on column wallet_core.control_changes.effective_at is
'When the change applies: changed_at for a stricter limit, changed_at + cooling-off for a looser one.';
comment on column wallet_core.control_changes.until is 'An exclusion''s end (null: indefinite).';
comment on column wallet_core.control_changes.journal_mark is
'The newest journal entry when the change took the player''s locks: the player''s makes with a larger '
'entry_id came after it and saw it, those with a smaller one did not (what wallet.audit() relies on).';
comment on column wallet_core.control_changes.value is 'A setting''s new value (kind names the setting).';
create index control_changes_player_idx on wallet_core.control_changes (player_id, change_id);

create function wallet_core.refuse_rewriting_history() returns trigger
language plpgsql as $$
begin
    raise sqlstate 'WA900' using
        message = format('%s is append-only: %s refused', tg_table_name, tg_op),
        hint = 'A change is undone by another change (wallet.set_limit, wallet.lift_exclusion), never rewritten.';
end
$$;
comment on function wallet_core.refuse_rewriting_history() is
'Trigger function: refuses UPDATE, DELETE and TRUNCATE on wallet_core.control_changes.';

create trigger control_changes_no_update_delete
before update or delete on wallet_core.control_changes
for each row execute function wallet_core.refuse_rewriting_history();

create trigger control_changes_no_truncate
before truncate on wallet_core.control_changes
for each statement execute function wallet_core.refuse_rewriting_history();

-- Events --------------------------------------------------------------------------------------

alter table wallet_core.events drop constraint events_type_check;
alter table wallet_core.events drop constraint events_check;
alter table wallet_core.events add constraint events_type_check check (
    type in (
        'player.created', 'balance.adjusted', 'player.blocked', 'player.unblocked',
        'bet.made', 'bet.committed', 'bet.discarded', 'bet.won', 'bet.lost', 'bet.refunded',
        'bet.rolled_back', 'bet.settled',
        'limit.set', 'limit.removed', 'player.excluded', 'player.exclusion_lifted',
        'session.opened', 'session.closed'
    )
);
alter table wallet_core.events add constraint events_player_level_check check (
    (
        type in (
            'player.blocked', 'player.unblocked', 'player.excluded', 'player.exclusion_lifted',
            'session.opened', 'session.closed'
        )
    ) = (currency is null)
);
comment on column wallet_core.events.currency is
'The account''s currency; null only for what concerns the player in every currency (block, unblock, '
'exclusion, its lifting, sessions).';
