-- bet/make: debit the stake, store the bet slip and its selections, insert new reference data.

create or replace function wallet_core.record_references(
    sports wallet_core.sports[], categories wallet_core.categories[], tournaments wallet_core.tournaments[]
)
returns void
language plpgsql
set search_path = ''
as $$
begin
    -- New rows go in in key order (sports, then categories, then tournaments, each sorted), so
    -- two bet slips naming the same new keys in opposite orders wait for each other instead of
    -- deadlocking, and nobody gets a duplicate-key error. Existing rows are not touched.
    insert into wallet_core.sports (sport_id, name)
    select distinct on (s.sport_id) s.sport_id, s.name from unnest(sports) as s order by s.sport_id
    on conflict (sport_id) do nothing;
    insert into wallet_core.categories (category_id, sport_id, name)
    select distinct on (c.category_id) c.category_id, c.sport_id, c.name from unnest(categories) as c
    order by c.category_id
    on conflict (category_id) do nothing;
    insert into wallet_core.tournaments (tournament_id, category_id, name)
    select distinct on (t.tournament_id) t.tournament_id, t.category_id, t.name from unnest(tournaments) as t
    order by t.tournament_id
    on conflict (tournament_id) do nothing;

    -- A renamed row is rewritten, locked first in key order; an unchanged one is not locked.
    perform from wallet_core.sports as r join unnest(sports) as s on r.sport_id = s.sport_id
    where r.name <> s.name order by r.sport_id for no key update of r;
    update wallet_core.sports as r set name = s.name from unnest(sports) as s
    where r.sport_id = s.sport_id and r.name <> s.name;
    perform from wallet_core.categories as r join unnest(categories) as c on r.category_id = c.category_id
    where r.name <> c.name order by r.category_id for no key update of r;
    update wallet_core.categories as r set name = c.name from unnest(categories) as c
    where r.category_id = c.category_id and r.name <> c.name;
    perform from wallet_core.tournaments as r join unnest(tournaments) as t on r.tournament_id = t.tournament_id
    where r.name <> t.name order by r.tournament_id for no key update of r;
    update wallet_core.tournaments as r set name = t.name from unnest(tournaments) as t
    where r.tournament_id = t.tournament_id and r.name <> t.name;
end
$$;
comment on function wallet_core.record_references(
    wallet_core.sports[], wallet_core.categories[], wallet_core.tournaments[]
) is
'Inserts the sports, categories and tournaments a bet slip names when new, renames changed ones; '
'deadlock-free by fixed key order.';

