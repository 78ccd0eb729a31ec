-- Limits: every bound a request's values must keep, each defined once, and the tests of a JSON
-- value against them that the fast readers (wallet_core.read_make_quickly,
-- wallet_core.read_settle_quickly) share with the field-by-field validators (00_validation.sql).
--
-- The limits are IMMUTABLE functions of no argument: the planner calls each once when it plans
-- an expression that names it and keeps the value as a constant, so a limit costs nothing per
-- request. The tests of a JSON value are LANGUAGE sql functions of one SELECT and no SET clause:
-- the planner inlines them into the expression that calls them, so they cost no call either.
-- (A SET clause would stop the inlining; they name every function in full instead, and only
-- functions that pin search_path to '' call them.) The tables no longer hold these bounds as
-- CHECK constraints (migration 0620 dropped them from bets, events, journal and accounts):
-- wallet.audit() checks every stored row against them (bet_rules, account_rules), and
-- wallet_core.post checks the journal's rules as it writes.

create or replace function wallet_core.max_amount()
returns bigint
language sql immutable parallel safe
set search_path = ''
as $$
    select 1000000000000000::bigint
$$;
comment on function wallet_core.max_amount() is
'The largest amount the wallet accepts, in minor units: 10^15 (an amount is an integer from 0 to it).';

create or replace function wallet_core.is_amount(value jsonb, optional boolean default false)
returns boolean
language sql immutable parallel safe
as $$
    select case coalesce(pg_catalog.jsonb_typeof(value), 'null')
        when 'null' then optional
        when 'number' then
            pg_catalog.scale(value::numeric) = 0 and value::numeric between 0 and wallet_core.max_amount()
        else false
    end
$$;
comment on function wallet_core.is_amount(jsonb, boolean) is
'True when the value is a JSON integer from 0 to wallet_core.max_amount(), or absent (missing or JSON '
'null) and optional. Inlined by the planner.';

create or replace function wallet_core.unix_seconds_limit()
returns bigint
language sql immutable parallel safe
set search_path = ''
as $$
    select 100000000000::bigint
$$;
comment on function wallet_core.unix_seconds_limit() is
'The first unix second the wallet does not accept: 10^11 (a time is from 0 up to, not including, it).';

create or replace function wallet_core.is_unix_seconds(value jsonb, optional boolean default false)
returns boolean
language sql immutable parallel safe
as $$
    select case coalesce(pg_catalog.jsonb_typeof(value), 'null')
        when 'null' then optional
        when 'number' then value::numeric >= 0 and value::numeric < wallet_core.unix_seconds_limit()
        else false
    end
$$;
comment on function wallet_core.is_unix_seconds(jsonb, boolean) is
'True when the value is a JSON number of unix seconds from 0 to below wallet_core.unix_seconds_limit(), '
'or absent and optional. Inlined by the planner.';

create or replace function wallet_core.odds_limit()
returns bigint
language sql immutable parallel safe
set search_path = ''
as $$
    select 1000000000000::bigint
$$;
comment on function wallet_core.odds_limit() is
'The first odds the wallet does not accept: 10^12 (odds are positive and below it).';

create or replace function wallet_core.decimal_pattern()
returns text
language sql immutable parallel safe
set search_path = ''
as $$
    select '^[0-9]{1,12}(\.[0-9]{1,12})?$'::text
$$;
comment on function wallet_core.decimal_pattern() is
'Odds given as a string: up to 12 digits, optionally a point and up to 12 more (a regular expression).';

create or replace function wallet_core.is_odds(value jsonb)
returns boolean
language sql immutable parallel safe
as $$
    select case pg_catalog.jsonb_typeof(value)
        when 'number' then value::numeric > 0 and value::numeric < wallet_core.odds_limit()
        when 'string' then
            (value #>> '{}') ~ wallet_core.decimal_pattern() and (value #>> '{}') ~ '[1-9]'
        else false
    end
$$;
comment on function wallet_core.is_odds(jsonb) is
'True when the value is odds: a JSON number, or a decimal string (wallet_core.decimal_pattern()), '
'positive and below wallet_core.odds_limit(). Inlined by the planner.';

create or replace function wallet_core.currency_pattern()
returns text
language sql immutable parallel safe
set search_path = ''
as $$
    select '^[A-Z0-9]{3,8}$'::text
$$;
comment on function wallet_core.currency_pattern() is
'What a currency code is: 3 to 8 uppercase letters or digits (a regular expression).';

create or replace function wallet_core.is_currency(value jsonb, optional boolean default false)
returns boolean
language sql immutable parallel safe
as $$
    select case coalesce(pg_catalog.jsonb_typeof(value), 'null')
        when 'null' then optional
        when 'string' then (value #>> '{}') ~ wallet_core.currency_pattern()
        else false
    end
$$;
comment on function wallet_core.is_currency(jsonb, boolean) is
'True when the value is a JSON string that is a currency code (wallet_core.currency_pattern()), or '
'absent and optional. Inlined by the planner.';

create or replace function wallet_core.max_id_length()
returns integer
language sql immutable parallel safe
set search_path = ''
as $$
    select 128
$$;
comment on function wallet_core.max_id_length() is
'The longest id the wallet accepts: 128 characters (an id is 1 to 128 characters).';

create or replace function wallet_core.fits_id(value text)
returns boolean
language sql immutable parallel safe
as $$
    select pg_catalog.length(value) between 1 and wallet_core.max_id_length()
$$;
comment on function wallet_core.fits_id(text) is
'True when the text is 1 to wallet_core.max_id_length() characters long; null for null. Inlined by the '
'planner.';

create or replace function wallet_core.is_id_string(value jsonb)
returns boolean
language sql immutable parallel safe
as $$
    select case pg_catalog.jsonb_typeof(value)
        when 'string' then pg_catalog.length(value #>> '{}') between 1 and wallet_core.max_id_length()
        else false
    end
$$;
comment on function wallet_core.is_id_string(jsonb) is
'True when the value is an id in its usual form: a JSON string of 1 to wallet_core.max_id_length() '
'characters (wallet_core.as_id also takes a non-negative JSON integer). Inlined by the planner.';

create or replace function wallet_core.max_text_length()
returns integer
language sql immutable parallel safe
set search_path = ''
as $$
    select 1000
$$;
comment on function wallet_core.max_text_length() is
'The longest free text (a name, a reason) the wallet accepts: 1000 characters.';

create or replace function wallet_core.fits_text(value text)
returns boolean
language sql immutable parallel safe
as $$
    select pg_catalog.length(value) <= wallet_core.max_text_length()
$$;
comment on function wallet_core.fits_text(text) is
'True when the text is at most wallet_core.max_text_length() characters long; null for null. Inlined by '
'the planner.';

create or replace function wallet_core.is_text(value jsonb, optional boolean default false)
returns boolean
language sql immutable parallel safe
as $$
    select case coalesce(pg_catalog.jsonb_typeof(value), 'null')
        when 'null' then optional
        when 'string' then pg_catalog.length(value #>> '{}') <= wallet_core.max_text_length()
        else false
    end
$$;
comment on function wallet_core.is_text(jsonb, boolean) is
'True when the value is a JSON string of at most wallet_core.max_text_length() characters, or absent '
'and optional. Inlined by the planner.';
