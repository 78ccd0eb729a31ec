-- Responsible gambling: limits, self-exclusion and time-outs (4001), sessions (1007).
-- docs/contract/operator.md sections 1 and 2 is the specification; docs/responsible-gambling.md
-- is the DBA's page.
--
-- What bet/make pays. It reads accounts.guarded with the row it locks anyway; a player who never
-- had a limit or an exclusion pays nothing more (with session_check off). A guarded account's
-- make reads its exclusion, its limits, the newest counter row and, per window a limit needs,
-- the last counter row before the window: index probes, never a scan of bets, however many bets
-- the window holds. An accepted make then adds to the newest counter row (or starts the
-- minute's row).
--
-- Why the counters stay exact. Each row of wallet_core.limit_counters holds running totals
-- (stakes, credits, bets) from the start of the counting to the end of its minute, and only the
-- newest minute's row is ever written, under the account's lock. Every amount is counted at
-- the moment it moves money: a make's stake when it is made, a win, refund or discard when it
-- credits, a rollback (a negative credit) when it debits. A win arriving three days after its
-- bet adds to today's minute, where the slow computation (the journal's rows in the window)
-- also puts it; nothing is ever added to a past minute, so no total after it goes stale. A
-- window's sum is newest row minus the last row before the window's first minute: a stake
-- leaves the window at the end of the minute of its anniversary, at most one minute late,
-- never early.

-- Settings ------------------------------------------------------------------------------------

