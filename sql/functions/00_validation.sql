-- Validation, field by field: each function reads one field of a request and raises a wallet
-- SQLSTATE (WA204 malformed, WA202 not a currency) with a message naming the field.
--
-- The route readers (wallet_core.read_*) use these on the slow path only: a request whose
-- every field has its usual JSON type is read in one typed step, and anything unusual is read
-- again here, so that every refusal names the exact field.

create or replace function wallet_core.reject(field text, problem text, state text default 'WA204')
returns void
language plpgsql
set search_path = ''
as $$
begin
    raise exception using errcode = state, message = format('%s: %s', field, problem);
end
$$;
comment on function wallet_core.reject(text, text, text) is
'Raises a malformed-request error (WA204, or WA202 for a malformed currency) naming the field.';

create or replace function wallet_core.is_absent(value jsonb, field text, required boolean)
returns boolean
language plpgsql
set search_path = ''
as $$
begin
    if value is not null and jsonb_typeof(value) <> 'null' then
        return false;
    end if;
    if required then
        perform wallet_core.reject(field, 'is missing');
    end if;
    return true;
end
$$;
comment on function wallet_core.is_absent(jsonb, text, boolean) is
'True when an optional field is absent (missing or JSON null); WA204 when a required one is.';

create or replace function wallet_core.as_object(value jsonb, field text)
returns jsonb
language plpgsql immutable
set search_path = ''
as $$
begin
    if value is null or jsonb_typeof(value) = 'null' then
        perform wallet_core.reject(field, 'is missing');
    elsif jsonb_typeof(value) <> 'object' then
        perform wallet_core.reject(field, 'must be an object');
    end if;
    return value;
end
$$;
comment on function wallet_core.as_object(jsonb, text) is 'The value as a JSON object, or WA204.';

create or replace function wallet_core.as_id(value jsonb, field text, required boolean default true)
returns text
language plpgsql immutable
set search_path = ''
as $$
declare
    id text;
    number numeric;
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    case jsonb_typeof(value)
        when 'string' then
            id := value #>> '{}';
        when 'number' then
            number := value::numeric;
            if number < 0 or scale(number) > 0 then
                perform wallet_core.reject(field, 'a numeric id must be a non-negative integer');
            end if;
            id := number::text;
        else
            perform wallet_core.reject(field, 'must be a string or a non-negative integer');
    end case;
    if length(id) not between 1 and wallet_core.max_id_length() then
        perform wallet_core.reject(
            field, format('must be 1 to %s characters, not %s', wallet_core.max_id_length(), length(id))
        );
    end if;
    return id;
end
$$;
comment on function wallet_core.as_id(jsonb, text, boolean) is
'A provider id: a string of 1 to wallet_core.max_id_length() characters, or a non-negative JSON integer '
'taken as its decimal text (so 123 and "123" are the same id). Otherwise WA204.';

create or replace function wallet_core.as_amount(value jsonb, field text, required boolean default true)
returns bigint
language plpgsql immutable
set search_path = ''
as $$
declare
    amount numeric;
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    if jsonb_typeof(value) <> 'number' then
        perform wallet_core.reject(field, 'must be an integer amount in minor units');
    end if;
    amount := value::numeric;
    if scale(amount) > 0 then
        perform wallet_core.reject(field, 'must be an integer amount in minor units, not a fraction');
    end if;
    if amount < 0 or amount > wallet_core.max_amount() then
        perform wallet_core.reject(field, 'must be between 0 and 10^15');
    end if;
    return amount::bigint;
end
$$;
comment on function wallet_core.as_amount(jsonb, text, boolean) is
'An amount: a JSON integer from 0 to wallet_core.max_amount() (no fraction, not even .0; no string, no '
'boolean). Otherwise WA204.';

