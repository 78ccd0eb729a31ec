-- balance: the player's balance in a currency. Reads only; nothing is stored.

create or replace function wallet.player_balance(request jsonb, out status integer, out body jsonb)
language plpgsql stable
security definer
set search_path = ''
as $$
declare
    v_player_id text;
    v_currency text;
    v_account wallet_core.accounts;
begin
    begin
        perform wallet_core.as_object(request, 'payload');
        v_player_id := wallet_core.as_id(request -> 'player_id', 'player_id');
        v_currency := wallet_core.as_currency(request -> 'currency', 'currency');
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        select a.status, a.body into status, body from wallet_core.malformed_answer(sqlstate, sqlerrm) as a;
        return;
    end;

    select a.* into v_account
    from wallet_core.accounts as a
    where a.player_id = v_player_id and a.currency = v_currency;
    if not found then
        select e.status, e.body into status, body
        from wallet_core.error_answer(
            wallet_core.player_refusal(v_player_id, v_currency),
            format('player %s has no %s account', v_player_id, v_currency)
        ) as e;
        return;
    end if;
    status := 200;
    body := jsonb_build_object('user_id', v_player_id, 'currency', v_currency, 'balance', v_account.balance);
end
$$;
comment on function wallet.player_balance(jsonb) is
'Route balance: {user_id, currency, balance} for the request''s player_id and currency. '
'Takes the request, returns (status, body). Blocked players still get their balance.';

revoke all on function wallet.player_balance(jsonb) from public;
grant execute on function wallet.player_balance(jsonb) to wallet_app;
