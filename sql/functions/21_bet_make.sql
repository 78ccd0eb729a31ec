-- bet/make: debit the stake, store the bet slip and its selections, record new reference data.

-- The fast reader's test of a bet/make request's types, ranges and equalities, as one JSON path: a
-- constant of the plan (IMMUTABLE, no argument), built from the limits of 00_limits.sql. In lax
-- mode, so that a missing field is an empty sequence and not an error; lax mode unwraps arrays
-- for an accessor, a filter or a comparison but not for .type(), so every value is known by its
-- .type() before it is read, filtered or compared. JSON null counts as absent, as for the
-- field-by-field reader. Written to cost few steps (measured with callgrind, about 2 000
-- instructions per test of a member): an optional member is one test of its .type(), a
-- member's usual type is tested first, transaction and betslip are entered once (a filter on
-- each, known to be an object), and a decimal string's sign is its .double()'s (once it has
-- matched wallet_core.decimal_pattern(), it is positive exactly when a digit is not 0).
create or replace function wallet_core.usual_make_path()
returns jsonpath
language sql immutable parallel safe
set search_path = ''
as $$
    select pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
        'lax $.type() == "object"
        && $.player_id.type() == "string"
        && $.currency.type() == "string" && $.currency like_regex CURRENCY
        && $.amount.type() == "number" && $.amount >= 0 && $.amount <= MAX_AMOUNT
        && !exists($.session_id.type() ? (@ != "string" && @ != "null"))
        && !exists($.bonus_id.type() ? (@ != "string" && @ != "null"))
        && !exists($.bonus_type.type() ? (@ != "string" && @ != "null"))
        && ($.potential_win.type() == "number" && $.potential_win >= 0 && $.potential_win <= MAX_AMOUNT
            || !exists($.potential_win.type() ? (@ != "null")))
        && $.transaction.type() == "object" && $.betslip.type() == "object"
        && exists($.transaction ? (
            @.id.type() == "string"
            && @.operation.type() == "string" && @.operation == "bet"
            && (@.ext_player_id.type() == "string" && @.ext_player_id == $.player_id
                || !exists(@.ext_player_id.type() ? (@ != "null")))
            && (@.currency.type() == "string" && @.currency == $.currency
                || !exists(@.currency.type() ? (@ != "null")))
            && @.amount.type() == "number" && @.amount == $.amount
            && !exists(@.player_id.type() ? (@ != "string" && @ != "null"))
            && (@.betslip_id.type() == "string" && @.betslip_id == $.betslip.id
                || !exists(@.betslip_id.type() ? (@ != "null")))
            && (@.timestamp.type() == "number" && @.timestamp >= 0 && @.timestamp < UNIX_SECONDS_LIMIT
                || !exists(@.timestamp.type() ? (@ != "null")))
            && (@.cross_rate_euro.type() == "string" && @.cross_rate_euro like_regex DECIMAL
                && @.cross_rate_euro.double() > 0
                || @.cross_rate_euro.type() == "number" && @.cross_rate_euro > 0 && @.cross_rate_euro < ODDS_LIMIT
                || !exists(@.cross_rate_euro.type() ? (@ != "null")))
        ))
        && exists($.betslip ? (
            @.id.type() == "string"
            && (@.sum.type() == "number" && @.sum == $.amount || !exists(@.sum.type() ? (@ != "null")))
            && (@.timestamp.type() == "number" && @.timestamp >= 0 && @.timestamp < UNIX_SECONDS_LIMIT
                || !exists(@.timestamp.type() ? (@ != "null")))
            && @."type".type() == "string"
            && (@.k.type() == "string" && @.k like_regex DECIMAL && @.k.double() > 0
                || @.k.type() == "number" && @.k > 0 && @.k < ODDS_LIMIT)
            && !exists(@.is_quick_bet.type() ? (@ != "boolean" && @ != "null"))
            && !exists(@.accept_odds_change.type() ? (@ != "boolean" && @ != "null"))
            && @.bets.type() == "array" && @.bets.size() >= 1 && @.bets.size() <= 100
        ))
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
            && !exists(@.market_name.type() ? (@ != "string" && @ != "null"))
            && !exists(@.outcome_name.type() ? (@ != "string" && @ != "null"))
            && (@.competitor_name.type() == "array" && !exists(@.competitor_name[*].type() ? (@ != "string"))
                || !exists(@.competitor_name.type() ? (@ != "null")))
            && (@.scheduled.type() == "number" && @.scheduled >= 0 && @.scheduled < UNIX_SECONDS_LIMIT
                || !exists(@.scheduled.type() ? (@ != "null")))
            && !exists(@.live.type() ? (@ != "boolean" && @ != "null"))
            && (@.odds.type() == "string" && @.odds like_regex DECIMAL && @.odds.double() > 0
                || @.odds.type() == "number" && @.odds > 0 && @.odds < ODDS_LIMIT)
        )))',
        'MAX_AMOUNT', wallet_core.max_amount()::text),
        'UNIX_SECONDS_LIMIT', wallet_core.unix_seconds_limit()::text),
        'ODDS_LIMIT', wallet_core.odds_limit()::text),
        'CURRENCY', pg_catalog.to_json(wallet_core.currency_pattern())::text),
        'DECIMAL', pg_catalog.to_json(wallet_core.decimal_pattern())::text)::jsonpath