create or replace function wallet_core.as_currency(value jsonb, field text, required boolean default true)
returns text
language plpgsql immutable
set search_path = ''
as $$
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    if jsonb_typeof(value) <> 'string' or (value #>> '{}') !~ wallet_core.currency_pattern() then
        perform wallet_core.reject(field, 'is not a currency code (3 to 8 uppercase letters or digits)', 'WA202');
    end if;
    return value #>> '{}';
end
$$;
comment on function wallet_core.as_currency(jsonb, text, boolean) is
'A currency code of 3 to 8 uppercase letters or digits; otherwise WA202 (invalid currency).';

create or replace function wallet_core.as_text(
    value jsonb, field text, required boolean default true, max_length integer default wallet_core.max_text_length()
)
returns text
language plpgsql immutable
set search_path = ''
as $$
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    if jsonb_typeof(value) <> 'string' then
        perform wallet_core.reject(field, 'must be a string');
    end if;
    if length(value #>> '{}') > max_length then
        perform wallet_core.reject(field, format('must be at most %s characters', max_length));
    end if;
    return value #>> '{}';
end
$$;
comment on function wallet_core.as_text(jsonb, text, boolean, integer) is
'A free-text field (a name, a reason): a JSON string of bounded length. Otherwise WA204.';

create or replace function wallet_core.as_boolean(value jsonb, field text)
returns boolean
language plpgsql immutable
set search_path = ''
as $$
begin
    if value is null or jsonb_typeof(value) = 'null' then
        return null;
    end if;
    if jsonb_typeof(value) <> 'boolean' then
        perform wallet_core.reject(field, 'must be true or false');
    end if;
    return value::boolean;
end
$$;
comment on function wallet_core.as_boolean(jsonb, text) is 'An optional JSON boolean. Otherwise WA204.';

create or replace function wallet_core.as_decimal(value jsonb, field text, required boolean default true)
returns numeric
language plpgsql immutable
set search_path = ''
as $$
declare
    number numeric;
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    if jsonb_typeof(value) = 'number' then
        number := value::numeric;
    elsif jsonb_typeof(value) = 'string' and (value #>> '{}') ~ wallet_core.decimal_pattern() then
        number := (value #>> '{}')::numeric;
    else
        perform wallet_core.reject(field, 'must be a decimal number or a decimal string');
    end if;
    if number <= 0 or number >= wallet_core.odds_limit() then
        perform wallet_core.reject(field, 'must be positive and below 10^12');
    end if;
    return number;
end
$$;
comment on function wallet_core.as_decimal(jsonb, text, boolean) is
'Odds: a JSON number or decimal string, positive, kept exactly as numeric. Otherwise WA204.';

create or replace function wallet_core.as_timestamp(value jsonb, field text, required boolean default true)
returns timestamptz
language plpgsql immutable
set search_path = ''
as $$
declare
    seconds numeric;
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    if jsonb_typeof(value) = 'number' then
        seconds := value::numeric;
    elsif jsonb_typeof(value) = 'string' and (value #>> '{}') ~ '^[0-9]{1,11}(\.[0-9]{1,9})?$' then
        seconds := (value #>> '{}')::numeric;
    else
        perform wallet_core.reject(field, 'must be unix seconds');
    end if;
    if seconds < 0 or seconds >= wallet_core.unix_seconds_limit() then
        perform wallet_core.reject(field, 'must be unix seconds between 0 and 10^11');
    end if;
    return to_timestamp(seconds::double precision);
end
$$;
comment on function wallet_core.as_timestamp(jsonb, text, boolean) is
'A time as integer or fractional unix seconds (number or numeric string). Otherwise WA204.';

create or replace function wallet_core.as_text_array(value jsonb, field text)
returns text[]
language plpgsql immutable
set search_path = ''
as $$
begin
    if value is null or jsonb_typeof(value) = 'null' then
        return null;
    end if;
    if jsonb_typeof(value) <> 'array'
        or exists (select from jsonb_array_elements(value) as e (v) where jsonb_typeof(e.v) <> 'string') then
        perform wallet_core.reject(field, 'must be an array of strings');
    end if;
    return array(select jsonb_array_elements_text(value));
end
$$;
comment on function wallet_core.as_text_array(jsonb, text) is 'An optional array of strings. Otherwise WA204.';

create or replace function wallet_core.expect_equal(field text, value anycompatible, other anycompatible)
returns void
language plpgsql immutable
set search_path = ''
as $$
begin
    if value is not null and other is not null and value <> other then
        perform wallet_core.reject(field, format('is %s but must equal %s', value, other));
    end if;
end
$$;
comment on function wallet_core.expect_equal(text, anycompatible, anycompatible) is
'WA204 naming the field when two values that must agree (both present) differ.';
