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

create or replace function wallet_core.malformed_answer(
    state text, message text
)
returns wallet_core.reply
language plpgsql stable
set search_path = ''
as $$
begin
    if state not like 'WA%' then
        raise sqlstate 'XX000' using message = 'malformed_answer called for a non-wallet error ' || state;
    end if;
    return wallet_core.error_answer(state, message);
end
$$;
comment on function wallet_core.malformed_answer(text, text) is
'The answer to a request that failed validation (nothing is stored).';

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
language plpgsql immutable
set search_path = ''
as $$
begin
    return jsonb_build_object(
        'id', operation_id::text,
        'ext_transaction_id', ext_transaction_id,
        'parent_transaction_id', parent_transaction_id::text,
        'user_id', user_id,
        'operation', operation,
        'amount', amount,
        'currency', currency,
        'balance', balance
    );
end
$$;
comment on function wallet_core.operation_answer(bigint, text, bigint, text, text, bigint, text, bigint) is
'The success body every route but balance answers with.';