$$;
comment on function wallet_core.usual_make_path() is
'The JSON path (lax) of wallet_core.is_usual_make: true when every field of a bet/make request has its '
'usual JSON type, is within its range and equals what it must equal. A constant to the planner.';

-- No SET clause: the planner inlines it into wallet_core.read_make_quickly (see 00_limits.sql).
create or replace function wallet_core.is_usual_make(request jsonb)
returns boolean
language sql stable parallel safe
as $$
    -- One function call per request where plain expressions were about 200, each initialised (and
    -- its execute permission checked) once per transaction: the path (a constant), then what
    -- a JSON path cannot see, a number's scale: an amount has no fraction, not even .0, and a
    -- number's text (numeric_out, never an exponent) has a point exactly when it has a fraction.
    select coalesce(
        pg_catalog.jsonb_path_match(request, wallet_core.usual_make_path(), silent => true)
        and pg_catalog.strpos(
            pg_catalog.concat(
                request ->> 'amount', request #>> '{transaction,amount}', request #>> '{betslip,sum}',
                request ->> 'potential_win'
            ),
            '.'
        ) = 0,
        false
    )
$$;
comment on function wallet_core.is_usual_make(jsonb) is
'True when every field of a bet/make request has its usual JSON type (ids and names strings, amounts '
'integers, odds numbers or decimal strings, times numbers, flags booleans), is within its range and '
'equals what it must equal (wallet_core.usual_make_path(), and no amount with a fraction). Lengths are '
'not checked here. False for anything else. Inlined by the planner.';

-- Named constructors of the typed request (no SET clause: the planner inlines them, 00_limits.sql).
create or replace function wallet_core.new_selection_request(
    ordinal integer, selection_id text, event_id text, sport_id text, sport_name text, category_id text,
    category_name text, tournament_id text, tournament_name text, competitor_names text[], market_name text,
    outcome_name text, scheduled_at timestamptz, live boolean, odds numeric
)
returns wallet_core.selection_request
language sql immutable parallel safe
as $$
    select row(
        ordinal, selection_id, event_id, sport_id, sport_name, category_id, category_name, tournament_id,
        tournament_name, competitor_names, market_name, outcome_name, scheduled_at, live, odds
    )::wallet_core.selection_request
$$;
comment on function wallet_core.new_selection_request(
    integer, text, text, text, text, text, text, text, text, text[], text, text, timestamptz, boolean, numeric
) is 'A wallet_core.selection_request from named arguments (ordinal is its field position). Inlined by the '
'planner.';

