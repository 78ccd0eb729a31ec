-- The DBA interface: open accounts, adjust balances, block players, read balances, audit.
-- These raise wallet SQLSTATEs (see wallet_core.error_codes) instead of answering.

create or replace function wallet.create_player(player_id text, currency text, balance bigint default 0)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
    new_account wallet_core.accounts;
begin
    if player_id is null or length(player_id) not between 1 and wallet_core.max_id_length() then
        raise sqlstate 'WA204' using
            message = format('player_id must be 1 to %s characters', wallet_core.max_id_length());
    end if;
    if currency is null or currency !~ wallet_core.currency_pattern() then
        raise sqlstate 'WA202' using message = format('%L is not a currency code', currency),
            hint = '3 to 8 uppercase letters or digits, e.g. EUR or USDT';
    end if;
    if balance is null or balance < 0 then
        raise sqlstate 'WA204' using message = 'the opening balance must be zero or positive';
    end if;

    -- A player who is or was excluded is guarded in a new currency too.
    insert into wallet_core.accounts as a (player_id, currency, balance, guarded)
    values (
        create_player.player_id, create_player.currency, 0,
        exists (select from wallet_core.exclusions as e where e.player_id = create_player.player_id)
    )
    on conflict on constraint accounts_player_id_currency_key do nothing
    returning a.* into new_account;
    if not found then
        raise sqlstate 'WA207' using
            message = format('player %s already has a %s account', player_id, currency),
            hint = 'Use wallet.adjust_balance() to change its balance.';
    end if;

    if balance > 0 then
        new_account := wallet_core.post(new_account.account_id, 'deposit', balance, reason => 'opening balance');
    end if;
    perform wallet_core.emit_event(
        'player.created', new_account.player_id, new_account.currency, balance, new_account.balance
    );
    return new_account.account_id;
end
$$;
comment on function wallet.create_player(text, text, bigint) is
'Opens an account for a player in a currency, with an optional opening balance in minor units '
'(journaled as a deposit), and emits player.created. Returns the account id. Raises WA207 if the '
'account exists.';

create or replace function wallet.adjust_balance(player_id text, currency text, amount bigint, reason text)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
    account wallet_core.accounts;
begin
    if amount is null or amount = 0 then
        raise sqlstate 'WA204' using message = 'the adjustment must be a non-zero amount in minor units';
    end if;
    if reason is null or btrim(reason) = '' then
        raise sqlstate 'WA204' using message = 'a manual adjustment needs a reason',
            hint = 'e.g. ''deposit via cashier #123'' or ''goodwill credit, ticket 456''';
    end if;

    select a.* into account
    from wallet_core.accounts as a
    where a.player_id = adjust_balance.player_id and a.currency = adjust_balance.currency
    for no key update;
    if not found then
        raise exception using errcode = coalesce(wallet_core.player_refusal(player_id, currency), 'WA006'),
            message = format('player %s has no %s account', player_id, currency);
    end if;
    if amount < 0 and account.balance + amount < 0 then
        raise sqlstate 'WA201' using
            message = format('withdrawal of %s would take the balance of %s below zero', -amount, account.balance),
            detail = format('player %s, currency %s', player_id, currency);
    end if;

    account := wallet_core.post(
        account.account_id, case when amount > 0 then 'deposit' else 'withdrawal' end, amount,
        reason => adjust_balance.reason
    );
    perform wallet_core.emit_event(
        'balance.adjusted', account.player_id, account.currency, amount, account.balance,
        detail => jsonb_build_object('reason', reason)
    );
    return account.balance;
end
$$;
comment on function wallet.adjust_balance(text, text, bigint, text) is
'Manual deposit (positive amount) or withdrawal (negative, never below zero), journaled with its '
'reason; emits balance.adjusted. Returns the new balance.';

