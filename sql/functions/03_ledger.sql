-- The ledger: the one way money moves, and why a player has no account.

-- No SET clause: it runs only inside functions that pin search_path to '' (see wallet_core.claim in
-- 02_idempotency.sql).
create or replace function wallet_core.post(
    account_id bigint,
    operation text,
    amount bigint,
    transaction_id text default null,
    bet_id bigint default null,
    reason text default null
)
returns wallet_core.accounts
language plpgsql
as $$
declare
    account wallet_core.accounts;
begin
    -- The ledger's invariant: a balance changes only together with its journal row, here in one
    -- statement (a data-modifying WITH runs whether or not the query reads it).
    with moved as (
        update wallet_core.accounts as a
        set balance = a.balance + post.amount
        where a.account_id = post.account_id
        returning a.*
    ),
    entry as (
        insert into wallet_core.journal (account_id, operation, amount, balance_after, transaction_id, bet_id, reason)
        select m.account_id, post.operation, post.amount, m.balance, post.transaction_id, post.bet_id, post.reason
        from moved as m
    )
    select m.* into strict account from moved as m;
    -- The journal's rules (migration 0620 moved them here from its CHECK constraints, which
    -- PostgreSQL re-read for every statement): a known operation, the sign its amount must have,
    -- and no debit (a bet, a withdrawal) below zero. Broken, the call fails whole, as before.
    -- A stake (the one posting of every make) is tested first, on its own: PL/pgSQL sets an
    -- expression up (its functions, their permission checks) only when it first reaches it in
    -- a transaction, and the whole CASE below costs a make more than the test (callgrind).
    if post.operation = 'bet' and post.amount <= 0 and account.balance >= 0 then
        null;
    elsif not coalesce(case post.operation
            when 'deposit' then post.amount > 0
            when 'withdrawal' then post.amount <= 0 and account.balance >= 0
            when 'bet' then post.amount <= 0 and account.balance >= 0
            when 'discard' then post.amount >= 0
            when 'win' then post.amount >= 0
            when 'refund' then post.amount >= 0
            when 'rollback' then post.amount <= 0
            else false
        end, false) then
        raise sqlstate '23514' using
            message = pg_catalog.format('journal rule broken: %s of %s to a balance of %s', post.operation, post.amount,
                account.balance);
    end if;
    return account;
end
$$;
comment on function wallet_core.post(bigint, text, bigint, text, bigint, text) is
'Moves money: adds the signed amount to the account''s balance and appends its journal row with the '
'balance after. The writer of balances (with the usual make''s one statement in wallet_core.make_bet, '
'which writes a stake and its journal row together the same way); the caller holds the account''s lock. '
'Returns the account. '
'Refuses (23514) what the journal''s rules forbid: an unknown operation, an amount of the wrong sign, a '
'debit below zero.';

create or replace function wallet_core.player_refusal(player_id text, currency text)
returns text
language plpgsql stable
set search_path = ''
as $$
begin
    if not exists (select from wallet_core.accounts as a where a.player_id = player_refusal.player_id) then
        return 'WA006';
    end if;
    if currency is not null and not exists (
        select from wallet_core.accounts as a
        where a.player_id = player_refusal.player_id and a.currency = player_refusal.currency
    ) then
        return 'WA202';
    end if;
    return null;
end
$$;
comment on function wallet_core.player_refusal(text, text) is
'Why a player/currency has no account: WA006 when the player has none at all, WA202 when not in that '
'currency; null when the account exists.';
