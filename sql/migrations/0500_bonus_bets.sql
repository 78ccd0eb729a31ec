-- Bonus bets (issue 15 part 1; docs/contract/operator.md section 3, docs/bonus-bets.md): the
-- policy per bonus type, the grants marketing gives, the append-only history of every movement of
-- a grant, what a bet took from and gave back to its grant, and codes 3001 and 4002.
--
-- A make without bonus_id pays for none of it: the make reads a grant only when it names one.

-- Codes ---------------------------------------------------------------------------------------

insert into wallet_core.error_codes (sqlstate, provider_code, http_status, stored, meaning) values
(
    'WA301', 3001, 400, true,
    'bonus not held: unknown, revoked, expired, another player''s or currency''s, or of another type'
),
('WA402', 4002, 400, true, 'the stake exceeds what the bonus grant has left'),
('WA209', 2004, 400, false, 'a bonus change the rules forbid (DBA functions only)');

-- Policies ------------------------------------------------------------------------------------

create table wallet_core.bonus_policies (
    bonus_type text primary key check (bonus_type ~ '^[a-z0-9_]{1,64}$'),
    stake_from text not null check (stake_from in ('grant', 'real')),
    win_credits text not null check (win_credits in ('amount', 'amount_minus_stake')),
    requires_grant boolean not null default true,
    changed_at timestamptz not null default now(),
    changed_by text not null default session_user,
    reason text not null,
    check (requires_grant or stake_from = 'real')
);
comment on table wallet_core.bonus_policies is
'Per bonus type: where a bonus make''s stake comes from (the real balance or the bonus grant it names), '
'what a win of such a bet credits (the amount sent, or the amount minus the stake), and whether a make '
'needs a grant at all. A make naming a type that is not here is 3001; a grant of such a type is refused. '
'Change a row with wallet.set_bonus_policy(); read wallet.bonus_policies.';
comment on column wallet_core.bonus_policies.stake_from is
'grant: the stake is taken from the grant the make names (4002 when it has less left), the real balance '
'is not touched; real: the stake is debited from the real balance (2001 when it is short).';
comment on column wallet_core.bonus_policies.win_credits is
'amount: a win credits the amount the provider sent; amount_minus_stake: the amount less the bet''s '
'stake (never below 0), the stake of a free bet not being paid out.';
comment on column wallet_core.bonus_policies.requires_grant is
'false: a make naming this type and a bonus_id the player holds no grant of is accepted as a real-money '
'bet (a global comboboost, offered to every player); true: such a make is 3001.';

-- The defaults, and why: docs/bonus-bets.md cites the public integrations they come from.
insert into wallet_core.bonus_policies (bonus_type, stake_from, win_credits, requires_grant, reason) values
('freebet_refund', 'grant', 'amount', true, 'default of migration 0500 (docs/bonus-bets.md)'),
('freebet_freemoney', 'grant', 'amount', true, 'default of migration 0500 (docs/bonus-bets.md)'),
('freebet_no_risk', 'grant', 'amount_minus_stake', true, 'default of migration 0500 (docs/bonus-bets.md)'),
('comboboost', 'real', 'amount', true, 'default of migration 0500 (docs/bonus-bets.md)'),
('global_comboboost', 'real', 'amount', false, 'default of migration 0500 (docs/bonus-bets.md)');

-- Grants --------------------------------------------------------------------------------------

create table wallet_core.bonus_grants (
    grant_id bigint generated always as identity primary key,
    bonus_id text not null unique check (length(bonus_id) between 1 and 128),
    account_id bigint not null references wallet_core.accounts,
    bonus_type text not null references wallet_core.bonus_policies,
    amount bigint not null check (amount between 0 and 1000000000000000),
    remaining bigint not null,
    expires_at timestamptz,
    granted_at timestamptz not null,
    granted_by text not null,
    reason text,
    revoked_at timestamptz,
    revoked_by text,
    revoke_reason text,
    check ((revoked_at is null) = (revoke_reason is null)),
    check ((revoked_at is null) = (revoked_by is null))
);
comment on table wallet_core.bonus_grants is
'A bonus a player holds in one currency (bonus_id is the provider''s, unique). remaining is what its '
'bets may still take: amount, less what its bets took, plus what discards and refunds gave back, less what '
'rollbacks of those refunds took again (wallet.audit() checks it). Written under the account''s lock. '
'Read wallet.bonuses(player_id).';
comment on column wallet_core.bonus_grants.remaining is
'What bonus makes may still take. Below zero only after a rollback of a refund whose give-back was '
'spent meanwhile (as a rollback may take a real balance below zero); wallet.audit() names it.';
comment on column wallet_core.bonus_grants.expires_at is 'After it, a make naming the bonus is 3001 (null: never).';
comment on column wallet_core.bonus_grants.granted_by is
'session_user of wallet.grant_bonus(): the role that logged in.';
comment on column wallet_core.bonus_grants.revoked_at is
'When wallet.revoke_bonus() ended it: a make naming it is 3001 from then on; bets already made go on.';

create index bonus_grants_account_idx on wallet_core.bonus_grants (account_id);

-- Bets: what each bet took from its grant and gave back ----------------------------------------

