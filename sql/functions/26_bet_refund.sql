-- bet/refund: credit the refund (at most the stake); the bet is refunded.
-- Read by wallet_core.read_settle(request, 'refund') and done by wallet_core.settle_bet (16_settle.sql).

create or replace function wallet.bet_refund(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply constant wallet_core.reply := wallet_core.route('bet/refund', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_refund(jsonb) is
'Route bet/refund: credits transaction.amount (at most the stake) and settles the bet as refunded. '
'Takes the request, returns (status, body). Exactly once per transaction.id.';

revoke all on function wallet.bet_refund(jsonb) from public;
grant execute on function wallet.bet_refund(jsonb) to wallet_app;
