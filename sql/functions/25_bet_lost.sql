-- bet/lost: the bet is lost; no money moves.
-- Read by wallet_core.read_settle(request, 'lost') and done by wallet_core.settle_bet (16_settle.sql).

create or replace function wallet.bet_lost(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply constant wallet_core.reply := wallet_core.route('bet/lost', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_lost(jsonb) is
'Route bet/lost: settles the bet as lost; no money moves. Takes the request, returns (status, body). '
'Exactly once per transaction.id.';

revoke all on function wallet.bet_lost(jsonb) from public;
grant execute on function wallet.bet_lost(jsonb) to wallet_app;