-- bets gains one column, bonus_stake, and one CHECK only; the rest of a bonus bet lives in
-- wallet_core.bet_bonuses, written by bonus makes alone. PostgreSQL reads and prepares a table's
-- CHECK expressions, partial-index predicates and foreign-key triggers again for every INSERT
-- statement, and every make inserts a bet: three more checks, a foreign key and a partial index
-- on bets cost a make without a bonus 2.7% of its instructions (callgrind, bench/README.md).
-- bonus_stake <= stake holds too: the stake's journal row (amount bonus_stake - stake) may not be
-- positive.
alter table wallet_core.bets
add column bonus_stake bigint not null default 0,
add constraint bets_bonus_stake_check check (bonus_stake >= 0);
comment on column wallet_core.bets.bonus_id is
'The make''s bonus_id: the bonus the provider says the bet uses (wallet_core.bet_bonuses has the rest).';
comment on column wallet_core.bets.bonus_stake is
'The part of the stake taken from a bonus grant (0 for a real-money stake): the real balance was debited '
'stake - bonus_stake.';

create table wallet_core.bet_bonuses (
    bet_id bigint primary key references wallet_core.bets,
    grant_id bigint references wallet_core.bonus_grants,
    bonus_type text not null,
    win_net boolean not null,
    returned bigint not null default 0 check (returned >= 0)
);
comment on table wallet_core.bet_bonuses is
'The bonus of each bet made with one (a make naming a bonus_id, accepted): the grant it named (null for a '
'type that needs none), the type whose policy it was made under, that policy''s win rule, and what the bet '
'has given back to its grant now. Written under the account''s lock.';
comment on column wallet_core.bet_bonuses.bonus_type is
'The grant''s type (or, without a grant, the make''s bonus_type): the policy the bet was made under.';
comment on column wallet_core.bet_bonuses.win_net is
'The policy at the make: a win credits the amount sent less the stake (true) or the amount sent (false).';
comment on column wallet_core.bet_bonuses.returned is
'What the bet has given back to its grant now: the bonus stake after a discard, the refunded part of it '
'after a refund; 0 again after the refund is rolled back.';

create index bet_bonuses_grant_idx on wallet_core.bet_bonuses (grant_id) where grant_id is not null;

-- The history of every grant ------------------------------------------------------------------

create table wallet_core.bonus_journal (
    entry_id bigint generated always as identity primary key,
    grant_id bigint references wallet_core.bonus_grants,
    bonus_type text not null,
    operation text not null check (
        operation in ('grant', 'revoke', 'bet', 'discard', 'refund', 'rollback', 'policy')
    ),
    amount bigint not null,
    remaining_after bigint,
    bet_id bigint references wallet_core.bets,
    transaction_id text,
    changed_by text not null default session_user,
    reason text,
    detail jsonb,
    created_at timestamptz not null default wallet_core.now(),
    check ((grant_id is null) = (operation = 'policy')),
    check ((remaining_after is null) = (operation = 'policy')),
    check ((bet_id is not null) = (operation in ('bet', 'discard', 'refund', 'rollback')))
);
comment on table wallet_core.bonus_journal is
'Append-only history of bonus money: every grant, revocation, take (bet) and give-back (discard, refund; '
'a rollback takes a refund back) with the grant''s remainder after it, and every policy change (old and '
'new values in detail). Nothing may update or delete it (triggers refuse).';
comment on column wallet_core.bonus_journal.amount is
'Signed change of the grant''s remainder (the grant''s amount for a grant row, 0 for a revocation or a '
'policy change).';
comment on column wallet_core.bonus_journal.changed_by is
'session_user: the role that logged in (the service''s role for bets, the DBA''s for grants).';

create index bonus_journal_grant_idx on wallet_core.bonus_journal (grant_id, entry_id);

create function wallet_core.bonus_journal_is_append_only() returns trigger
language plpgsql as $$
begin
    raise sqlstate 'WA900' using
        message = format('wallet_core.bonus_journal is append-only: %s refused', tg_op),
        hint = 'A grant is ended by wallet.revoke_bonus() and a policy changed by wallet.set_bonus_policy().';
end
$$;
comment on function wallet_core.bonus_journal_is_append_only() is
'Trigger function: refuses UPDATE, DELETE and TRUNCATE on wallet_core.bonus_journal.';

create trigger bonus_journal_no_update_delete
before update or delete on wallet_core.bonus_journal
for each row execute function wallet_core.bonus_journal_is_append_only();

create trigger bonus_journal_no_truncate
before truncate on wallet_core.bonus_journal
for each statement execute function wallet_core.bonus_journal_is_append_only();

-- bet/make's request gains bonus_type ----------------------------------------------------------

alter type wallet_core.make_json add attribute bonus_type text;
alter type wallet_core.make_request add attribute bonus_type text;

-- What the make learns of the bonus it names ------------------------------------------------------

create type wallet_core.bonus_check as (
    grant_id bigint,
    bonus_type text,
    from_grant boolean,
    win_net boolean,
    refusal text,
    message text
);
comment on type wallet_core.bonus_check is
'What bet/make learns of the bonus it names (wallet_core.bonus_of_make): the grant, the type, the '
'policy (stake from the grant, win net of the stake), and the refusal (WA301, WA402) with its message.';

-- Events ---------------------------------------------------------------------------------------

alter table wallet_core.events drop constraint events_type_check;
alter table wallet_core.events add constraint events_type_check check (
    type in (
        'player.created', 'balance.adjusted', 'player.blocked', 'player.unblocked',
        'bet.made', 'bet.committed', 'bet.discarded', 'bet.won', 'bet.lost', 'bet.refunded',
        'bet.rolled_back', 'bet.settled',
        'limit.set', 'limit.removed', 'player.excluded', 'player.exclusion_lifted',
        'session.opened', 'session.closed',
        'bonus.granted', 'bonus.revoked'
    )
);
