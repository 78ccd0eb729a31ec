-- balance: the player's balance in a currency. Reads only; nothing is stored.

create or replace function wallet_core.read_balance(request jsonb)
returns wallet_core.balance_request
language plpgsql stable
set search_path = ''
as $$
declare
    read wallet_core.balance_request;
begin
    perform wallet_core.as_object(request, 'payload');
    read.player_id := wallet_core.as_id(request -> 'player_id', 'player_id');
    read.currency := wallet_core.as_currency(request -> 'currency', 'currency');
    return read;
end
$$;
comment on function wallet_core.read_balance(jsonb) is
'A balance request, typed; WA204/WA202 naming the field when it is malformed.';

create or replace function wallet_core.player_balance(
    request wallet_core.balance_request
)
returns wallet_core.reply
language plpgsql stable
set search_path = ''
as $$
declare
    account wallet_core.accounts;
begin
    select a.* into account
    from wallet_core.accounts as a
    where a.player_id = request.player_id and a.currency = request.currency;
    if not found then
        return wallet_core.error_answer(
            wallet_core.player_refusal(request.player_id, request.currency),
            format('player %s has no %s account', request.player_id, request.currency)
        );
    end if;
    return row(
        200, jsonb_build_object('user_id', request.player_id, 'currency', request.currency, 'balance', account.balance)
    );
end
$$;
comment on function wallet_core.player_balance(wallet_core.balance_request) is
'balance once read: {user_id, currency, balance}, or 1006/2002 when there is no such account.';

create or replace function wallet.player_balance(request jsonb, out status integer, out body jsonb)
language plpgsql stable
security definer
set search_path = ''
as $$
declare
    reply constant wallet_core.reply := wallet_core.route('balance', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.player_balance(jsonb) is
'Route balance: {user_id, currency, balance} for the request''s player_id and currency. '
'Takes the request, returns (status, body). Blocked players still get their balance.';

revoke all on function wallet.player_balance(jsonb) from public;
grant execute on function wallet.player_balance(jsonb) to wallet_app;
