-- Bonus bets (issue 15 part 1; docs/contract/operator.md section 3, docs/bonus-bets.md): what a
-- bonus make checks and takes, how a bet's give-backs and wins follow its policy, and the DBA's
-- functions: grant, revoke, list, change a policy.
--
-- Every write of a grant happens under its account's lock (the lock bet/make takes first), so
-- twenty makes naming one grant take it one after the other and never below zero.

-- What a settlement of a bet credits to the real balance ----------------------------------------

-- No SET clause: the planner inlines it (see 00_limits.sql).
create or replace function wallet_core.real_credit(
    result text, amount bigint, stake bigint, bonus_stake bigint, win_net boolean
)
returns bigint
language sql immutable parallel safe
as $$
    select case
        when result in ('won', 'cashed_out') then
            case when win_net then greatest(amount - stake, 0) else amount end
        -- A refund gives the bonus part of the stake back to the grant first.
        when result = 'refunded' then amount - least(amount, bonus_stake)
        else 0
    end
$$;
comment on function wallet_core.real_credit(text, bigint, bigint, bigint, boolean) is
'What a settlement (result won, cashed_out, refunded or lost, of the provider''s amount) credits to the '
'real balance of a bet with this stake, bonus stake and win policy: a win its amount, or its amount less '
'the stake (never below 0) when win_net; a refund what exceeds the bonus stake (that part goes back to '
'the grant); a loss nothing. For a bet without a bonus: the amount. Inlined by the planner.';

-- The make ---------------------------------------------------------------------------------------

create or replace function wallet_core.bonus_of_make(
    account_id bigint, bonus_id text, bonus_type text, stake bigint
)
returns wallet_core.bonus_check
language plpgsql
set search_path = ''
as $$
declare
    held record;
    policy wallet_core.bonus_policies;
    checked wallet_core.bonus_check;
begin
    -- The caller holds the account's lock, so nobody else writes this account's grants now; the
    -- row lock is for the DBA functions, which lock the account first too.
    select g.grant_id, g.bonus_type, g.remaining, g.expires_at, g.revoked_at, p.stake_from, p.win_credits
    into held
    from wallet_core.bonus_grants as g
    join wallet_core.bonus_policies as p on g.bonus_type = p.bonus_type
    where g.bonus_id = bonus_of_make.bonus_id and g.account_id = bonus_of_make.account_id
    for no key update of g;
    if found then
        checked := row(held.grant_id, held.bonus_type, held.stake_from = 'grant', held.win_credits <> 'amount',
            null::text, null::text);
        if held.revoked_at is not null then
            checked.refusal := 'WA301';
            checked.message := format('bonus %s was revoked', bonus_of_make.bonus_id);
        elsif held.expires_at <= wallet_core.now() then
            checked.refusal := 'WA301';
            checked.message := format('bonus %s has expired', bonus_of_make.bonus_id);
        elsif bonus_of_make.bonus_type is not null and bonus_of_make.bonus_type <> held.bonus_type then
            checked.refusal := 'WA301';
            checked.message := format('bonus %s is a %s bonus, not %s', bonus_of_make.bonus_id, held.bonus_type,
                bonus_of_make.bonus_type);
        elsif checked.from_grant and held.remaining < stake then
            checked.refusal := 'WA402';
            checked.message := format('the stake %s exceeds the %s left of bonus %s', stake,
                greatest(held.remaining, 0), bonus_of_make.bonus_id);
        end if;
        return checked;
    end if;

    -- No grant of this player and currency: only a type that needs none (a global comboboost).
    -- Another player's grant is unknown to this player: nothing of it is told.
    select p.* into policy from wallet_core.bonus_policies as p where p.bonus_type = bonus_of_make.bonus_type;
    if found and not policy.requires_grant then
        return row(null::bigint, policy.bonus_type, false, policy.win_credits <> 'amount', null::text, null::text);
    end if;
    return row(null::bigint, null::text, false, false, 'WA301'::text, format('bonus %s is unknown', bonus_of_make.bonus_id));
end
$$;
comment on function wallet_core.bonus_of_make(bigint, text, text, bigint) is
'What a bet/make naming a bonus may do: the grant the account holds under that bonus_id (locked) and its '
'policy, or a type that needs no grant; else the refusal: WA301 (unknown, another player''s or '
'currency''s, revoked, expired, another type than the make''s bonus_type) or WA402 (a stake taken from '
'the grant above what it has left). The caller holds the account''s lock.';

