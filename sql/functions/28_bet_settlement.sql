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

-- No SET clause: the planner inlines it into wallet_core.route (see 00_limits.sql).
create or replace function wallet_core.close_bet(request wallet_core.bet_request)
returns wallet_core.reply
language sql
as $$
    select wallet_core.advance_bet(
        wallet_core.new_operation(
            kind => 'settlement', key => request.bet_ref, route => 'bet/settlement', parent => request.bet_ref,
            detail => request.status
        ),
        operation => 'settlement', bet_ref => request.bet_ref, from_state => 'settled', to_state => 'closed',
        closing_status => request.status
    )
$$;
comment on function wallet_core.close_bet(wallet_core.bet_request) is
'bet/settlement once read: claim (settlement, bet id) with the status as content, lock the bet''s '
'account, settled -> closed with the status, emit bet.settled, answer (wallet_core.advance_bet). '
'Inlined by the planner.';

create or replace function wallet.bet_settlement(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply constant wallet_core.reply := wallet_core.route('bet/settlement', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_settlement(jsonb) is
'Route bet/settlement: closes a settled bet with the provider''s final status; it can no longer be '
'rolled back. Takes the request, returns (status, body). Exactly once per bet_transaction_id.';

revoke all on function wallet.bet_settlement(jsonb) from public;
grant execute on function wallet.bet_settlement(jsonb) to wallet_app;
