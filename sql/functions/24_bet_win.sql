-- bet/win: credit the win; the bet is won, or cashed out when is_cashout is true.
-- Read by wallet_core.read_settle(request, 'win') and done by wallet_core.settle_bet (16_settle.sql).

create or replace function wallet.bet_win(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply constant wallet_core.reply := wallet_core.route('bet/win', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_win(jsonb) is
'Route bet/win: credits the win and settles the bet as won (or cashed out with is_cashout). '
'Takes the request, returns (status, body). Exactly once per transaction.id.';

revoke all on function wallet.bet_win(jsonb) from public;
grant execute on function wallet.bet_win(jsonb) to wallet_app;