create or replace function wallet_core.move_bonus(
    grant_id bigint, operation text, amount bigint, bet_id bigint, transaction_id text
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    moved wallet_core.bonus_grants;
begin
    update wallet_core.bonus_grants as g
    set remaining = g.remaining + move_bonus.amount
    where g.grant_id = move_bonus.grant_id
    returning g.* into strict moved;
    insert into wallet_core.bonus_journal (grant_id, bonus_type, operation, amount, remaining_after, bet_id, transaction_id)
    values (moved.grant_id, moved.bonus_type, operation, amount, moved.remaining, bet_id, transaction_id);
    return moved.remaining;
end
$$;
comment on function wallet_core.move_bonus(bigint, text, bigint, bigint, text) is
'Moves bonus money: adds the signed amount to the grant''s remainder and appends its bonus_journal row '
'(bet: negative; discard, refund: positive; rollback: negative). The only writer of remainders after the '
'grant; the caller holds the account''s lock. Returns the remainder after.';

-- The DBA's functions ------------------------------------------------------------------------------

create or replace function wallet.set_bonus_policy(
    bonus_type text, stake_from text, win_credits text, requires_grant boolean, reason text
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
    before wallet_core.bonus_policies;
    after wallet_core.bonus_policies;
begin
    if bonus_type is null or bonus_type !~ '^[a-z0-9_]{1,64}$' then
        raise sqlstate 'WA204' using message = format('%L is not a bonus type', bonus_type),
            hint = '1 to 64 lowercase letters, digits or underscores, e.g. freebet_freemoney';
    end if;
    if stake_from is null or stake_from not in ('grant', 'real') then
        raise sqlstate 'WA204' using message = format('stake_from is grant or real, not %L', stake_from);
    end if;
    if win_credits is null or win_credits not in ('amount', 'amount_minus_stake') then
        raise sqlstate 'WA204' using
            message = format('win_credits is amount or amount_minus_stake, not %L', win_credits);
    end if;
    if requires_grant is null or (not requires_grant and stake_from = 'grant') then
        raise sqlstate 'WA204' using
            message = 'requires_grant must be true or false, and true when the stake comes from the grant';
    end if;
    if reason is null or btrim(reason) = '' then
        raise sqlstate 'WA204' using message = 'a policy change needs a reason';
    end if;

    -- FOR NO KEY UPDATE: a grant being given meanwhile (its foreign key's KEY SHARE) need not wait.
    select p.* into before from wallet_core.bonus_policies as p where p.bonus_type = set_bonus_policy.bonus_type
    for no key update;
    insert into wallet_core.bonus_policies as p (
        bonus_type, stake_from, win_credits, requires_grant, changed_at, changed_by, reason
    )
    values (bonus_type, stake_from, win_credits, requires_grant, wallet_core.change_time(), session_user, reason)
    on conflict on constraint bonus_policies_pkey do update set
        stake_from = excluded.stake_from, win_credits = excluded.win_credits,
        requires_grant = excluded.requires_grant, changed_at = excluded.changed_at,
        changed_by = excluded.changed_by, reason = excluded.reason
    returning p.* into after;
    insert into wallet_core.bonus_journal (bonus_type, operation, amount, reason, detail)
    values (
        bonus_type, 'policy', 0, reason,
        jsonb_build_object(
            'before', case when before.bonus_type is not null then jsonb_build_object(
                'stake_from', before.stake_from, 'win_credits', before.win_credits,
                'requires_grant', before.requires_grant
            ) end,
            'after', jsonb_build_object(
                'stake_from', after.stake_from, 'win_credits', after.win_credits,
                'requires_grant', after.requires_grant
            )
        )
    );
end
$$;
comment on function wallet.set_bonus_policy(text, text, text, boolean, text) is
'Adds or changes the policy of a bonus type: stake_from (grant or real), win_credits (amount or '
'amount_minus_stake), requires_grant. Applies to makes from now on; a bet already made keeps the win policy '
'it was made under. Kept in wallet_core.bonus_journal with who, why and the values before and after. '
'WA204 for a value out of its list.';

create or replace function wallet.grant_bonus(
    player_id text, currency text, bonus_id text, bonus_type text, amount bigint, expires_at timestamptz
)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
    account wallet_core.accounts;
    policy wallet_core.bonus_policies;
    existing wallet_core.bonus_grants;
    granted wallet_core.bonus_grants;
    at timestamptz;
begin
    if bonus_id is null or length(bonus_id) not between 1 and wallet_core.max_id_length() then
        raise sqlstate 'WA204' using
            message = format('bonus_id must be 1 to %s characters', wallet_core.max_id_length());
    end if;
    if amount is null or amount not between 0 and wallet_core.max_amount() then
        raise sqlstate 'WA204' using message = 'the amount must be 0 to 10^15 minor units';
    end if;
    select p.* into policy from wallet_core.bonus_policies as p where p.bonus_type = grant_bonus.bonus_type;
    if not found then
        raise sqlstate 'WA204' using message = format('%L is not a bonus type with a policy', bonus_type),
            hint = 'Decide where its stake comes from first: wallet.set_bonus_policy(...), see docs/bonus-bets.md.';
    end if;
    account := wallet_core.locked_account(player_id, currency);
    at := wallet_core.change_time();

    -- A repeat of the same grant (a retried script) changes nothing and answers the same id,
    -- even once it has expired.
    select g.* into existing from wallet_core.bonus_grants as g where g.bonus_id = grant_bonus.bonus_id;
    if found then
        if existing.account_id = account.account_id and existing.bonus_type = grant_bonus.bonus_type
            and existing.amount = grant_bonus.amount
            and existing.expires_at is not distinct from grant_bonus.expires_at then
            return existing.grant_id;
        end if;
        raise sqlstate 'WA209' using message = format('bonus %s was granted already, with other terms', bonus_id);
    end if;
    if expires_at is not null and expires_at <= at then
        raise sqlstate 'WA204' using message = format('expires_at %s is not in the future', expires_at);
    end if;
    -- No bonus for a player who is self-excluded or in a time-out: an incentive to gamble is what
    -- the exclusion is there to stop.
    if exists (
        select from wallet_core.exclusions as e
        where e.player_id = account.player_id and (e.until is null or e.until > at)
    ) then
        raise sqlstate 'WA209' using message = format('player %s is excluded: no bonus is granted', player_id);
    end if;

    insert into wallet_core.bonus_grants as g (
        bonus_id, account_id, bonus_type, amount, remaining, expires_at, granted_at, granted_by
    )
    values (bonus_id, account.account_id, bonus_type, amount, amount, expires_at, at, session_user)
    returning g.* into granted;
    insert into wallet_core.bonus_journal (grant_id, bonus_type, operation, amount, remaining_after)
    values (granted.grant_id, granted.bonus_type, 'grant', granted.amount, granted.remaining);
    perform wallet_core.emit_event(
        'bonus.granted', account.player_id, account.currency, 0, account.balance,
        detail => jsonb_build_object(
            'bonus_id', bonus_id, 'bonus_type', bonus_type, 'amount', amount,
            'expires_at', pg_catalog.to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'stake_from', policy.stake_from, 'win_credits', policy.win_credits
        )
    );
    return granted.grant_id;
end
$$;
comment on function wallet.grant_bonus(text, text, text, text, bigint, timestamptz) is
'Gives a player a bonus in one currency: bonus_id (the provider''s, unique), its type (one with a policy, '
'else WA204), the amount its bets may take (minor units), its end (null: none). Returns the grant id. '
'The same grant again returns the same id and changes nothing; the same bonus_id with other terms is '
'WA209, and so is a grant to a player who is excluded now. Kept in wallet_core.bonus_journal; emits '
'bonus.granted.';

create or replace function wallet.revoke_bonus(bonus_id text, reason text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
    held wallet_core.bonus_grants;
    account wallet_core.accounts;
    at timestamptz;
begin
    if reason is null or btrim(reason) = '' then
        raise sqlstate 'WA204' using message = 'a revocation needs a reason';
    end if;
    select g.* into held from wallet_core.bonus_grants as g where g.bonus_id = revoke_bonus.bonus_id;
    if not found then
        raise sqlstate 'WA209' using message = format('bonus %s is unknown', bonus_id);
    end if;
    -- The account first, as bet/make locks it, then the grant.
    select a.* into strict account from wallet_core.accounts as a where a.account_id = held.account_id
    for no key update;
    select g.* into strict held from wallet_core.bonus_grants as g where g.grant_id = held.grant_id for update;
    if held.revoked_at is not null then
        return false;
    end if;
    at := wallet_core.change_time();
    update wallet_core.bonus_grants as g
    set revoked_at = at, revoked_by = session_user, revoke_reason = revoke_bonus.reason
    where g.grant_id = held.grant_id;
    insert into wallet_core.bonus_journal (grant_id, bonus_type, operation, amount, remaining_after, reason)
    values (held.grant_id, held.bonus_type, 'revoke', 0, held.remaining, reason);
    perform wallet_core.emit_event(
        'bonus.revoked', account.player_id, account.currency, 0, account.balance,
        detail => jsonb_build_object(
            'bonus_id', bonus_id, 'bonus_type', held.bonus_type, 'remaining', held.remaining, 'reason', reason
        )
    );
    return true;
end
$$;
comment on function wallet.revoke_bonus(text, text) is
'Ends a grant: a make naming it is 3001 from now on; bets already made with it go on, and what their '
'discards and refunds give back returns to it (unusable). True when revoked now, false when it was '
'revoked already; WA209 for an unknown bonus. Kept in wallet_core.bonus_journal; emits bonus.revoked.';

create or replace function wallet.bonuses(player_id text)
returns table (
    bonus_id text, currency text, bonus_type text, amount bigint, remaining bigint, status text,
    stake_from text, win_credits text, expires_at timestamptz, granted_at timestamptz, granted_by text,
    revoked_at timestamptz, revoke_reason text, bets bigint, open_bets bigint
)
language sql stable
security definer
set search_path = ''
as $$
    select
        g.bonus_id, a.currency, g.bonus_type, g.amount, g.remaining,
        case
            when g.revoked_at is not null then 'revoked'
            when g.expires_at <= wallet_core.now() then 'expired'
            else 'active'
        end,
        p.stake_from, p.win_credits, g.expires_at, g.granted_at, g.granted_by, g.revoked_at, g.revoke_reason,
        (select count(*) from wallet_core.bet_bonuses as x where x.grant_id = g.grant_id),
        (
            select count(*) from wallet_core.bet_bonuses as x
            join wallet_core.bets as b on x.bet_id = b.bet_id
            where x.grant_id = g.grant_id and b.state in ('open', 'accepted')
        )
    from wallet_core.accounts as a
    join wallet_core.bonus_grants as g on a.account_id = g.account_id
    join wallet_core.bonus_policies as p on g.bonus_type = p.bonus_type
    where a.player_id = bonuses.player_id
    order by g.granted_at, g.grant_id
$$;
comment on function wallet.bonuses(text) is
'The grants of a player, oldest first: bonus_id, currency, type, amount, what is left, status (active, '
'expired, revoked), the policy in force for its type, when and by whom granted, the revocation, and how '
'many bets used it (and how many are still open or accepted).';

create or replace view wallet.bonus_policies as
select
    p.bonus_type,
    p.stake_from,
    p.win_credits,
    p.requires_grant,
    p.changed_at,
    p.changed_by,
    p.reason
from wallet_core.bonus_policies as p;
comment on view wallet.bonus_policies is
'The policy of every bonus type: where a bonus make''s stake comes from, what its win credits, whether a '
'make needs a grant. Change a row with wallet.set_bonus_policy(); its history is in '
'wallet_core.bonus_journal (operation policy).';

revoke all on function wallet_core.real_credit(text, bigint, bigint, bigint, boolean) from public;
revoke all on function wallet_core.bonus_of_make(bigint, text, text, bigint) from public;
revoke all on function wallet_core.move_bonus(bigint, text, bigint, bigint, text) from public;
revoke all on function wallet.set_bonus_policy(text, text, text, boolean, text) from public;
revoke all on function wallet.grant_bonus(text, text, text, text, bigint, timestamptz) from public;
revoke all on function wallet.revoke_bonus(text, text) from public;
revoke all on function wallet.bonuses(text) from public;