create or replace function wallet.block_player(player_id text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- Only the accounts not blocked yet: a second block changes nothing and makes no event.
    update wallet_core.accounts as a set blocked = true where a.player_id = block_player.player_id and not a.blocked;
    if found then
        perform wallet_core.emit_event('player.blocked', player_id, null, 0, null);
        perform wallet_core.close_sessions(player_id, 'player blocked');
    elsif not exists (select from wallet_core.accounts as a where a.player_id = block_player.player_id) then
        raise sqlstate 'WA006' using message = format('player %s not found', player_id);
    end if;
end
$$;
comment on function wallet.block_player(text) is
'Blocks a player in every currency: bet/make is refused with 1005; settlements, discards and '
'rollbacks still reach the player. Closes the player''s open sessions. Emits player.blocked when the '
'player was not blocked (and session.closed for each session it closed).';

create or replace function wallet.unblock_player(player_id text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- Only the blocked accounts: unblocking a player who is not blocked makes no event.
    update wallet_core.accounts as a set blocked = false where a.player_id = unblock_player.player_id and a.blocked;
    if found then
        perform wallet_core.emit_event('player.unblocked', player_id, null, 0, null);
    elsif not exists (select from wallet_core.accounts as a where a.player_id = unblock_player.player_id) then
        raise sqlstate 'WA006' using message = format('player %s not found', player_id);
    end if;
end
$$;
comment on function wallet.unblock_player(text) is
'Lifts a block set by wallet.block_player(); emits player.unblocked when the player was blocked.';

create or replace function wallet.balance(player_id text, currency text)
returns bigint
language plpgsql stable
security definer
set search_path = ''
as $$
declare
    found_balance bigint;
begin
    select a.balance into found_balance
    from wallet_core.accounts as a
    where a.player_id = balance.player_id and a.currency = balance.currency;
    if not found then
        raise exception using errcode = coalesce(wallet_core.player_refusal(player_id, currency), 'WA006'),
            message = format('player %s has no %s account', player_id, currency);
    end if;
    return found_balance;
end
$$;
comment on function wallet.balance(text, text) is 'The balance of a player''s account, in minor units.';

create or replace function wallet.audit()
returns table ("check" text, player_id text, detail text)
language sql stable
security definer
set search_path = ''
as $$
    -- every account balance equals the sum of its journal
    select 'balance_vs_journal', a.player_id,
        format('%s balance %s but journal sums to %s', a.currency, a.balance, coalesce(j.total, 0))
    from wallet_core.accounts as a
    left join (
        select account_id, sum(amount) as total from wallet_core.journal group by account_id
    ) as j on a.account_id = j.account_id
    where a.balance <> coalesce(j.total, 0)

    union all
    -- each journal row's balance_after follows from the previous one
    select 'journal_chain', a.player_id,
        format('journal entry %s: balance_after %s, expected %s', c.entry_id, c.balance_after, c.expected)
    from (
        select j.entry_id, j.account_id, j.balance_after,
            coalesce(lag(j.balance_after) over w, 0) + j.amount as expected
        from wallet_core.journal as j
        window w as (partition by j.account_id order by j.entry_id)
    ) as c
    join wallet_core.accounts as a on c.account_id = a.account_id
    where c.balance_after <> c.expected

    union all
    -- every made bet's stake was debited exactly once (its real part: the stake less what its bonus
    -- grant paid); a discard marker moved no money
    select 'stake_debit', a.player_id,
        format('bet %s (stake %s, bonus stake %s): %s stake debits summing to %s', b.bet_id, b.stake, b.bonus_stake,
            coalesce(d.n, 0), d.total)
    from wallet_core.bets as b
    join wallet_core.accounts as a on b.account_id = a.account_id
    left join (
        select bet_id, count(*) as n, sum(amount) as total
        from wallet_core.journal where operation = 'bet' group by bet_id
    ) as d on b.bet_id = d.bet_id
    where
        (b.made and (coalesce(d.n, 0) <> 1 or d.total <> b.bonus_stake - b.stake))
        or (not b.made and d.n is not null)

    union all
    -- a discarded bet got its stake back exactly once; no other bet got a discard credit
    select 'discard_credit', a.player_id,
        format('bet %s (%s, stake %s): discard credits %s', b.bet_id, b.state, b.stake, coalesce(d.total, 0))
    from wallet_core.bets as b
    join wallet_core.accounts as a on b.account_id = a.account_id
    left join (
        select bet_id, count(*) as n, sum(amount) as total
        from wallet_core.journal where operation = 'discard' group by bet_id
    ) as d on b.bet_id = d.bet_id
    where
        (b.made and b.state = 'discarded' and (coalesce(d.n, 0) <> 1 or d.total <> b.stake - b.bonus_stake))
        or ((not b.made or b.state <> 'discarded') and d.n is not null)

    union all
    -- settlements match the state: credits net of rollbacks equal what the current settlement moved
    select 'settlement_vs_state', a.player_id,
        format(
            'bet %s (%s/%s): settled_amount %s but wins, refunds and rollbacks net %s',
            b.bet_id, b.state, coalesce(b.result, '-'), b.settled_amount, coalesce(s.total, 0)
        )
    from wallet_core.bets as b
    join wallet_core.accounts as a on b.account_id = a.account_id
    left join (
        select bet_id, sum(amount) as total
        from wallet_core.journal where operation in ('win', 'refund', 'rollback') group by bet_id
    ) as s on b.bet_id = s.bet_id
    left join wallet_core.bet_bonuses as x on b.bet_id = x.bet_id
    where
        coalesce(s.total, 0) <> case
            when b.state in ('settled', 'closed') then
                wallet_core.real_credit(b.result, b.settled_amount, b.stake, b.bonus_stake, coalesce(x.win_net, false))
            else 0
        end
        or (b.result = 'lost' and b.settled_amount <> 0)
        or (b.result = 'refunded' and b.settled_amount > b.stake)

    union all
    -- no grant below zero, unless a rollback of a refund took back a give-back that was spent
    -- meanwhile (allowed, as for balances): negative_grant names that rollback
    select 'grant_below_zero', a.player_id,
        format('bonus %s (%s): remaining %s, and no rollback took it there', g.bonus_id, a.currency, g.remaining)
    from wallet_core.bonus_grants as g
    join wallet_core.accounts as a on g.account_id = a.account_id
    where g.remaining < 0 and not exists (
        select from wallet_core.bonus_journal as j
        where j.grant_id = g.grant_id and j.operation = 'rollback' and j.remaining_after <= g.remaining
    )

    union all
    select 'negative_grant', a.player_id,
        format('bonus %s (%s): remaining %s after rollback %s of bet %s', g.bonus_id, a.currency, g.remaining,
            r.transaction_id, r.bet_id)
    from wallet_core.bonus_grants as g
    join wallet_core.accounts as a on g.account_id = a.account_id
    cross join lateral (
        select j.transaction_id, j.bet_id
        from wallet_core.bonus_journal as j
        where j.grant_id = g.grant_id and j.operation = 'rollback' and j.remaining_after <= g.remaining
        order by j.entry_id desc
        limit 1
    ) as r
    where g.remaining < 0

    union all
    -- every grant's remainder is its amount, less what its bets took, plus what they gave back;
    -- and its history adds up to it
    select 'grant_remainder', a.player_id,
        format(
            'bonus %s (%s): remaining %s, but amount %s - taken %s + given back %s = %s, history sums to %s',
            g.bonus_id, a.currency, g.remaining, g.amount, coalesce(t.taken, 0), coalesce(t.returned, 0),
            g.amount - coalesce(t.taken, 0) + coalesce(t.returned, 0), coalesce(h.total, 0)
        )
    from wallet_core.bonus_grants as g
    join wallet_core.accounts as a on g.account_id = a.account_id
    left join (
        select x.grant_id, sum(b.bonus_stake) as taken, sum(x.returned) as returned
        from wallet_core.bet_bonuses as x
        join wallet_core.bets as b on x.bet_id = b.bet_id
        where x.grant_id is not null
        group by x.grant_id
    ) as t on g.grant_id = t.grant_id
    left join (
        select j.grant_id, sum(j.amount) as total from wallet_core.bonus_journal as j
        where j.grant_id is not null group by j.grant_id
    ) as h on g.grant_id = h.grant_id
    where
        g.remaining <> g.amount - coalesce(t.taken, 0) + coalesce(t.returned, 0)
        or g.remaining <> coalesce(h.total, 0)

    union all
    -- what each bonus bet gave back to its grant follows from its state: the bonus stake when
    -- discarded, the refunded part of it when refunded, nothing otherwise; a bet took from a
    -- grant only if it named one, and every bet named with a bonus has its bonus row
    select 'bonus_give_back', a.player_id,
        format('bet %s (%s/%s, bonus %s, bonus stake %s, grant %s): gave back %s to its grant', b.bet_id,
            b.state, coalesce(b.result, '-'), coalesce(b.bonus_id, '-'), b.bonus_stake,
            coalesce(x.grant_id::text, 'none'), coalesce(x.returned::text, 'no bonus row'))
    from wallet_core.bets as b
    join wallet_core.accounts as a on b.account_id = a.account_id
    left join wallet_core.bet_bonuses as x on b.bet_id = x.bet_id
    where
        (b.made and b.bonus_id is not null and x.bet_id is null)
        or (b.bonus_id is null and x.bet_id is not null)
        or (b.bonus_stake <> 0 and x.grant_id is null)
        or x.returned <> case
            when b.state = 'discarded' then b.bonus_stake
            when b.result = 'refunded' then least(b.settled_amount, b.bonus_stake)
            else 0
        end

    union all
    -- what the foreign keys dropped by migration 0600 refused: a bet or journal row on no account, a
    -- journal row naming no bet
    select 'orphan_row', a.player_id,
        format('journal entry %s names bet %s, which does not exist', j.entry_id, j.bet_id)
    from wallet_core.journal as j
    left join wallet_core.accounts as a on j.account_id = a.account_id
    where j.bet_id is not null and not exists (select from wallet_core.bets as b where b.bet_id = j.bet_id)
    union all
    select 'orphan_row', null,
        format('journal entry %s is on account %s, which does not exist', j.entry_id, j.account_id)
    from wallet_core.journal as j
    where not exists (select from wallet_core.accounts as a where a.account_id = j.account_id)
    union all
    select 'orphan_row', null,
        format('bet %s is on account %s, which does not exist', b.bet_id, b.account_id)
    from wallet_core.bets as b
    where not exists (select from wallet_core.accounts as a where a.account_id = b.account_id)

    -- what the CHECK constraints dropped by migration 0620 refused, row by row (a rule that is
    -- null holds, as a CHECK's would)
    union all
    select 'bet_rules', a.player_id, format('bet %s breaks its rule: %s', b.bet_id, r.rule)
    from wallet_core.bets as b
    left join wallet_core.accounts as a on b.account_id = a.account_id
    cross join lateral (values
        ('make_transaction_id of 1 to max_id_length() characters',
            length(b.make_transaction_id) between 1 and wallet_core.max_id_length()),
        ('state is open, accepted, settled, closed or discarded',
            b.state in ('open', 'accepted', 'settled', 'closed', 'discarded')),
        ('stake from 0 to max_amount()', b.stake between 0 and wallet_core.max_amount()),
        ('result is won, cashed_out, lost or refunded', b.result in ('won', 'cashed_out', 'lost', 'refunded')),
        ('settled_amount >= 0', b.settled_amount >= 0),
        ('closing_status is a bet/settlement status',
            b.closing_status in ('won', 'lost', 'canceled', 'refund', 'cashed out', 'half-won', 'half-lost')),
        ('potential_win >= 0', b.potential_win >= 0),
        ('odds > 0', b.odds > 0),
        ('cross_rate_euro > 0', b.cross_rate_euro > 0),
        ('bonus_stake >= 0', b.bonus_stake >= 0),
        ('settled or closed exactly when it has a result', (b.state in ('settled', 'closed')) = (b.result is not null)),
        ('a result exactly with its settlement', (b.result is null) = (b.settlement_transaction_id is null)),
        ('closed exactly with a closing status', (b.state = 'closed') = (b.closing_status is not null)),
        ('made, or a discard marker of stake 0', b.made or (b.state = 'discarded' and b.stake = 0))
    ) as r (rule, holds)
    where not r.holds

    union all
    select 'journal_rules', a.player_id, format('journal entry %s breaks its rule: %s', j.entry_id, r.rule)
    from wallet_core.journal as j
    left join wallet_core.accounts as a on j.account_id = a.account_id
    cross join lateral (values
        ('a known operation',
            j.operation in ('deposit', 'withdrawal', 'bet', 'discard', 'win', 'refund', 'rollback')),
        ('the sign of the amount', case j.operation
            when 'deposit' then j.amount > 0
            when 'discard' then j.amount >= 0
            when 'win' then j.amount >= 0
            when 'refund' then j.amount >= 0
            else j.amount <= 0
        end),
        ('no debit below zero', j.operation not in ('bet', 'withdrawal') or j.balance_after >= 0)
    ) as r (rule, holds)
    where not r.holds

    union all
    select 'event_rules', e.player_id, format('event %s breaks its rule: %s', e.event_id, r.rule)
    from wallet_core.events as e
    cross join lateral (values
        ('a known type', e.type in (
            'player.created', 'balance.adjusted', 'player.blocked', 'player.unblocked', 'bet.made', 'bet.committed',
            'bet.discarded', 'bet.won', 'bet.lost', 'bet.refunded', 'bet.rolled_back', 'bet.settled', 'limit.set',
            'limit.removed', 'player.excluded', 'player.exclusion_lifted', 'session.opened', 'session.closed',
            'bonus.granted', 'bonus.revoked'
        )),
        (
            -- or, for a real-money bet.made event (migration 0630), null with its bet row there
            'detail is an object',
            coalesce(
                jsonb_typeof(e.detail) = 'object',
                e.type = 'bet.made' and exists (select from wallet_core.bets as b where b.bet_id = e.bet_id and b.made)
            )
        ),
        ('a currency exactly for an account''s event', (e.type in (
            'player.blocked', 'player.unblocked', 'player.excluded', 'player.exclusion_lifted', 'session.opened',
            'session.closed'
        )) = (e.currency is null)),
        ('a balance exactly with a currency', (e.currency is null) = (e.balance is null))
    ) as r (rule, holds)
    where not r.holds

    union all
    select 'account_rules', a.player_id, format('account %s breaks its rule: %s', a.account_id, r.rule)
    from wallet_core.accounts as a
    cross join lateral (values
        ('player_id of 1 to max_id_length() characters',
            length(a.player_id) between 1 and wallet_core.max_id_length()),
        ('currency matches currency_pattern()', a.currency ~ wallet_core.currency_pattern())
    ) as r (rule, holds)
    where not r.holds

    union all
    -- every operation key that was claimed has its answer
    select 'unanswered_operation', null, format('%s %s (%s) has no stored answer', i.kind, i.key, i.route)
    from wallet_core.idempotency as i
    where i.response is null

    union all
    -- negative balances, each with the rollback that took the account below zero
    select 'negative_balance', a.player_id,
        format(
            '%s balance %s after rollback %s of bet %s',
            a.currency, a.balance, coalesce(r.transaction_id, '(none found)'), coalesce(r.bet_id::text, '-')
        )
    from wallet_core.accounts as a
    left join lateral (
        select j.transaction_id, j.bet_id
        from wallet_core.journal as j
        where j.account_id = a.account_id and j.operation = 'rollback' and j.balance_after < 0
        order by j.entry_id desc
        limit 1
    ) as r on true
    where a.balance < 0

    union all
    -- no make was accepted while its player was excluded (self-exclusion or time-out). A change
    -- counts for the makes after it in lock order: those whose journal entry is newer than the
    -- change's journal_mark (read under the player's locks).
    select 'make_while_excluded', a.player_id,
        format('bet %s of %s %s at %s while excluded %s', j.bet_id, -j.amount, a.currency, j.created_at,
            coalesce('until ' || x.until::text, 'indefinitely'))
    from wallet_core.journal as j
    join wallet_core.accounts as a on j.account_id = a.account_id and a.guarded
    cross join lateral (
        select c.action, c.until
        from wallet_core.control_changes as c
        where
            c.player_id = a.player_id and c.action in ('player.excluded', 'player.exclusion_lifted')
            and c.journal_mark < j.entry_id
        order by c.journal_mark desc, c.change_id desc
        limit 1
    ) as x
    where j.operation = 'bet' and x.action = 'player.excluded' and (x.until is null or x.until > j.created_at)

    union all
    -- no make was accepted above a limit in force, the windows summed the slow way from the
    -- journal (exactly W back: the counters' windows may reach up to a minute further, never less)
    select 'make_over_limit', a.player_id,
        format('bet %s of %s %s at %s: %s %s, limit %s', j.bet_id, -j.amount, a.currency, j.created_at, l.kind,
            case pg_catalog.split_part(l.kind, '_', 1)
                when 'stake' then case when l.kind = 'stake_per_bet' then -j.amount else s.stakes end
                when 'loss' then s.stakes - s.credits
                else s.bets
            end, l.amount)
    from wallet_core.journal as j
    join wallet_core.accounts as a on j.account_id = a.account_id and a.guarded
    cross join lateral (
        select distinct on (c.kind)
            c.kind,
            case
                when c.effective_at = c.changed_at or c.effective_at <= j.created_at then c.new_amount
                else c.old_amount
            end as amount
        from wallet_core.control_changes as c
        where
            c.player_id = a.player_id and c.currency = a.currency and c.action in ('limit.set', 'limit.removed')
            and c.journal_mark < j.entry_id
        order by c.kind, c.journal_mark desc, c.change_id desc
    ) as l
    cross join lateral (
        select
            coalesce(sum(-w.amount) filter (where w.operation = 'bet'), 0) as stakes,
            coalesce(sum(w.amount) filter (where w.operation <> 'bet'), 0) as credits,
            count(*) filter (where w.operation = 'bet') as bets
        from wallet_core.journal as w
        where
            w.account_id = j.account_id and w.entry_id <= j.entry_id
            and w.created_at > j.created_at - wallet_core.window_of(l.kind)
            and w.operation in ('bet', 'win', 'refund', 'discard', 'rollback')
    ) as s
    where
        j.operation = 'bet' and l.amount is not null
        and case pg_catalog.split_part(l.kind, '_', 1)
            when 'stake' then case when l.kind = 'stake_per_bet' then -j.amount else s.stakes end
            when 'loss' then s.stakes - s.credits
            else s.bets
        end > l.amount

    -- books (issue 15): every win, refund and rollback the books keep (wallet_core.bet_operations)
    -- moved what its journal row moved, on its bet's account; a lost moved nothing
    union all
    select 'books_vs_journal', a.player_id,
        format('%s %s of bet %s: the books say %s, the journal %s in %s row(s)', o.operation, o.transaction_id,
            o.bet_id, o.credited, coalesce(j.total, 0), coalesce(j.n, 0))
    from wallet_core.bet_operations as o
    join wallet_core.bets as b on o.bet_id = b.bet_id
    join wallet_core.accounts as a on b.account_id = a.account_id
    left join (
        select x.bet_id, x.transaction_id, sum(abs(x.amount)) as total, count(*) as n
        from wallet_core.journal as x
        where x.operation in ('win', 'refund', 'rollback') and x.bet_id is not null
        group by x.bet_id, x.transaction_id
    ) as j on o.bet_id = j.bet_id and o.transaction_id = j.transaction_id
    where coalesce(j.total, 0) <> o.credited or coalesce(j.n, 0) > 1 or o.account_id <> b.account_id
$$;
comment on function wallet.audit() is
'Checks the ledger''s invariants; one row per finding (check, player_id, detail). A healthy ledger '
'returns only negative_balance rows, one per account below zero, naming the rollback that took it '
'there, and negative_grant rows, one per bonus grant a rollback of a refund took below zero. Any other '
'row is a broken invariant (orphan_row: a bet or journal row on no account, a journal row naming no bet; '
'bet_rules, journal_rules, event_rules, account_rules: a row breaking a rule its table''s CHECK constraints '
'enforced before migration 0620; '
'make_while_excluded, make_over_limit: a make accepted against an exclusion '
'or a limit in force; grant_below_zero, grant_remainder, bonus_give_back: a bonus grant whose remainder '
'is not what its bets took and gave back; books_vs_journal: a kept win, refund or rollback whose real '
'credit differs from its journal row).';

revoke all on function wallet.create_player(text, text, bigint) from public;
revoke all on function wallet.adjust_balance(text, text, bigint, text) from public;
revoke all on function wallet.block_player(text) from public;
revoke all on function wallet.unblock_player(text) from public;
revoke all on function wallet.balance(text, text) from public;
revoke all on function wallet.audit() from public;
