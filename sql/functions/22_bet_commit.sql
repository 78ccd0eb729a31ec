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

-- No SET clause: the planner inlines it into wallet_core.route (see 00_limits.sql).
create or replace function wallet_core.commit_bet(request wallet_core.bet_request)
returns wallet_core.reply
language sql
as $$
    select wallet_core.advance_bet(
        wallet_core.new_operation(
            kind => 'commit', key => request.bet_ref, route => 'bet/commit', parent => request.bet_ref
        ),
        operation => 'commit', bet_ref => request.bet_ref, from_state => 'open', to_state => 'accepted'
    )
$$;
comment on function wallet_core.commit_bet(wallet_core.bet_request) is
'bet/commit once read: claim (commit, bet id), lock the bet''s account, open -> accepted, emit '
'bet.committed, answer (wallet_core.advance_bet). Inlined by the planner.';

create or replace function wallet.bet_commit(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply constant wallet_core.reply := wallet_core.route('bet/commit', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_commit(jsonb) is
'Route bet/commit: the provider accepted an open bet; no money moves. Takes the request, returns '
'(status, body). Exactly once per bet_transaction_id.';

revoke all on function wallet.bet_commit(jsonb) from public;
grant execute on function wallet.bet_commit(jsonb) to wallet_app;