create or replace function wallet_core.new_make_request(
    transaction_id text, player_id text, currency text, amount bigint, session_id text, bonus_id text,
    potential_win bigint, betslip_id text, provider_player_id text, transaction_at timestamptz,
    placed_at timestamptz, betslip_type text, odds numeric, is_quick_bet boolean, accept_odds_change boolean,
    selections wallet_core.selection_request[], bonus_type text, cross_rate_euro numeric
)
returns wallet_core.make_request
language sql immutable parallel safe
as $$
    select row(
        transaction_id, player_id, currency, amount, session_id, bonus_id, potential_win, betslip_id,
        provider_player_id, transaction_at, placed_at, betslip_type, odds, is_quick_bet, accept_odds_change,
        selections, bonus_type, cross_rate_euro  -- cross_rate_euro: books (issue 15)
    )::wallet_core.make_request
$$;
comment on function wallet_core.new_make_request(
    text, text, text, bigint, text, text, bigint, text, text, timestamptz, timestamptz, text, numeric, boolean,
    boolean, wallet_core.selection_request[], text, numeric
) is 'A wallet_core.make_request from named arguments. Inlined by the planner.';

-- No SET clause: it runs inside wallet_core.route (search_path ''), and a SET clause would save
-- and restore that setting once more per request; it names every function in full instead.
create or replace function wallet_core.read_make_quickly(request jsonb)
returns wallet_core.make_request
language plpgsql stable
as $$
declare
    typed wallet_core.make_json;
    one wallet_core.selection_json;
    selections wallet_core.selection_request[] := '{}';