create or replace function wallet.bet_make(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_transaction jsonb;
    v_betslip jsonb;
    v_player_id text;
    v_currency text;
    v_amount bigint;
    v_transaction_id text;
    v_selection jsonb;
    v_position integer;
    v_field text;
    v_selections wallet_core.selections[] := '{}'::wallet_core.selections[];
    v_sports wallet_core.sports[] := '{}'::wallet_core.sports[];
    v_categories wallet_core.categories[] := '{}'::wallet_core.categories[];
    v_tournaments wallet_core.tournaments[] := '{}'::wallet_core.tournaments[];
    v_bet wallet_core.bets;
    v_claim record;
    v_account wallet_core.accounts;
begin
    -- 1. Validate. A malformed request is answered and not stored.
    begin
        perform wallet_core.as_object(request, 'payload');
        v_transaction := wallet_core.as_object(request -> 'transaction', 'transaction');
        v_betslip := wallet_core.as_object(request -> 'betslip', 'betslip');

        v_player_id := wallet_core.as_id(request -> 'player_id', 'player_id');
        perform wallet_core.expect_equal(
            'transaction.ext_player_id',
            wallet_core.as_id(v_transaction -> 'ext_player_id', 'transaction.ext_player_id', false),
            v_player_id
        );
        v_currency := wallet_core.as_currency(request -> 'currency', 'currency');
        perform wallet_core.expect_equal(
            'transaction.currency',
            wallet_core.as_currency(v_transaction -> 'currency', 'transaction.currency', false),
            v_currency
        );
        v_amount := wallet_core.as_amount(request -> 'amount', 'amount');
        perform wallet_core.expect_equal(
            'transaction.amount', wallet_core.as_amount(v_transaction -> 'amount', 'transaction.amount'), v_amount
        );
        perform wallet_core.expect_equal(
            'betslip.sum', wallet_core.as_amount(v_betslip -> 'sum', 'betslip.sum', false), v_amount
        );
        v_transaction_id := wallet_core.as_id(v_transaction -> 'id', 'transaction.id');
        if (v_transaction ->> 'operation') is distinct from 'bet' then
            perform wallet_core.reject('transaction.operation', 'must be "bet"');
        end if;

        v_bet.make_transaction_id := v_transaction_id;
        v_bet.made := true;
        v_bet.state := 'open';
        v_bet.stake := v_amount;
        v_bet.session_id := wallet_core.as_id(request -> 'session_id', 'session_id', false);
        v_bet.bonus_id := wallet_core.as_id(request -> 'bonus_id', 'bonus_id', false);
        v_bet.potential_win := wallet_core.as_amount(request -> 'potential_win', 'potential_win', false);
        v_bet.betslip_id := wallet_core.as_id(v_betslip -> 'id', 'betslip.id');
        perform wallet_core.expect_equal(
            'transaction.betslip_id',
            wallet_core.as_id(v_transaction -> 'betslip_id', 'transaction.betslip_id', false),
            v_bet.betslip_id
        );
        v_bet.provider_player_id := wallet_core.as_id(v_transaction -> 'player_id', 'transaction.player_id', false);
        v_bet.transaction_at := wallet_core.as_timestamp(v_transaction -> 'timestamp', 'transaction.timestamp', false);
        v_bet.placed_at := wallet_core.as_timestamp(v_betslip -> 'timestamp', 'betslip.timestamp', false);
        v_bet.betslip_type := wallet_core.as_text(v_betslip -> 'type', 'betslip.type', true, 64);
        v_bet.odds := wallet_core.as_decimal(v_betslip -> 'k', 'betslip.k');
        v_bet.is_quick_bet := wallet_core.as_boolean(v_betslip -> 'is_quick_bet', 'betslip.is_quick_bet');
        v_bet.accept_odds_change :=
            wallet_core.as_boolean(v_betslip -> 'accept_odds_change', 'betslip.accept_odds_change');

        if jsonb_typeof(v_betslip -> 'bets') is distinct from 'array'
            or jsonb_array_length(v_betslip -> 'bets') = 0 then
            perform wallet_core.reject('betslip.bets', 'must be a non-empty array of selections');
        end if;
        if jsonb_array_length(v_betslip -> 'bets') > 100 then
            perform wallet_core.reject('betslip.bets', 'has more than 100 selections');
        end if;
        for v_selection, v_position in
            select e.value, e.position - 1
            from jsonb_array_elements(v_betslip -> 'bets') with ordinality as e (value, position)
        loop
            v_field := format('betslip.bets[%s]', v_position);
            perform wallet_core.as_object(v_selection, v_field);
            v_sports := v_sports || row(
                wallet_core.as_id(v_selection -> 'sport_id', v_field || '.sport_id'),
                wallet_core.as_text(v_selection -> 'sport_name', v_field || '.sport_name'),
                null
            )::wallet_core.sports;
            v_categories := v_categories || row(
                wallet_core.as_id(v_selection -> 'category_id', v_field || '.category_id'),
                wallet_core.as_id(v_selection -> 'sport_id', v_field || '.sport_id'),
                wallet_core.as_text(v_selection -> 'category_name', v_field || '.category_name'),
                null
            )::wallet_core.categories;
            v_tournaments := v_tournaments || row(
                wallet_core.as_id(v_selection -> 'tournament_id', v_field || '.tournament_id'),
                wallet_core.as_id(v_selection -> 'category_id', v_field || '.category_id'),
                wallet_core.as_text(v_selection -> 'tournament_name', v_field || '.tournament_name'),
                null
            )::wallet_core.tournaments;
            v_selections := v_selections || row(
                null,
                v_position,
                wallet_core.as_id(v_selection -> 'id', v_field || '.id'),
                wallet_core.as_id(v_selection -> 'event_id', v_field || '.event_id'),
                wallet_core.as_id(v_selection -> 'sport_id', v_field || '.sport_id'),
                wallet_core.as_id(v_selection -> 'category_id', v_field || '.category_id'),
                wallet_core.as_id(v_selection -> 'tournament_id', v_field || '.tournament_id'),
                wallet_core.as_text_array(v_selection -> 'competitor_name', v_field || '.competitor_name'),
                wallet_core.as_text(v_selection -> 'market_name', v_field || '.market_name', false),
                wallet_core.as_text(v_selection -> 'outcome_name', v_field || '.outcome_name', false),
                wallet_core.as_timestamp(v_selection -> 'scheduled', v_field || '.scheduled', false),
                wallet_core.as_boolean(v_selection -> 'live', v_field || '.live'),
                wallet_core.as_decimal(v_selection -> 'odds', v_field || '.odds')
            )::wallet_core.selections;
        end loop;
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        select a.status, a.body into status, body from wallet_core.malformed_answer(sqlstate, sqlerrm) as a;
        return;
    end;

    -- 2. Claim the operation key: a replay answers what was stored, a conflict is 2004.
    select c.* into v_claim
    from wallet_core.claim(
        'transaction', v_transaction_id, 'bet/make',
        jsonb_build_object(
            'operation', 'bet', 'player', v_player_id, 'amount', v_amount, 'currency', v_currency, 'parent', null
        )
    ) as c;
    if v_claim.status is not null then
        status := v_claim.status;
        body := v_claim.body;
        return;
    end if;

    -- 3. Lock the player's account: the one hot lock, taken before anything else is written.
    --    FOR NO KEY UPDATE, not FOR UPDATE: the foreign keys of bets and journal rows take
    --    KEY SHARE on this row, and a discard racing this make must not wait on it while this
    --    make waits on the discard's marker (a deadlock).
    select a.* into v_account
    from wallet_core.accounts as a
    where a.player_id = v_player_id and a.currency = v_currency
    for no key update;

    -- 4. Check, in the contract's order; every refusal is stored and replayed.
    if not found then
        select r.status, r.body into status, body
        from wallet_core.refuse(
            'transaction', v_transaction_id, wallet_core.player_refusal(v_player_id, v_currency),
            format('player %s has no %s account', v_player_id, v_currency)
        ) as r;
        return;
    end if;
    if v_account.blocked then
        select r.status, r.body into status, body
        from wallet_core.refuse('transaction', v_transaction_id, 'WA005', format('player %s is blocked', v_player_id))
            as r;
        return;
    end if;
    if exists (select from wallet_core.bets as b where b.make_transaction_id = v_transaction_id) then
        select r.status, r.body into status, body
        from wallet_core.refuse(
            'transaction', v_transaction_id, 'WA206',
            format('transaction %s was discarded before it was made', v_transaction_id)
        ) as r;
        return;
    end if;
    if v_account.balance < v_amount then
        select r.status, r.body into status, body
        from wallet_core.refuse(
            'transaction', v_transaction_id, 'WA201',
            format('balance %s is less than the stake %s', v_account.balance, v_amount)
        ) as r;
        return;
    end if;

    -- 5. Write: the bet (a discard racing in from another session makes the insert conflict),
    --    the reference data in a fixed key order, the selections, the debit and its journal entry.
    v_bet.bet_id := v_claim.operation_id;
    v_bet.account_id := v_account.account_id;
    v_bet.settled_amount := 0;
    v_bet.created_at := now();
    v_bet.updated_at := now();
    insert into wallet_core.bets select v_bet.*
    on conflict (make_transaction_id) do nothing;
    if not found then
        select r.status, r.body into status, body
        from wallet_core.refuse(
            'transaction', v_transaction_id, 'WA206',
            format('transaction %s was discarded before it was made', v_transaction_id)
        ) as r;
        return;
    end if;

    perform wallet_core.record_references(v_sports, v_categories, v_tournaments);

    insert into wallet_core.selections
    select
        v_bet.bet_id, s.position, s.selection_id, s.event_id, s.sport_id, s.category_id, s.tournament_id,
        s.competitor_names, s.market_name, s.outcome_name, s.scheduled_at, s.live, s.odds
    from unnest(v_selections) as s;

    update wallet_core.accounts as a
    set balance = a.balance - v_amount
    where a.account_id = v_account.account_id
    returning a.* into v_account;

    insert into wallet_core.journal (account_id, operation, amount, balance_after, transaction_id, bet_id)
    values (v_account.account_id, 'bet', -v_amount, v_account.balance, v_transaction_id, v_bet.bet_id);

    -- 6. Answer, and store the answer for replays.
    select a.status, a.body into status, body
    from wallet_core.answer(
        'transaction', v_transaction_id, 200,
        wallet_core.operation_answer(
            v_bet.bet_id, v_transaction_id, null, v_player_id, 'bet', v_amount, v_currency, v_account.balance
        )
    ) as a;
end
$$;
comment on function wallet.bet_make(jsonb) is
'Route bet/make. Takes the request (the JWT payload claim) and returns (status, body) to send back. '
'Debits the stake, stores the bet slip and its selections, inserts new sports/categories/tournaments. '
'Exactly once per transaction.id.';

revoke all on function wallet.bet_make(jsonb) from public;
grant execute on function wallet.bet_make(jsonb) to wallet_app;
