-- Answers: the bodies the route functions send back.

create or replace function wallet_core.error_answer(state text, message text)
returns wallet_core.reply
language plpgsql stable
set search_path = ''
as $$
declare
    reply wallet_core.reply;
begin
    select e.http_status, jsonb_build_object('code', e.provider_code, 'message', error_answer.message)
    into strict reply.status, reply.body
    from wallet_core.error_codes as e
    where e.sqlstate = state;
    return reply;
end
$$;
comment on function wallet_core.error_answer(text, text) is
'The provider''s error envelope {code, message} and HTTP status for a wallet SQLSTATE.';

-- No SET clause: the planner inlines it into the function that calls it (see 00_limits.sql).
create or replace function wallet_core.operation_answer(
    operation_id bigint,
    ext_transaction_id text,
    parent_transaction_id bigint,
    user_id text,
    operation text,
    amount bigint,
    currency text,
    balance bigint
)
returns jsonb
language sql stable parallel safe
as $$
    select pg_catalog.jsonb_build_object(
        'id', operation_id::text,
        'ext_transaction_id', ext_transaction_id,
        'parent_transaction_id', parent_transaction_id::text,
        'user_id', user_id,
        'operation', operation,
        'amount', amount,
        'currency', currency,
        'balance', balance
    )
$$;
comment on function wallet_core.operation_answer(bigint, text, bigint, text, text, bigint, text, bigint) is
'The success body every route but balance answers with, called with named arguments. Inlined by the '
'planner.';