begin
    -- 1. Anything unusual is for the field-by-field reader.
    if not wallet_core.is_usual_make(request) then
        return null;
    end if;

    -- 2. Then the types read it, in one typed step, and the lengths are checked: the shortest
    --    and the longest of each kind at once (LEAST and GREATEST call no function, and skip
    --    an optional field's null; each function an expression calls costs its set-up and its
    --    permission check once per transaction). In bytes (octet_length: no count of
    --    characters, which cost every make about 13 000 instructions): a value has at least as
    --    many bytes as characters, so what passes here passes the limits in characters, and a
    --    value of more bytes than the limit (a long name in letters of several bytes) only goes
    --    to the field-by-field reader, which counts its characters and reads it the same.
    typed := pg_catalog.jsonb_populate_record(null::wallet_core.make_json, request);
    if not coalesce(
        least(
            pg_catalog.octet_length((typed.transaction).id), pg_catalog.octet_length(typed.player_id),
            pg_catalog.octet_length(typed.session_id), pg_catalog.octet_length(typed.bonus_id),
            pg_catalog.octet_length((typed.transaction).player_id), pg_catalog.octet_length((typed.betslip).id)
        ) >= 1
        and greatest(
            pg_catalog.octet_length((typed.transaction).id), pg_catalog.octet_length(typed.player_id),
            pg_catalog.octet_length(typed.session_id), pg_catalog.octet_length(typed.bonus_id),
            pg_catalog.octet_length((typed.transaction).player_id), pg_catalog.octet_length((typed.betslip).id)
        ) <= wallet_core.max_id_length()
        and greatest(pg_catalog.octet_length(typed.bonus_type), pg_catalog.octet_length((typed.betslip).type)) <= 64,
        false
    ) then
        return null;
    end if;
    foreach one in array (typed.betslip).bets loop
        if not coalesce(
            least(
                pg_catalog.octet_length(one.id), pg_catalog.octet_length(one.event_id), pg_catalog.octet_length(one.sport_id),
                pg_catalog.octet_length(one.category_id), pg_catalog.octet_length(one.tournament_id)
            ) >= 1
            and greatest(
                pg_catalog.octet_length(one.id), pg_catalog.octet_length(one.event_id), pg_catalog.octet_length(one.sport_id),
                pg_catalog.octet_length(one.category_id), pg_catalog.octet_length(one.tournament_id)
            ) <= wallet_core.max_id_length()
            and greatest(
                pg_catalog.octet_length(one.sport_name), pg_catalog.octet_length(one.category_name),
                pg_catalog.octet_length(one.tournament_name), pg_catalog.octet_length(one.market_name),
                pg_catalog.octet_length(one.outcome_name)
            ) <= wallet_core.max_text_length(),
            false
        ) then
            return null;
        end if;
        -- A local array grows in place (PL/pgSQL appends to its expanded array), where a field of a
        -- record was copied whole at every append.
        selections := selections || wallet_core.new_selection_request(
            ordinal => pg_catalog.cardinality(selections),
            selection_id => one.id,
            event_id => one.event_id,
            sport_id => one.sport_id,
            sport_name => one.sport_name,
            category_id => one.category_id,
            category_name => one.category_name,
            tournament_id => one.tournament_id,
            tournament_name => one.tournament_name,
            competitor_names => one.competitor_name,
            market_name => one.market_name,
            outcome_name => one.outcome_name,
            scheduled_at => pg_catalog.to_timestamp(one.scheduled::double precision),
            live => one.live,
            odds => one.odds
        );
    end loop;
    -- The typed request in one expression (one statement where an assignment and two field
    -- assignments were three, each an expression set up in every make's transaction).
    return wallet_core.new_make_request(
        transaction_id => (typed.transaction).id,
        player_id => typed.player_id,
        currency => typed.currency,
        amount => typed.amount,
        session_id => typed.session_id,
        bonus_id => typed.bonus_id,
        potential_win => typed.potential_win,
        betslip_id => (typed.betslip).id,
        provider_player_id => (typed.transaction).player_id,
        transaction_at => pg_catalog.to_timestamp((typed.transaction)."timestamp"::double precision),
        placed_at => pg_catalog.to_timestamp((typed.betslip)."timestamp"::double precision),
        betslip_type => (typed.betslip).type,
        odds => (typed.betslip).k,
        is_quick_bet => (typed.betslip).is_quick_bet,
        accept_odds_change => (typed.betslip).accept_odds_change,
        selections => selections,
        bonus_type => typed.bonus_type,
        cross_rate_euro => (typed.transaction).cross_rate_euro  -- books (issue 15)
    );
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
    read.bonus_type := wallet_core.as_text(request -> 'bonus_type', 'bonus_type', false, 64);
    read.potential_win := wallet_core.as_amount(request -> 'potential_win', 'potential_win', false);
    read.betslip_id := wallet_core.as_id(slip -> 'id', 'betslip.id');
    perform wallet_core.expect_equal(
        'transaction.betslip_id', wallet_core.as_id(tx -> 'betslip_id', 'transaction.betslip_id', false),
        read.betslip_id
    );
    read.provider_player_id := wallet_core.as_id(tx -> 'player_id', 'transaction.player_id', false);
    read.transaction_at := wallet_core.as_timestamp(tx -> 'timestamp', 'transaction.timestamp', false);
    read.placed_at := wallet_core.as_timestamp(slip -> 'timestamp', 'betslip.timestamp', false);
    -- books (issue 15)
    read.cross_rate_euro := wallet_core.as_decimal(tx -> 'cross_rate_euro', 'transaction.cross_rate_euro', false);
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

-- No SET clause: the planner inlines it into wallet_core.route (see 00_limits.sql).
create or replace function wallet_core.read_make(request jsonb)
returns wallet_core.make_request
language sql stable parallel safe
as $$
    select coalesce(wallet_core.read_make_quickly(request), wallet_core.read_make_slowly(request))
$$;
comment on function wallet_core.read_make(jsonb) is
'A bet/make request, typed: in one step when it is usual, field by field otherwise. WA204/WA202 naming '
'the field when it is malformed. Inlined by the planner.';

-- No SET clause (as for wallet_core.claim_bet): it runs only inside wallet_core.route, within the
-- route function, which pins search_path to ''; a SET clause would save and restore that setting
-- on every make.
create or replace function wallet_core.make_bet(request wallet_core.make_request)
returns wallet_core.reply
language plpgsql
as $$
declare
    op constant wallet_core.operation := wallet_core.new_operation(
        kind => 'transaction', key => request.transaction_id, route => 'bet/make', player_id => request.player_id,
        amount => request.amount, currency => request.currency
    );
    claimed record;
    account wallet_core.accounts;
    refusal text;
    message text;
    staked bigint;
    made_event bigint;
    bonus wallet_core.bonus_check;
    real_stake bigint := request.amount;
    bonus_left bigint;
    packed text;
    references_known boolean;
    marked boolean;
    queued boolean;
    made boolean;
begin
    -- Claim the operation key: a replay answers what was stored, a conflict is 2004.
    claimed := wallet_core.claim(op);
    if claimed.status is not null then
        return row(claimed.status, claimed.body);
    end if;

    -- The player's account lock is the one hot lock: a certification burst (20 makes for one
    -- player at once) queues on it, each make holding it until its commit. So everything that
    -- does not need it is done before it, in one statement:
    -- - the legs packed (migration 0630, wallet_core.pack_leg, inlined here), in the order of
    --   request.selections: both readers give each selection its index in that array as its
    --   position, and a plain aggregate over unnest takes the elements in array order, so
    --   string_agg needs no ORDER BY (which set up a sort for every make: 22 000 instructions,
    --   callgrind); the same aggregate twice is one aggregate (PostgreSQL computes equal
    --   aggregates of a query once); null for a slip that cannot be packed (an id or name
    --   holding U+001F: rare);
    -- - whether every sport, category and tournament the slip names is known under its name
    --   (usually: then no call of wallet_core.record_references), each name read by its key in
    --   a scalar subquery (at most one row: the key is the primary key; none, or another name,
    --   is a null or false comparison): a NOT EXISTS join let the planner hash the whole tables;
    -- - whether a discard left its marker for this make (committed before this statement; one
    --   committed later is found by the bet's insert);
    -- - last, a place in the player's make queue (0x4D414B45, "MAKE"): the makes of one player
    --   wait for the account lock one at a time, in this advisory lock's queue, which wakes only
    --   the next waiter. Queued on the row itself (its tuple lock, then the holder's
    --   transaction), a step of the queue cost more the more makes waited (pgbench, 20 clients
    --   on one player: 1 580 makes/s, where 20 players made 3 600; 1 840 with the queue and
    --   this statement before the lock; 1.145x this code without the queue). (Taking
    --   the lock in the usual make's write itself, with its test in the UPDATE's WHERE, made
    --   1 960/s and saved 46 000 instructions per make, but cost a guarded account's make a
    --   failed statement more: limits then cost 24% where they cost 17%.) Its holder waits
    --   only for locks whose holders never wait for it (02_idempotency.sql).
    select
        case
            when wallet_core.packs(
                pg_catalog.string_agg(
                    wallet_core.pack_leg(
                        s.scheduled_at, s.live, s.selection_id, s.event_id, s.sport_id, s.category_id,
                        s.tournament_id, s.market_name, s.outcome_name, s.odds,
                        pg_catalog.to_jsonb(s.competitor_names)
                    ),
                    E'\x1f'
                ),
                pg_catalog.cardinality(request.selections)
            )
            then pg_catalog.string_agg(
                wallet_core.pack_leg(
                    s.scheduled_at, s.live, s.selection_id, s.event_id, s.sport_id, s.category_id,
                    s.tournament_id, s.market_name, s.outcome_name, s.odds,
                    pg_catalog.to_jsonb(s.competitor_names)
                ),
                E'\x1f'
            )
        end,
        not exists (
            select from pg_catalog.unnest(request.selections) as k
            where not coalesce(
                    (select r.name = k.sport_name from wallet_core.sports as r where r.sport_id = k.sport_id),
                    false
                )
                or not coalesce(
                    (
                        select r.name = k.category_name from wallet_core.categories as r
                        where r.category_id = k.category_id
                    ),
                    false
                )
                or not coalesce(
                    (
                        select r.name = k.tournament_name from wallet_core.tournaments as r
                        where r.tournament_id = k.tournament_id
                    ),
                    false
                )
        ),
        exists (select from wallet_core.bets as b where b.make_transaction_id = request.transaction_id),
        pg_catalog.pg_advisory_xact_lock(1296124741, pg_catalog.hashtext(request.player_id)) is not null
    into packed, references_known, marked, queued
    from pg_catalog.unnest(request.selections) as s;

    -- Lock the player's account (after the queue: usually no one else waits for it now).
    -- FOR NO KEY UPDATE, not FOR UPDATE: the foreign keys of bets and journal rows take KEY SHARE
    -- on this row, and a discard racing this make must not wait on it while this make waits on
    -- the discard's marker (a deadlock).
    select a.* into account
    from wallet_core.accounts as a
    where a.player_id = request.player_id and a.currency = request.currency
    for no key update;

    -- The usual make (no bonus, an account that is neither blocked nor guarded, sessions not
    -- enforced, the balance enough, a slip that packs, no marker): one statement writes the
    -- money, the debit, the bet with the balance it leaves and the journal row. Its balance is
    -- never below zero after the stake, which is the journal's rule for a bet (wallet_core.post):
    -- this statement is the ledger's second writer of a balance, and like post() it writes the
    -- balance and its journal row together. The bet is the make's idempotency record
    -- (made_balance, the answer's balance: wallet_core.claim rebuilds the answer from it).
    -- (FOUND is the account's.) Any other make goes on below.
    if found and not account.blocked and not account.guarded and account.balance >= request.amount
        and packed is not null and not marked and request.bonus_id is null
        and not wallet_core.sessions_enforced() then
        with moved as (
            update wallet_core.accounts as a
            set balance = a.balance - request.amount
            where a.account_id = account.account_id
            returning a.account_id, a.balance
        ),

        bet as (
            insert into wallet_core.bets as b (
                bet_id, account_id, make_transaction_id, made, state, stake, betslip_id, provider_player_id,
                session_id, bonus_id, potential_win, betslip_type, odds, is_quick_bet, accept_odds_change,
                placed_at, transaction_at, cross_rate_euro, bonus_stake, made_balance, legs_packed
            )
            select
                claimed.operation_id, m.account_id, request.transaction_id, true, 'open', request.amount,
                request.betslip_id, request.provider_player_id, request.session_id, null,
                request.potential_win, request.betslip_type, request.odds, request.is_quick_bet,
                request.accept_odds_change, request.placed_at, request.transaction_at,
                request.cross_rate_euro, 0, m.balance, packed
            from moved as m
            on conflict (make_transaction_id) do nothing
            returning b.bet_id
        ),

        entry as (
            insert into wallet_core.journal (account_id, operation, amount, balance_after, transaction_id, bet_id)
            select m.account_id, 'bet', -request.amount, m.balance, request.transaction_id, d.bet_id
            from moved as m, bet as d
        )

        select m.balance, d.bet_id is not null
        into strict account.balance, made
        from moved as m left join bet as d on true;

        if not made then
            -- A discard's marker for this make, committed after the look above and before the
            -- insert (which waited for it): no bet, no journal row; the balance is put back
            -- as it was, and the make is refused as the marker says.
            update wallet_core.accounts as a
            set balance = a.balance + request.amount
            where a.account_id = account.account_id;
            return wallet_core.refuse(
                op, claimed.operation_id, 'WA206',
                format('transaction %s was discarded before it was made', request.transaction_id)
            );
        end if;
        if not references_known then
            perform wallet_core.record_references(request.selections);
        end if;
        made_event := wallet_core.emit_event(
            'bet.made', request.player_id, request.currency, -request.amount, account.balance,
            claimed.operation_id, claimed.operation_id, request.transaction_id,
            -- No detail of its own: the bet row holds it (wallet_core.bet_made_detail, 0630).
            null
        );
        return row(200, wallet_core.operation_answer(
            operation_id => claimed.operation_id, ext_transaction_id => request.transaction_id,
            parent_transaction_id => null, user_id => request.player_id, operation => 'bet',
            amount => request.amount, currency => request.currency, balance => account.balance
        ));
    end if;

    -- Any other make: check, then write.
    -- A bonus make: its grant (locked) and policy, and what the real balance pays. A make
    -- without bonus_id reads nothing of bonuses.
    if request.bonus_id is not null and account.account_id is not null then
        bonus := wallet_core.bonus_of_make(account.account_id, request.bonus_id, request.bonus_type, request.amount);
        if bonus.from_grant then
            real_stake := 0;
        end if;
    end if;

    -- Check, in the contract's order; then write the bet (a discard racing in from another
    -- session makes the insert conflict). Every refusal here is stored and replayed. (FOUND is still
    -- the account's: an assignment does not set it.)
    if not found then
        refusal := wallet_core.player_refusal(request.player_id, request.currency);
        message := format('player %s has no %s account', request.player_id, request.currency);
    elsif account.blocked then
        refusal := 'WA005';
        message := format('player %s is blocked', request.player_id);
    elsif account.guarded then
        -- Only an account that has (had) a limit or an exclusion: its exclusion, then its limits.
        message := wallet_core.limit_refusal(account.account_id, account.player_id, account.currency, real_stake);
        refusal := case when message is not null then 'WA401' end;
    end if;
    -- session_check enforce: a constant of the plan (wallet_core.sessions_enforced), free when off.
    if refusal is null and wallet_core.sessions_enforced() then
        message := wallet_core.session_refusal(request.player_id, request.session_id);
        refusal := case when message is not null then 'WA107' end;
    end if;
    if refusal is null and (bonus.refusal is not null or account.balance < real_stake) then
        -- A discard marker comes before these refusals. When none of them applies, the insert finds
        -- the marker itself (ON CONFLICT), with the same answer.
        if marked or exists (select from wallet_core.bets as b where b.make_transaction_id = request.transaction_id) then
            refusal := 'WA206';
        elsif bonus.refusal is not null then
            refusal := bonus.refusal;
            message := bonus.message;
        else
            refusal := 'WA201';
            message := format('balance %s is less than the stake %s', account.balance, request.amount);
        end if;
    end if;
    if refusal is null then
        -- One insert for every make: bonus_stake is 0 when the real balance pays the whole stake
        -- (real_stake = amount), and a bonus make keeps its cross rate like any other.
        insert into wallet_core.bets (
            bet_id, account_id, make_transaction_id, made, state, stake, betslip_id, provider_player_id,
            session_id, bonus_id, potential_win, betslip_type, odds, is_quick_bet, accept_odds_change,
            placed_at, transaction_at, cross_rate_euro, bonus_stake, made_balance, legs_packed
        )
        values (
            claimed.operation_id, account.account_id, request.transaction_id, true, 'open', request.amount,
            request.betslip_id, request.provider_player_id, request.session_id, request.bonus_id,
            request.potential_win, request.betslip_type, request.odds, request.is_quick_bet,
            request.accept_odds_change, request.placed_at, request.transaction_at, request.cross_rate_euro,
            request.amount - real_stake, account.balance - real_stake, packed
        )
        on conflict (make_transaction_id) do nothing;
        if not found then
            refusal := 'WA206';
        elsif packed is null then
            -- A slip that cannot be packed (an id or name holding U+001F: rare) is kept as before.
            update wallet_core.bets as b
            set legs = (
                select pg_catalog.array_agg(
                    row(
                        s.scheduled_at, s.live, s.selection_id, s.event_id, s.sport_id, s.category_id,
                        s.tournament_id, s.market_name, s.outcome_name, s.odds, pg_catalog.to_jsonb(s.competitor_names)
                    )::wallet_core.leg
                    order by s.position
                )
                from pg_catalog.unnest(request.selections) as s
            )
            where b.bet_id = claimed.operation_id;
        end if;
    end if;
    if refusal is not null then
        return wallet_core.refuse(
            op, claimed.operation_id, refusal,
            coalesce(message, format('transaction %s was discarded before it was made', request.transaction_id))
        );
    end if;

    if not references_known then
        perform wallet_core.record_references(request.selections);
    end if;
    -- The real balance pays real_stake (0 when the grant pays): always one journal row, so that
    -- every made bet has its one stake debit.
    account := wallet_core.post(account.account_id, 'bet', -real_stake, request.transaction_id, claimed.operation_id);
    if account.guarded then
        -- An assignment, not a PERFORM: an expression costs less than a query.
        staked := wallet_core.count_activity(account.account_id, real_stake, 0, 1);
    end if;
    if request.bonus_id is null then
        -- An assignment, not a PERFORM (here and below): an expression costs less than a query.
        made_event := wallet_core.emit_event(
            'bet.made', request.player_id, request.currency, -request.amount, account.balance,
            claimed.operation_id, claimed.operation_id, request.transaction_id,
            -- No detail of its own: the bet row holds it (betslip_id, stake, odds, the legs), and
            -- wallet_core.bet_made_detail builds it back for the message and wallet.events (0630).
            null
        );
    else
        insert into wallet_core.bet_bonuses (bet_id, grant_id, bonus_type, win_net)
        values (claimed.operation_id, bonus.grant_id, bonus.bonus_type, bonus.win_net);
        if bonus.from_grant then
            bonus_left := wallet_core.move_bonus(
                bonus.grant_id, 'bet', -request.amount, claimed.operation_id, request.transaction_id
            );
        end if;
        made_event := wallet_core.emit_event(
            'bet.made', request.player_id, request.currency, -real_stake, account.balance,
            claimed.operation_id, claimed.operation_id, request.transaction_id,
            jsonb_build_object(
                'betslip_id', request.betslip_id, 'stake', request.amount, 'odds', request.odds::text,
                'selections', cardinality(request.selections), 'bonus_id', request.bonus_id,
                'bonus_type', bonus.bonus_type, 'bonus_stake', request.amount - real_stake
            )
        );
    end if;

    -- The answer is not stored apart: the bet row is the make's record (bets.made_balance is this
    -- balance), and wallet_core.claim rebuilds these bytes from it for a replay.
    return row(200, wallet_core.operation_answer(
        operation_id => claimed.operation_id, ext_transaction_id => request.transaction_id,
        parent_transaction_id => null, user_id => request.player_id, operation => 'bet',
        amount => request.amount, currency => request.currency, balance => account.balance
    ));
end
$$;
comment on function wallet_core.make_bet(wallet_core.make_request) is
'bet/make once read: claim the key; pack the legs, check the reference data, wait in the player''s make '
'queue, lock the account; a usual make then debits, writes the bet and its journal row in one statement. '
'Any other: read the bonus it names (only when bonus_id is '
'given), check (1006, 2002, 1005, 4001 excluded or over a limit (guarded accounts only), 1007 '
'(session_check enforce only), 2004 discarded first, 3001 bonus not held, 4002 above what the grant has '
'left, 2001), write the bet (its selections and its answer''s balance in its row: the bet row is the '
'make''s idempotency record) and its reference data, post the real part of the stake and take '
'the bonus part from the grant, count it (guarded accounts), emit bet.made, answer.';

create or replace function wallet.bet_make(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply constant wallet_core.reply := wallet_core.route('bet/make', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_make(jsonb) is
'Route bet/make. Takes the request (the JWT payload claim) and returns (status, body) to send back. '
'Debits the stake, stores the bet slip with its selections, inserts new sports/categories/tournaments. '
'Exactly once per transaction.id.';

revoke all on function wallet.bet_make(jsonb) from public;
grant execute on function wallet.bet_make(jsonb) to wallet_app;
