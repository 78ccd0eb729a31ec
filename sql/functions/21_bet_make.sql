-- bet/make: debit the stake, store the bet slip and its selections, record new reference data.

create or replace function wallet_core.read_make_quickly(request jsonb)
returns wallet_core.make_request
language plpgsql stable
set search_path = ''
-- A custom plan would fold the whole request into constants while planning, on every call.
set plan_cache_mode = force_generic_plan
as $$
declare
    read wallet_core.make_request;
begin
    -- 1. Is every field of its usual JSON type, within its range, equal to what it must equal?
    --    One JSON path, in lax mode: every accessor is guarded by its .type(), and arrays are
    --    iterated through .type() or once their items are known to be objects, so that no array
    --    is unwrapped. JSON null counts as absent, as for the field-by-field reader. (Lengths
    --    are checked below: a counted regular expression costs more than the rest together.)
    if not coalesce(jsonb_path_match(request, '
        $.type() == "object"
        && $.player_id.type() == "string"
        && $.currency.type() == "string" && $.currency like_regex "^[A-Z0-9]{3,8}$"
        && $.amount.type() == "number" && $.amount >= 0 && $.amount <= 1000000000000000
        && (!exists($.session_id) || $.session_id.type() == "null" || $.session_id.type() == "string")
        && (!exists($.bonus_id) || $.bonus_id.type() == "null" || $.bonus_id.type() == "string")
        && (!exists($.potential_win) || $.potential_win.type() == "null" || $.potential_win.type() == "number" && $.potential_win >= 0 && $.potential_win <= 1000000000000000)
        && $.transaction.type() == "object"
        && $.transaction.id.type() == "string"
        && $.transaction.operation.type() == "string" && $.transaction.operation == "bet"
        && (!exists($.transaction.ext_player_id) || $.transaction.ext_player_id.type() == "null"
            || $.transaction.ext_player_id.type() == "string" && $.transaction.ext_player_id == $.player_id)
        && (!exists($.transaction.currency) || $.transaction.currency.type() == "null"
            || $.transaction.currency.type() == "string" && $.transaction.currency == $.currency)
        && $.transaction.amount.type() == "number" && $.transaction.amount == $.amount
        && (!exists($.transaction.player_id) || $.transaction.player_id.type() == "null" || $.transaction.player_id.type() == "string")
        && (!exists($.transaction.betslip_id) || $.transaction.betslip_id.type() == "null"
            || $.transaction.betslip_id.type() == "string" && $.transaction.betslip_id == $.betslip.id)
        && (!exists($.transaction.timestamp) || $.transaction.timestamp.type() == "null" || $.transaction.timestamp.type() == "number" && $.transaction.timestamp >= 0 && $.transaction.timestamp < 100000000000)
        && $.betslip.type() == "object"
        && $.betslip.id.type() == "string"
        && (!exists($.betslip.sum) || $.betslip.sum.type() == "null" || $.betslip.sum.type() == "number" && $.betslip.sum == $.amount)
        && (!exists($.betslip.timestamp) || $.betslip.timestamp.type() == "null" || $.betslip.timestamp.type() == "number" && $.betslip.timestamp >= 0 && $.betslip.timestamp < 100000000000)
        && $.betslip."type".type() == "string"
        && ($.betslip.k.type() == "number" && $.betslip.k > 0 && $.betslip.k < 1000000000000
            || $.betslip.k.type() == "string" && $.betslip.k like_regex "^[0-9]{1,12}(\\.[0-9]{1,12})?$" && $.betslip.k like_regex "[1-9]")
        && (!exists($.betslip.is_quick_bet) || $.betslip.is_quick_bet.type() == "null" || $.betslip.is_quick_bet.type() == "boolean")
        && (!exists($.betslip.accept_odds_change) || $.betslip.accept_odds_change.type() == "null" || $.betslip.accept_odds_change.type() == "boolean")
        && $.betslip.bets.type() == "array" && $.betslip.bets.size() >= 1 && $.betslip.bets.size() <= 100
        && !exists($.betslip.bets[*].type() ? (@ != "object"))
        && !exists($.betslip.bets[*] ? (!(
            @.id.type() == "string"
            && @.event_id.type() == "string"
            && @.sport_id.type() == "string"
            && @.category_id.type() == "string"
            && @.tournament_id.type() == "string"
            && @.sport_name.type() == "string"
            && @.category_name.type() == "string"
            && @.tournament_name.type() == "string"
            && (!exists(@.market_name) || @.market_name.type() == "null" || @.market_name.type() == "string")
            && (!exists(@.outcome_name) || @.outcome_name.type() == "null" || @.outcome_name.type() == "string")
            && (!exists(@.competitor_name) || @.competitor_name.type() == "null"
                || @.competitor_name.type() == "array" && !exists(@.competitor_name[*].type() ? (@ != "string")))
            && (!exists(@.scheduled) || @.scheduled.type() == "null" || @.scheduled.type() == "number" && @.scheduled >= 0 && @.scheduled < 100000000000)
            && (!exists(@.live) || @.live.type() == "null" || @.live.type() == "boolean")
            && (@.odds.type() == "number" && @.odds > 0 && @.odds < 1000000000000
                || @.odds.type() == "string" && @.odds like_regex "^[0-9]{1,12}(\\.[0-9]{1,12})?$" && @.odds like_regex "[1-9]")
        )))
    ', silent => true), false) then
        return null;
    end if;
    -- Amounts have no fraction, not even .0 (jsonb_path cannot see a number's scale).
    if scale((request -> 'amount')::numeric) > 0
        or scale((request -> 'transaction' -> 'amount')::numeric) > 0
        or scale(coalesce(nullif(request -> 'potential_win', 'null'), '0')::numeric) > 0
        or scale(coalesce(nullif(request -> 'betslip' -> 'sum', 'null'), '0')::numeric) > 0 then
        return null;
    end if;

    -- 2. Then the types read it, in one typed step, and the lengths are checked.
    select
        t.id, r.player_id, r.currency, r.amount, r.session_id, r.bonus_id, r.potential_win, s.id, t.player_id,
        to_timestamp(t.timestamp::double precision), to_timestamp(s.timestamp::double precision),
        s.type, s.k, s.is_quick_bet, s.accept_odds_change, e.selections
    into read
    from jsonb_to_record(request) as r (
        player_id text, currency text, amount bigint, session_id text, bonus_id text, potential_win bigint
    )
    cross join jsonb_to_record(request -> 'transaction') as t (id text, player_id text, "timestamp" numeric)
    cross join jsonb_to_record(request -> 'betslip') as s (
        id text, type text, k numeric, "timestamp" numeric, is_quick_bet boolean, accept_odds_change boolean,
        bets jsonb
    )
    cross join lateral (
        select
            array_agg(row(
                e.n - 1, e.id, e.event_id, e.sport_id, e.sport_name, e.category_id, e.category_name,
                e.tournament_id, e.tournament_name, e.competitor_name, e.market_name, e.outcome_name,
                to_timestamp(e.scheduled::double precision), e.live, e.odds
            )::wallet_core.selection_request order by e.n) as selections,
            bool_and(
                length(e.id) between 1 and 128 and length(e.event_id) between 1 and 128
                and length(e.sport_id) between 1 and 128 and length(e.category_id) between 1 and 128
                and length(e.tournament_id) between 1 and 128 and length(e.sport_name) <= 1000
                and length(e.category_name) <= 1000 and length(e.tournament_name) <= 1000
                and coalesce(length(e.market_name) <= 1000, true) and coalesce(length(e.outcome_name) <= 1000, true)
            ) as lengths
        from rows from (
            jsonb_to_recordset(s.bets) as (
                id text, event_id text, sport_id text, sport_name text, category_id text,
                category_name text, tournament_id text, tournament_name text, competitor_name text [],
                market_name text, outcome_name text, scheduled numeric, live boolean, odds numeric
            )
        ) with ordinality as e (
            id, event_id, sport_id, sport_name, category_id, category_name, tournament_id,
            tournament_name, competitor_name, market_name, outcome_name, scheduled, live, odds, n
        )
    ) as e
    where
        length(t.id) between 1 and 128 and length(r.player_id) between 1 and 128
        and coalesce(length(r.session_id) between 1 and 128, true)
        and coalesce(length(r.bonus_id) between 1 and 128, true)
        and coalesce(length(t.player_id) between 1 and 128, true)
        and length(s.id) between 1 and 128 and length(s.type) <= 64 and e.lengths;
    if not found then
        return null;
    end if;
    return read;
end
$$;
comment on function wallet_core.read_make_quickly(jsonb) is
'bet/make''s fast reader: when every field has its usual JSON type (ids and names strings, amounts '
'integers, odds numbers or decimal strings, times numbers) and is within its limits, the typed request '
'in one step; otherwise null, and wallet_core.read_make_slowly reads it field by field. Never refuses.';

create or replace function wallet_core.read_make_slowly(request jsonb)
returns wallet_core.make_request
language plpgsql stable
set search_path = ''
as $$
declare
    tx jsonb;
    slip jsonb;
    selection jsonb;
    n integer;
    field text;
    one wallet_core.selection_request;
    read wallet_core.make_request;
begin
    perform wallet_core.as_object(request, 'payload');
    tx := wallet_core.as_object(request -> 'transaction', 'transaction');
    slip := wallet_core.as_object(request -> 'betslip', 'betslip');

    read.player_id := wallet_core.as_id(request -> 'player_id', 'player_id');
    perform wallet_core.expect_equal(
        'transaction.ext_player_id',
        wallet_core.as_id(tx -> 'ext_player_id', 'transaction.ext_player_id', false), read.player_id
    );
    read.currency := wallet_core.as_currency(request -> 'currency', 'currency');
    perform wallet_core.expect_equal(
        'transaction.currency', wallet_core.as_currency(tx -> 'currency', 'transaction.currency', false),
        read.currency
    );
    read.amount := wallet_core.as_amount(request -> 'amount', 'amount');
    perform wallet_core.expect_equal(
        'transaction.amount', wallet_core.as_amount(tx -> 'amount', 'transaction.amount'), read.amount
    );
    perform wallet_core.expect_equal(
        'betslip.sum', wallet_core.as_amount(slip -> 'sum', 'betslip.sum', false), read.amount
    );
    read.transaction_id := wallet_core.as_id(tx -> 'id', 'transaction.id');
    if (tx ->> 'operation') is distinct from 'bet' then
        perform wallet_core.reject('transaction.operation', 'must be "bet"');
    end if;

    read.session_id := wallet_core.as_id(request -> 'session_id', 'session_id', false);
    read.bonus_id := wallet_core.as_id(request -> 'bonus_id', 'bonus_id', false);
    read.potential_win := wallet_core.as_amount(request -> 'potential_win', 'potential_win', false);
    read.betslip_id := wallet_core.as_id(slip -> 'id', 'betslip.id');
    perform wallet_core.expect_equal(
        'transaction.betslip_id', wallet_core.as_id(tx -> 'betslip_id', 'transaction.betslip_id', false),
        read.betslip_id
    );
    read.provider_player_id := wallet_core.as_id(tx -> 'player_id', 'transaction.player_id', false);
    read.transaction_at := wallet_core.as_timestamp(tx -> 'timestamp', 'transaction.timestamp', false);
    read.placed_at := wallet_core.as_timestamp(slip -> 'timestamp', 'betslip.timestamp', false);
    read.betslip_type := wallet_core.as_text(slip -> 'type', 'betslip.type', true, 64);
    read.odds := wallet_core.as_decimal(slip -> 'k', 'betslip.k');
    read.is_quick_bet := wallet_core.as_boolean(slip -> 'is_quick_bet', 'betslip.is_quick_bet');
    read.accept_odds_change := wallet_core.as_boolean(slip -> 'accept_odds_change', 'betslip.accept_odds_change');

    if jsonb_typeof(slip -> 'bets') is distinct from 'array' or jsonb_array_length(slip -> 'bets') = 0 then
        perform wallet_core.reject('betslip.bets', 'must be a non-empty array of selections');
    end if;
    if jsonb_array_length(slip -> 'bets') > 100 then
        perform wallet_core.reject('betslip.bets', 'has more than 100 selections');
    end if;
    read.selections := '{}';
    for selection, n in
        select e.value, e.position - 1
        from jsonb_array_elements(slip -> 'bets') with ordinality as e (value, position)
    loop
        field := format('betslip.bets[%s]', n);
        perform wallet_core.as_object(selection, field);
        -- In the order the first edition checked them, so that the first bad field is named.
        one := null;
        one.position := n;
        one.sport_id := wallet_core.as_id(selection -> 'sport_id', field || '.sport_id');
        one.sport_name := wallet_core.as_text(selection -> 'sport_name', field || '.sport_name');
        one.category_id := wallet_core.as_id(selection -> 'category_id', field || '.category_id');
        one.category_name := wallet_core.as_text(selection -> 'category_name', field || '.category_name');
        one.tournament_id := wallet_core.as_id(selection -> 'tournament_id', field || '.tournament_id');
        one.tournament_name := wallet_core.as_text(selection -> 'tournament_name', field || '.tournament_name');
        one.selection_id := wallet_core.as_id(selection -> 'id', field || '.id');
        one.event_id := wallet_core.as_id(selection -> 'event_id', field || '.event_id');
        one.competitor_names := wallet_core.as_text_array(selection -> 'competitor_name', field || '.competitor_name');
        one.market_name := wallet_core.as_text(selection -> 'market_name', field || '.market_name', false);
        one.outcome_name := wallet_core.as_text(selection -> 'outcome_name', field || '.outcome_name', false);
        one.scheduled_at := wallet_core.as_timestamp(selection -> 'scheduled', field || '.scheduled', false);
        one.live := wallet_core.as_boolean(selection -> 'live', field || '.live');
        one.odds := wallet_core.as_decimal(selection -> 'odds', field || '.odds');
        read.selections := read.selections || one;
    end loop;
    return read;
end
$$;
comment on function wallet_core.read_make_slowly(jsonb) is
'bet/make''s reader, field by field: the typed request, or WA204/WA202 naming the first bad field '
'(betslip.bets[2].odds: ...). Accepts what wallet_core.read_make_quickly accepts, with the same values, '
'and also numeric ids and times given as decimal strings.';

create or replace function wallet_core.read_make(request jsonb)
returns wallet_core.make_request
language plpgsql stable
set search_path = ''
as $$
declare
    read wallet_core.make_request := wallet_core.read_make_quickly(request);
begin
    if read.transaction_id is null then
        read := wallet_core.read_make_slowly(request);
    end if;
    return read;
end
$$;
comment on function wallet_core.read_make(jsonb) is
'A bet/make request, typed: in one step when it is usual, field by field otherwise. WA204/WA202 naming '
'the field when it is malformed.';

create or replace function wallet_core.make_bet(request wallet_core.make_request)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
declare
    op constant wallet_core.operation := row(
        'transaction', request.transaction_id, 'bet/make', request.player_id, request.amount, request.currency,
        null, null
    );
    claimed record;
    account wallet_core.accounts;
    refusal text;
    message text;
begin
    -- Claim the operation key: a replay answers what was stored, a conflict is 2004.
    claimed := wallet_core.claim(op);
    if claimed.status is not null then
        return row(claimed.status, claimed.body);
    end if;

    -- Lock the player's account: the one hot lock, taken before anything else is written.
    -- FOR NO KEY UPDATE, not FOR UPDATE: the foreign keys of bets and journal rows take KEY SHARE
    -- on this row, and a discard racing this make must not wait on it while this make waits on
    -- the discard's marker (a deadlock).
    select a.* into account
    from wallet_core.accounts as a
    where a.player_id = request.player_id and a.currency = request.currency
    for no key update;

    -- Check, in the contract's order; then write the bet (a discard racing in from another
    -- session makes the insert conflict). Every refusal here is stored and replayed.
    if not found then
        refusal := wallet_core.player_refusal(request.player_id, request.currency);
        message := format('player %s has no %s account', request.player_id, request.currency);
    elsif account.blocked then
        refusal := 'WA005';
        message := format('player %s is blocked', request.player_id);
    elsif exists (select from wallet_core.bets as b where b.make_transaction_id = request.transaction_id) then
        refusal := 'WA206';
    elsif account.balance < request.amount then
        refusal := 'WA201';
        message := format('balance %s is less than the stake %s', account.balance, request.amount);
    else
        insert into wallet_core.bets (
            bet_id, account_id, make_transaction_id, made, state, stake, betslip_id, provider_player_id,
            session_id, bonus_id, potential_win, betslip_type, odds, is_quick_bet, accept_odds_change,
            placed_at, transaction_at
        )
        values (
            claimed.operation_id, account.account_id, request.transaction_id, true, 'open', request.amount,
            request.betslip_id, request.provider_player_id, request.session_id, request.bonus_id,
            request.potential_win, request.betslip_type, request.odds, request.is_quick_bet,
            request.accept_odds_change, request.placed_at, request.transaction_at
        )
        on conflict (make_transaction_id) do nothing;
        if not found then
            refusal := 'WA206';
        end if;
    end if;
    if refusal is not null then
        return wallet_core.refuse(
            op, claimed.operation_id, refusal,
            coalesce(message, format('transaction %s was discarded before it was made', request.transaction_id))
        );
    end if;

    perform wallet_core.record_references(request.selections);
    insert into wallet_core.selections (
        bet_id, position, selection_id, event_id, sport_id, category_id, tournament_id, competitor_names,
        market_name, outcome_name, scheduled_at, live, odds
    )
    select
        claimed.operation_id, s.position, s.selection_id, s.event_id, s.sport_id, s.category_id, s.tournament_id,
        s.competitor_names, s.market_name, s.outcome_name, s.scheduled_at, s.live, s.odds
    from unnest(request.selections) as s;
    account := wallet_core.post(account.account_id, 'bet', -request.amount, request.transaction_id, claimed.operation_id);

    return wallet_core.answer(
        op, claimed.operation_id,
        wallet_core.operation_answer(
            claimed.operation_id, request.transaction_id, null, request.player_id, 'bet', request.amount,
            request.currency, account.balance
        )
    );
end
$$;
comment on function wallet_core.make_bet(wallet_core.make_request) is
'bet/make once read: claim the key, lock the account, check (1006, 2002, 1005, 2004 discarded first, '
'2001), write the bet, its reference data and selections, post the stake, answer.';

create or replace function wallet.bet_make(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply wallet_core.reply;
    read wallet_core.make_request;
begin
    -- 1. Read: the typed request, or a malformed-request answer (nothing is stored).
    begin
        read := wallet_core.read_make(request);
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        reply := wallet_core.malformed_answer(sqlstate, sqlerrm);
        status := reply.status;
        body := reply.body;
        return;
    end;
    -- 2. Do: claim, lock, check, write, answer.
    reply := wallet_core.make_bet(read);
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_make(jsonb) is
'Route bet/make. Takes the request (the JWT payload claim) and returns (status, body) to send back. '
'Debits the stake, stores the bet slip and its selections, inserts new sports/categories/tournaments. '
'Exactly once per transaction.id.';

revoke all on function wallet.bet_make(jsonb) from public;
grant execute on function wallet.bet_make(jsonb) to wallet_app;
