-- What the settling routes keep for finance and support (issue 15; docs/contract/provider.md,
-- "What finance and support keep"): the provider's cross rate and timestamp, and what win and
-- lost say about each leg. A settlement is never refused for these fields (the provider is
-- authoritative about settlements): a field that is absent or malformed is kept as null.
-- bet/make is strict instead: a malformed transaction.cross_rate_euro is 2004, like its other
-- fields (21_bet_make.sql).

-- No SET clause: the planner inlines it (see 00_limits.sql).
create or replace function wallet_core.kept_decimal(value jsonb)
returns numeric
language sql immutable parallel safe
as $$
    select case when wallet_core.is_odds(value) then (value #>> '{}')::numeric end
$$;
comment on function wallet_core.kept_decimal(jsonb) is
'A positive decimal (a JSON number or decimal string, as wallet_core.is_odds accepts) as an exact numeric; '
'null for anything else. Inlined by the planner.';

-- No SET clause: the planner inlines it (see 00_limits.sql).
create or replace function wallet_core.kept_time(value jsonb)
returns timestamptz
language sql immutable parallel safe
as $$
    select case when wallet_core.is_unix_seconds(value) then pg_catalog.to_timestamp(value::numeric::float8) end
$$;
comment on function wallet_core.kept_time(jsonb) is
'Unix seconds sent as a JSON number (as wallet_core.is_unix_seconds accepts) as a timestamptz; null for '
'anything else. Inlined by the planner.';

create or replace function wallet_core.kept_legs(selections jsonb)
returns jsonb
language sql immutable parallel safe
set search_path = ''
as $$
    select case when pg_catalog.jsonb_typeof(selections) = 'array' then (
        select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'id', case when pg_catalog.jsonb_typeof(e.leg -> 'id') in ('string', 'number')
                then pg_catalog.left(e.leg ->> 'id', wallet_core.max_id_length()) end,
            'event_id', case when pg_catalog.jsonb_typeof(e.leg -> 'event_id') in ('string', 'number')
                then pg_catalog.left(e.leg ->> 'event_id', wallet_core.max_id_length()) end,
            'status', case when pg_catalog.jsonb_typeof(e.leg -> 'status') = 'string'
                then pg_catalog.left(e.leg ->> 'status', wallet_core.max_id_length()) end,
            'odds', case when wallet_core.is_odds(e.leg -> 'odds') then e.leg ->> 'odds' end
        )) order by e.n), '[]'::jsonb)
        from pg_catalog.jsonb_array_elements(selections) with ordinality as e (leg, n)
        where pg_catalog.jsonb_typeof(e.leg) = 'object' and e.n <= 100
    ) end
$$;
comment on function wallet_core.kept_legs(jsonb) is
'The selections of a bet/win or bet/lost as kept: [{id, event_id, status, odds}] in the order sent, each '
'field kept when it has its usual type (ids and status cut to the id length, odds a positive decimal, kept as '
'sent); objects only, at most 100; null when selections is not an array.';

create or replace function wallet_core.keep_settle_fields(read wallet_core.settle_request, request jsonb)
returns wallet_core.settle_request
language plpgsql immutable
set search_path = ''
as $$
begin
    read.cross_rate_euro := wallet_core.kept_decimal(request -> 'transaction' -> 'cross_rate_euro');
    read.provider_at := wallet_core.kept_time(request -> 'transaction' -> 'timestamp');
    if read.result <> 'refunded' then
        read.final_odds := wallet_core.kept_decimal(request -> 'odds');
        read.legs := wallet_core.kept_legs(request -> 'selections');
    end if;
    return read;
end
$$;
comment on function wallet_core.keep_settle_fields(wallet_core.settle_request, jsonb) is
'The typed bet/win, bet/lost or bet/refund request with what the books keep from the raw request: '
'transaction.cross_rate_euro, transaction.timestamp, and for win and lost the top-level odds and the legs '
'(selections). Both settle readers end with it, so they agree.';