create or replace function wallet.set_setting(name text, value text, reason text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
    if reason is null or btrim(reason) = '' then
        raise sqlstate 'WA204' using message = 'a setting change needs a reason';
    end if;
    if name = 'cooling_off' then
        begin
            update wallet_core.settings set cooling_off = value::interval;
        exception when invalid_datetime_format or check_violation or datetime_field_overflow then
            raise sqlstate 'WA204' using message = format('cooling_off must be an interval of 0 or more, not %L', value);
        end;
    elsif name = 'session_check' then
        if value is null or value not in ('off', 'enforce') then
            raise sqlstate 'WA204' using message = format('session_check is off or enforce, not %L', value);
        end if;
        update wallet_core.settings set session_check = value;
        -- What bet/make reads: a constant in its plan (migration 0400), rewritten here.
        execute format(
            'create or replace function wallet_core.sessions_enforced() returns boolean '
            'language sql immutable parallel safe as $body$ select %s $body$',
            case when value = 'enforce' then 'true' else 'false' end
        );
    else
        raise sqlstate 'WA204' using message = format('no setting %L', name),
            hint = 'The settings are cooling_off and session_check (wallet.settings).';
    end if;
    insert into wallet_core.control_changes (changed_at, changed_by, action, kind, value, reason)
    values (wallet_core.change_time(), session_user, 'setting.changed', name, value, reason);
end
$$;
comment on function wallet.set_setting(text, text, text) is
'Changes a responsible-gambling setting of this database, with a reason kept in the history: '
'cooling_off (an interval, default 24 hours) or session_check (off or enforce).';

create or replace view wallet.settings as
select
    s.cooling_off,
    s.session_check
from wallet_core.settings as s;
comment on view wallet.settings is
'The responsible-gambling settings: cooling_off (how long a looser limit waits) and session_check.';

-- Counters ------------------------------------------------------------------------------------

create or replace function wallet_core.window_of(kind text)
returns interval
language sql immutable parallel safe
as $$
    select case pg_catalog.split_part(kind, '_', 2)
        when '24h' then interval '24 hours'
        when '7d' then interval '7 days'
        when '30d' then interval '30 days'
    end
$$;
comment on function wallet_core.window_of(text) is
'The rolling window of a limit kind (stake_7d: 7 days); null for stake_per_bet. Inlined by the planner.';

create or replace function wallet_core.count_activity(
    account_id bigint, stakes bigint, credits bigint, bets bigint
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    total bigint;
begin
    -- The caller holds the account's lock: nobody else writes this account's counters now. One
    -- statement: this minute's row gets the newest totals plus these amounts, inserted or, when
    -- the newest row is this minute's already, updated. (Should the clock go back, the newest
    -- row takes them: counted late, never early.) PL/pgSQL, not SQL: its plan is kept. It
    -- answers the running total of stakes, so that bet/make calls it in an assignment (an
    -- expression, cheaper than a PERFORM's query).
    insert into wallet_core.limit_counters as c (account_id, minute, stakes, credits, bets)
    select
        count_activity.account_id,
        greatest(pg_catalog.date_trunc('minute', wallet_core.now()), n.minute),
        coalesce(n.stakes, 0) + count_activity.stakes,
        coalesce(n.credits, 0) + count_activity.credits,
        coalesce(n.bets, 0) + count_activity.bets
    from (select) as one
    left join lateral (
        select l.minute, l.stakes, l.credits, l.bets
        from wallet_core.limit_counters as l
        where l.account_id = count_activity.account_id
        order by l.minute desc
        limit 1
    ) as n on true
    on conflict on constraint limit_counters_pkey do update set
        stakes = excluded.stakes, credits = excluded.credits, bets = excluded.bets
    returning c.stakes into total;
    return total;
end
$$;
comment on function wallet_core.count_activity(bigint, bigint, bigint, bigint) is
'Adds to a guarded account''s counters at the current minute: a make''s stake and one bet, or a '
'credit (a rollback''s is negative). Returns the running total of stakes. The caller holds the '
'account''s lock.';

create or replace function wallet_core.start_guarding(account_id bigint)
returns void
language plpgsql
set search_path = ''
as $$
begin
    -- The caller holds the account's lock. Once guarded, every make and credit counts itself;
    -- before, nothing counted, so the counters start from the journal of the longest window.
    update wallet_core.accounts as a set guarded = true
    where a.account_id = start_guarding.account_id and not a.guarded;
    if not found then
        return;
    end if;
    insert into wallet_core.limit_counters (account_id, minute, stakes, credits, bets)
    select
        start_guarding.account_id, m.minute,
        sum(m.stakes) over w, sum(m.credits) over w, sum(m.bets) over w
    from (
        select
            pg_catalog.date_trunc('minute', j.created_at) as minute,
            coalesce(sum(-j.amount) filter (where j.operation = 'bet'), 0) as stakes,
            coalesce(sum(j.amount) filter (where j.operation in ('win', 'refund', 'discard', 'rollback')), 0)
                as credits,
            count(*) filter (where j.operation = 'bet') as bets
        from wallet_core.journal as j
        where
            j.account_id = start_guarding.account_id
            and j.created_at >= wallet_core.now() - interval '30 days' - interval '1 minute'
            and j.operation in ('bet', 'win', 'refund', 'discard', 'rollback')
        group by 1
    ) as m
    window w as (order by m.minute);
end
$$;
comment on function wallet_core.start_guarding(bigint) is
'Makes an account guarded (bet/make checks its limits and exclusion, and its counters are kept), '
'building its counters from the journal of the last 30 days. Nothing when it is guarded already.';

create or replace function wallet_core.journal_mark()
returns bigint
language sql stable
set search_path = ''
as $$
    select coalesce(max(j.entry_id), 0) from wallet_core.journal as j
$$;
comment on function wallet_core.journal_mark() is
'The newest journal entry this transaction sees. Read by a change under the player''s locks: the '
'player''s later entries all have larger ids (wallet_core.control_changes.journal_mark).';

create or replace function wallet.purge_limit_counters(older_than interval default '31 days')
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
    cutoff timestamptz;
    deleted bigint;
begin
    if older_than is null or older_than < interval '31 days' then
        raise sqlstate 'WA204' using message = 'older_than must be at least 31 days',
            hint = 'The longest window is 30 days; a window''s sum starts from the row before it.';
    end if;
    cutoff := wallet_core.now() - older_than;
    -- Of each account's rows older than the cutoff, the newest stays: a 30-day window's sum may
    -- start from it. A make never writes an old row and reads them without locks.
    delete from wallet_core.limit_counters as c
    where
        c.minute < cutoff
        and c.minute < (
            select max(o.minute) from wallet_core.limit_counters as o
            where o.account_id = c.account_id and o.minute < cutoff
        );
    get diagnostics deleted = row_count;
    return deleted;
end
$$;
comment on function wallet.purge_limit_counters(interval) is
'Deletes the counter rows no window reads any more: older than older_than (at least 31 days, the '
'default), keeping each account''s newest such row. Returns how many it deleted. Takes no lock a '
'make waits for.';

-- The checks bet/make makes ---------------------------------------------------------------------

create or replace function wallet_core.limit_refusal(
    account_id bigint, player_id text, currency text, stake bigint
)
returns text
language plpgsql stable
set search_path = ''
as $$
declare
    at constant timestamptz := wallet_core.now();
    lim record;
begin
    -- One statement: the player's exclusion in force (self-exclusion or time-out, in every
    -- currency) first, then each limit in force with what it counts, in the contract's order:
    -- the newest counter row, and per limit the last row before its window.
    select f.* into lim
    from (
        select 0 as rank, 'excluded' as kind, null::bigint as amount, null::bigint as used, e.until
        from wallet_core.exclusions as e
        where e.player_id = limit_refusal.player_id and (e.until is null or e.until > at)
        union all
        select
            pg_catalog.array_position(
                array[
                    'stake_per_bet', 'stake_24h', 'stake_7d', 'stake_30d', 'loss_24h', 'loss_7d', 'loss_30d',
                    'bets_24h'
                ],
                l.kind
            ),
            l.kind, n.amount,
            case pg_catalog.split_part(l.kind, '_', 1)
                when 'stake' then
                    case when l.kind = 'stake_per_bet' then stake
                    else coalesce(latest.stakes, 0) - coalesce(base.stakes, 0) + stake end
                when 'loss' then coalesce(latest.stakes, 0) - coalesce(base.stakes, 0)
                    - (coalesce(latest.credits, 0) - coalesce(base.credits, 0)) + stake
                else coalesce(latest.bets, 0) - coalesce(base.bets, 0) + 1
            end,
            null
        from wallet_core.limits as l
        cross join lateral (
            select case when l.pending and l.effective_at <= at then l.pending_amount else l.amount end as amount
        ) as n
        left join lateral (
            select c.stakes, c.credits, c.bets
            from wallet_core.limit_counters as c
            where c.account_id = limit_refusal.account_id
            order by c.minute desc
            limit 1
        ) as latest on l.kind <> 'stake_per_bet'
        left join lateral (
            select c.stakes, c.credits, c.bets
            from wallet_core.limit_counters as c
            where
                c.account_id = limit_refusal.account_id
                and c.minute < pg_catalog.date_trunc('minute', at - wallet_core.window_of(l.kind))
            order by c.minute desc
            limit 1
        ) as base on l.kind <> 'stake_per_bet'
        where l.account_id = limit_refusal.account_id and n.amount is not null
    ) as f
    where f.kind = 'excluded' or f.used > f.amount
    order by f.rank
    limit 1;
    if not found then
        return null;
    elsif lim.kind = 'excluded' then
        return case
            when lim.until is null then format('player %s is self-excluded', limit_refusal.player_id)
            else format(
                'player %s is excluded until %s', limit_refusal.player_id,
                pg_catalog.to_char(lim.until at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            )
        end;
    else
        if lim.kind = 'stake_per_bet' then
            return format('limit stake_per_bet: the stake %s is above the limit of %s %s',
                stake, lim.amount, limit_refusal.currency);
        end if;
        return format('limit %s: %s in the last %s would be %s, above the limit of %s%s',
            lim.kind,
            case pg_catalog.split_part(lim.kind, '_', 1) when 'stake' then 'stakes' when 'loss' then 'losses'
                else 'bets' end,
            case pg_catalog.split_part(lim.kind, '_', 2) when '24h' then '24 hours' when '7d' then '7 days'
                else '30 days' end,
            lim.used, lim.amount,
            case when lim.kind = 'bets_24h' then '' else ' ' || limit_refusal.currency end
        );
    end if;
end
$$;
comment on function wallet_core.limit_refusal(bigint, text, text, bigint) is
'Why a guarded account may not make a bet of this stake now: its player''s exclusion, or the first '
'limit it would exceed (which limit, its window, the player''s own amounts); null when it may. Reads '
'index probes only: the exclusion, the limits, the newest counter row and one row per window.';

create or replace function wallet_core.session_refusal(player_id text, session_id text)
returns text
language plpgsql stable
set search_path = ''
as $$
declare
    session wallet_core.sessions;
begin
    if session_id is null then
        return 'the make names no session';
    end if;
    select s.* into session from wallet_core.sessions as s where s.session_id = session_refusal.session_id;
    if not found or session.player_id <> session_refusal.player_id then
        -- Another player's session is unknown to this player: nothing of it is told.
        return format('session %s is unknown', session_id);
    elsif session.closed_at is not null then
        return format('session %s is closed', session_id);
    elsif session.expires_at <= wallet_core.now() then
        return format('session %s has expired', session_id);
    end if;
    return null;
end
$$;
comment on function wallet_core.session_refusal(text, text) is
'Why a make naming this session is refused when session_check is enforce: no session, unknown, '
'another player''s, closed or expired; null when the session is open.';

-- Limits ----------------------------------------------------------------------------------------

create or replace function wallet_core.locked_account(player_id text, currency text)
returns wallet_core.accounts
language plpgsql
set search_path = ''
as $$
declare
    account wallet_core.accounts;
begin
    select a.* into account
    from wallet_core.accounts as a
    where a.player_id = locked_account.player_id and a.currency = locked_account.currency
    for no key update;
    if not found then
        raise exception using errcode = coalesce(wallet_core.player_refusal(player_id, currency), 'WA006'),
            message = format('player %s has no %s account', player_id, currency);
    end if;
    return account;
end
$$;
comment on function wallet_core.locked_account(text, text) is
'The player''s account in the currency, locked as bet/make locks it; WA006 or WA202 when there is none.';

create or replace function wallet_core.check_limit_change(kind text, reason text)
returns void
language plpgsql immutable
set search_path = ''
as $$
begin
    if kind is null or kind not in (
        'stake_per_bet', 'stake_24h', 'stake_7d', 'stake_30d', 'loss_24h', 'loss_7d', 'loss_30d', 'bets_24h'
    ) then
        raise sqlstate 'WA204' using message = format('%L is not a limit kind', kind),
            hint = 'stake_per_bet, stake_24h, stake_7d, stake_30d, loss_24h, loss_7d, loss_30d or bets_24h';
    end if;
    if reason is null or btrim(reason) = '' then
        raise sqlstate 'WA204' using message = 'a limit change needs a reason',
            hint = 'e.g. ''player request via the website, ticket 123''';
    end if;
end
$$;
comment on function wallet_core.check_limit_change(text, text) is
'WA204 unless the kind is a limit kind and the reason is not blank.';

create or replace function wallet_core.record_limit_change(
    account wallet_core.accounts, at timestamptz, action text, kind text, previous bigint, amount bigint,
    effective timestamptz, reason text
)
returns void
language plpgsql
set search_path = ''
as $$
begin
    insert into wallet_core.control_changes (
        changed_at, changed_by, action, player_id, currency, kind, old_amount, new_amount, effective_at, reason,
        journal_mark
    )
    values (
        at, session_user, action, account.player_id, account.currency, kind, previous, amount, effective, reason,
        wallet_core.journal_mark()
    );
    -- limit.removed carries no amount (jsonb orders keys itself, so the concatenation does not
    -- change the event's bytes).
    perform wallet_core.emit_event(
        action, account.player_id, account.currency, 0, account.balance,
        detail => jsonb_build_object(
            'kind', kind, 'previous', previous, 'reason', reason,
            'effective_at', pg_catalog.to_char(effective at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        ) || case when action = 'limit.set' then jsonb_build_object('amount', amount) else '{}' end
    );
end
$$;
comment on function wallet_core.record_limit_change(
    wallet_core.accounts, timestamptz, text, text, bigint, bigint, timestamptz, text
) is
'A limit change of set_limit or remove_limit (action limit.set or limit.removed): its row in the '
'append-only history, with who and the journal mark, and its event.';

create or replace function wallet.set_limit(
    player_id text, currency text, kind text, amount bigint, reason text
)
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
    account wallet_core.accounts;
    at timestamptz;
    current_limit wallet_core.limits;
    in_force bigint;
    effective timestamptz;
begin
    perform wallet_core.check_limit_change(kind, reason);
    if amount is null or amount < 0 or amount > wallet_core.max_amount() then
        raise sqlstate 'WA204' using
            message = format('a limit is an amount from 0 to %s in minor units', wallet_core.max_amount());
    end if;
    account := wallet_core.locked_account(player_id, currency);
    at := wallet_core.change_time();
    perform wallet_core.start_guarding(account.account_id);

    select l.* into current_limit
    from wallet_core.limits as l where l.account_id = account.account_id and l.kind = set_limit.kind;
    in_force := case
        when current_limit.pending and current_limit.effective_at <= at then current_limit.pending_amount
        else current_limit.amount
    end;
    -- Stricter (or new, or the same): at once, and any pending change is dropped. Looser: the
    -- value in force holds for the cooling-off period, and this change waits.
    effective := case
        when in_force is null or amount <= in_force then at
        else at + (select s.cooling_off from wallet_core.settings as s)
    end;
    insert into wallet_core.limits as l (account_id, kind, amount, pending, pending_amount, effective_at)
    values (
        account.account_id, kind, case when effective <= at then amount else in_force end, effective > at,
        case when effective > at then amount end, case when effective > at then effective end
    )
    on conflict on constraint limits_pkey do update set
        amount = excluded.amount, pending = excluded.pending, pending_amount = excluded.pending_amount,
        effective_at = excluded.effective_at;

    perform wallet_core.record_limit_change(account, at, 'limit.set', kind, in_force, amount, effective, reason);
    return effective;
end
$$;
comment on function wallet.set_limit(text, text, text, bigint, text) is
'Sets a limit of a player''s account (kind: stake_per_bet, stake_24h/7d/30d, loss_24h/7d/30d, '
'bets_24h; amount in minor units, a count for bets_24h). A stricter one (new, lower, the same) applies '
'at once and drops a pending change; a looser one waits for the cooling-off period. Returns when it '
'applies. Kept in the history with who, when and why; emits limit.set.';

create or replace function wallet.remove_limit(player_id text, currency text, kind text, reason text)
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
    account wallet_core.accounts;
    at timestamptz;
    current_limit wallet_core.limits;
    in_force bigint;
    effective timestamptz;
begin
    perform wallet_core.check_limit_change(kind, reason);
    account := wallet_core.locked_account(player_id, currency);
    at := wallet_core.change_time();
    select l.* into current_limit
    from wallet_core.limits as l where l.account_id = account.account_id and l.kind = remove_limit.kind;
    in_force := case
        when current_limit.pending and current_limit.effective_at <= at then current_limit.pending_amount
        else current_limit.amount
    end;
    if in_force is null then
        raise sqlstate 'WA208' using
            message = format('player %s has no %s limit in %s to remove', player_id, kind, currency);
    end if;
    -- A removal is looser: the limit holds for the cooling-off period.
    effective := at + (select s.cooling_off from wallet_core.settings as s);
    if effective <= at then
        delete from wallet_core.limits as l where l.account_id = account.account_id and l.kind = remove_limit.kind;
    else
        update wallet_core.limits as l
        set amount = in_force, pending = true, pending_amount = null, effective_at = effective
        where l.account_id = account.account_id and l.kind = remove_limit.kind;
    end if;

    perform wallet_core.record_limit_change(account, at, 'limit.removed', kind, in_force, null, effective, reason);
    return effective;
end
$$;
comment on function wallet.remove_limit(text, text, text, text) is
'Removes a limit after the cooling-off period (until then it holds, and the removal is pending). '
'Returns when the removal applies. WA208 when no such limit is in force. Kept in the history; emits '
'limit.removed.';

create or replace function wallet.limits(player_id text)
returns table (
    currency text, kind text, amount bigint, pending_amount bigint, pending_removal boolean,
    effective_at timestamptz
)
language sql stable
security definer
set search_path = ''
as $$
    select
        a.currency, l.kind, n.in_force,
        case when n.waiting then l.pending_amount end,
        n.waiting and l.pending_amount is null,
        case when n.waiting then l.effective_at end
    from wallet_core.accounts as a
    join wallet_core.limits as l on a.account_id = l.account_id
    cross join lateral (
        select
            l.pending and l.effective_at > wallet_core.now() as waiting,
            case when l.pending and l.effective_at <= wallet_core.now() then l.pending_amount else l.amount end
                as in_force
    ) as n
    where a.player_id = limits.player_id and n.in_force is not null
    order by a.currency, pg_catalog.array_position(
        array['stake_per_bet', 'stake_24h', 'stake_7d', 'stake_30d', 'loss_24h', 'loss_7d', 'loss_30d', 'bets_24h'],
        l.kind
    )
$$;
comment on function wallet.limits(text) is
'A player''s limits, one row per currency and kind: the amount in force now and, when a looser change '
'waits for its cooling-off, the pending amount (or pending_removal) and when it takes effect.';

-- Exclusions ------------------------------------------------------------------------------------

create or replace function wallet_core.close_sessions(player_id text, why text)
returns void
language plpgsql
set search_path = ''
as $$
declare
    closed record;
begin
    for closed in
        update wallet_core.sessions as s
        set closed_at = wallet_core.change_time(), closed_why = why
        where s.player_id = close_sessions.player_id and s.closed_at is null
        returning s.session_id
    loop
        perform wallet_core.emit_event(
            'session.closed', player_id, null, 0, null,
            detail => jsonb_build_object('session_id', closed.session_id, 'reason', why)
        );
    end loop;
end
$$;
comment on function wallet_core.close_sessions(text, text) is
'Closes every open session of a player, with why; emits session.closed for each.';

create or replace function wallet.exclude_player(player_id text, until timestamptz, reason text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
    at timestamptz;
    account_id bigint;
    current_exclusion wallet_core.exclusions;
begin
    if reason is null or btrim(reason) = '' then
        raise sqlstate 'WA204' using message = 'an exclusion needs a reason';
    end if;
    -- Every account of the player, locked in one order: a make in flight in any currency
    -- finishes before, or sees the exclusion.
    for account_id in
        select a.account_id from wallet_core.accounts as a where a.player_id = exclude_player.player_id
        order by a.account_id for no key update
    loop
        perform wallet_core.start_guarding(account_id);
    end loop;
    if account_id is null then
        raise sqlstate 'WA006' using message = format('player %s not found', player_id);
    end if;
    at := wallet_core.change_time();
    if until is not null and until <= at then
        raise sqlstate 'WA204' using message = format('until %s is not in the future', until);
    end if;
    select e.* into current_exclusion
    from wallet_core.exclusions as e
    where e.player_id = exclude_player.player_id and (e.until is null or e.until > at);
    if found and (current_exclusion.until is null and until is not null or until < current_exclusion.until) then
        raise sqlstate 'WA208' using
            message = format('player %s is excluded %s: an exclusion is never shortened', player_id,
                coalesce('until ' || current_exclusion.until::text, 'indefinitely')),
            hint = 'Only the compliance officer lifts one, with wallet.lift_exclusion().';
    end if;

    insert into wallet_core.exclusions as e (player_id, since, until, reason)
    values (player_id, at, until, reason)
    on conflict on constraint exclusions_pkey do update set since = excluded.since, until = excluded.until,
        reason = excluded.reason;
    insert into wallet_core.control_changes (
        changed_at, changed_by, action, player_id, effective_at, until, reason, journal_mark
    )
    values (at, session_user, 'player.excluded', player_id, at, until, reason, wallet_core.journal_mark());
    perform wallet_core.emit_event(
        'player.excluded', player_id, null, 0, null,
        detail => jsonb_build_object(
            'until', pg_catalog.to_char(until at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'reason', reason
        )
    );
    perform wallet_core.close_sessions(player_id, 'player excluded');
end
$$;
comment on function wallet.exclude_player(text, timestamptz, text) is
'Self-exclusion (until null: indefinite) or time-out (until a time) of a player in every currency: '
'every make is refused with 4001 until then; settlements still credit. Extends an exclusion in force, '
'never shortens it (WA208). Closes the player''s sessions. Kept in the history; emits player.excluded.';

create or replace function wallet.lift_exclusion(player_id text, reason text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
    at timestamptz;
    current_exclusion wallet_core.exclusions;
begin
    if reason is null or btrim(reason) = '' then
        raise sqlstate 'WA204' using message = 'lifting an exclusion needs a reason';
    end if;
    perform from wallet_core.accounts as a where a.player_id = lift_exclusion.player_id
    order by a.account_id for no key update;
    at := wallet_core.change_time();
    select e.* into current_exclusion
    from wallet_core.exclusions as e
    where e.player_id = lift_exclusion.player_id and (e.until is null or e.until > at)
    for update;
    if not found then
        raise sqlstate 'WA208' using message = format('player %s is not excluded', player_id);
    end if;
    if current_exclusion.until is null
        and current_exclusion.since > at - (select s.cooling_off from wallet_core.settings as s) then
        raise sqlstate 'WA208' using
            message = format('the indefinite exclusion of player %s is younger than the cooling-off period', player_id),
            hint = 'It may be lifted once it is older than wallet.settings.cooling_off.';
    end if;
    delete from wallet_core.exclusions as e where e.player_id = lift_exclusion.player_id;
    insert into wallet_core.control_changes (
        changed_at, changed_by, action, player_id, effective_at, reason, journal_mark
    )
    values (at, session_user, 'player.exclusion_lifted', player_id, at, reason, wallet_core.journal_mark());
    perform wallet_core.emit_event(
        'player.exclusion_lifted', player_id, null, 0, null, detail => jsonb_build_object('reason', reason)
    );
end
$$;
comment on function wallet.lift_exclusion(text, text) is
'For the compliance officer: ends a player''s exclusion or time-out now, with a reason kept in the '
'history; emits player.exclusion_lifted. Refuses (WA208) when the player is not excluded, or the '
'exclusion is indefinite and younger than the cooling-off period.';

-- Sessions --------------------------------------------------------------------------------------

create or replace function wallet.open_session(player_id text, session_id text, expires_at timestamptz)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
    at timestamptz;
begin
    if session_id is null or length(session_id) not between 1 and wallet_core.max_id_length() then
        raise sqlstate 'WA204' using
            message = format('session_id must be 1 to %s characters', wallet_core.max_id_length());
    end if;
    perform from wallet_core.accounts as a where a.player_id = open_session.player_id
    order by a.account_id for no key update;
    if not found then
        raise sqlstate 'WA006' using message = format('player %s not found', player_id);
    end if;
    at := wallet_core.change_time();
    if expires_at is null or expires_at <= at then
        raise sqlstate 'WA204' using message = 'a session must expire in the future';
    end if;
    if exists (
        select from wallet_core.exclusions as e
        where e.player_id = open_session.player_id and (e.until is null or e.until > at)
    ) then
        raise sqlstate 'WA208' using message = format('player %s is excluded: no session opens', player_id);
    end if;
    insert into wallet_core.sessions (session_id, player_id, opened_at, expires_at)
    values (session_id, player_id, at, expires_at)
    on conflict on constraint sessions_pkey do nothing;
    if not found then
        raise sqlstate 'WA208' using message = format('session %s exists already', session_id);
    end if;
    perform wallet_core.emit_event(
        'session.opened', player_id, null, 0, null,
        detail => jsonb_build_object(
            'session_id', session_id,
            'expires_at', pg_catalog.to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        )
    );
end
$$;
comment on function wallet.open_session(text, text, timestamptz) is
'Opens a session of the player''s front end until expires_at; emits session.opened. WA208 when the '
'session exists already or the player is excluded.';

create or replace function wallet.close_session(session_id text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
    closed wallet_core.sessions;
begin
    update wallet_core.sessions as s
    set closed_at = wallet_core.change_time(), closed_why = 'closed'
    where s.session_id = close_session.session_id and s.closed_at is null
    returning s.* into closed;
    if not found then
        if not exists (select from wallet_core.sessions as s where s.session_id = close_session.session_id) then
            raise sqlstate 'WA208' using message = format('session %s is unknown', session_id);
        end if;
        return false;
    end if;
    perform wallet_core.emit_event(
        'session.closed', closed.player_id, null, 0, null,
        detail => jsonb_build_object('session_id', session_id, 'reason', 'closed')
    );
    return true;
end
$$;
comment on function wallet.close_session(text) is
'Closes a session; true when it was open, false when it was closed already (WA208 when unknown). '
'Emits session.closed.';

-- The history -------------------------------------------------------------------------------------

create or replace view wallet.control_changes as
select
    c.change_id,
    c.changed_at,
    c.changed_by,
    c.action,
    c.player_id,
    c.currency,
    c.kind,
    c.old_amount,
    c.new_amount,
    c.effective_at,
    c.until,
    c.value,
    c.reason,
    c.journal_mark
from wallet_core.control_changes as c;
comment on view wallet.control_changes is
'Every responsible-gambling change, oldest first by change_id: limits set and removed (with the value '
'in force before and when the new one applies), exclusions and their lifting, setting changes; who, '
'when and why. Readable by the schema owner; grant SELECT to a compliance role.';

revoke all on function wallet.set_setting(text, text, text) from public;
revoke all on function wallet_core.window_of(text) from public;
revoke all on function wallet_core.journal_mark() from public;
revoke all on function wallet.purge_limit_counters(interval) from public;
revoke all on function wallet_core.count_activity(bigint, bigint, bigint, bigint) from public;
revoke all on function wallet_core.start_guarding(bigint) from public;
revoke all on function wallet_core.limit_refusal(bigint, text, text, bigint) from public;
revoke all on function wallet_core.session_refusal(text, text) from public;
revoke all on function wallet_core.locked_account(text, text) from public;
revoke all on function wallet_core.check_limit_change(text, text) from public;
revoke all on function wallet.set_limit(text, text, text, bigint, text) from public;
revoke all on function wallet.remove_limit(text, text, text, text) from public;
revoke all on function wallet.limits(text) from public;
revoke all on function wallet_core.close_sessions(text, text) from public;
revoke all on function wallet.exclude_player(text, timestamptz, text) from public;
revoke all on function wallet.lift_exclusion(text, text) from public;
revoke all on function wallet.open_session(text, text, timestamptz) from public;
revoke all on function wallet.close_session(text) from public;
