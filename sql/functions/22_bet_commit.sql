-- bet/commit: the provider accepted the bet. No money moves.

create or replace function wallet_core.read_commit(request jsonb)
returns wallet_core.bet_request
language plpgsql stable
set search_path = ''
as $$
declare
    read wallet_core.bet_request;
begin
    perform wallet_core.as_object(request, 'payload');
    read.bet_ref := wallet_core.as_id(request -> 'bet_transaction_id', 'bet_transaction_id');
    return read;
end
$$;
comment on function wallet_core.read_commit(jsonb) is
'A bet/commit request, typed; WA204 naming the field when it is malformed.';

create or replace function wallet.bet_commit(request jsonb, out status integer, out body jsonb)
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
        read := wallet_core.read_commit(request);
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        reply := wallet_core.malformed_answer(sqlstate, sqlerrm);
        status := reply.status;
        body := reply.body;
        return;
    end;
    -- 2. Do: claim (commit, bet id), lock the bet's account, open -> accepted, answer.
    reply := wallet_core.advance_bet(
    row('commit', read.bet_ref, 'bet/commit', null, null, null, read.bet_ref, null)::wallet_core.operation,
    'commit', read.bet_ref, 'open', 'accepted', null
);
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_commit(jsonb) is
'Route bet/commit: the provider accepted an open bet; no money moves. Takes the request, returns '
'(status, body). Exactly once per bet_transaction_id.';

revoke all on function wallet.bet_commit(jsonb) from public;
grant execute on function wallet.bet_commit(jsonb) to wallet_app;
