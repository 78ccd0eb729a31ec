-- bet/settlement: the bet's settlement is final; it can no longer be rolled back. No money moves.

create or replace function wallet_core.read_settlement(request jsonb)
returns wallet_core.bet_request
language plpgsql stable
set search_path = ''
as $$
declare
    read wallet_core.bet_request;
begin
    perform wallet_core.as_object(request, 'payload');
    read.bet_ref := wallet_core.as_id(request -> 'bet_transaction_id', 'bet_transaction_id');
    read.status := wallet_core.as_text(request -> 'status', 'status');
    if read.status not in ('won', 'lost', 'canceled', 'refund', 'cashed out', 'half-won', 'half-lost') then
        perform wallet_core.reject('status', 'must be one of won, lost, canceled, refund, cashed out, half-won, half-lost');
    end if;
    return read;
end
$$;
comment on function wallet_core.read_settlement(jsonb) is
'A bet/settlement request, typed; WA204 naming the field when it is malformed.';

create or replace function wallet.bet_settlement(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply wallet_core.reply;
    read wallet_core.bet_request;
begin
    -- 1. Read: the typed request, or a malformed-request answer (nothing is stored).
    begin
        read := wallet_core.read_settlement(request);
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        reply := wallet_core.malformed_answer(sqlstate, sqlerrm);
        status := reply.status;
        body := reply.body;
        return;
    end;
    -- 2. Do: claim (settlement, bet id) with the status as content, lock, settled -> closed, answer.
    reply := wallet_core.advance_bet(
    row('settlement', read.bet_ref, 'bet/settlement', null, null, null, read.bet_ref, read.status)::wallet_core.operation,
    'settlement', read.bet_ref, 'settled', 'closed', read.status
);
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_settlement(jsonb) is
'Route bet/settlement: closes a settled bet with the provider''s final status; it can no longer be '
'rolled back. Takes the request, returns (status, body). Exactly once per bet_transaction_id.';

revoke all on function wallet.bet_settlement(jsonb) from public;
grant execute on function wallet.bet_settlement(jsonb) to wallet_app;
