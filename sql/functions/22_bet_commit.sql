-- bet/commit: the provider accepted the bet. No money moves.

create or replace function wallet.bet_commit(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_bet_ref text;
begin
    -- Validate: a malformed request is answered and not stored.
    begin
        perform wallet_core.as_object(request, 'payload');
        v_bet_ref := wallet_core.as_id(request -> 'bet_transaction_id', 'bet_transaction_id');
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        select a.status, a.body into status, body from wallet_core.malformed_answer(sqlstate, sqlerrm) as a;
        return;
    end;
    -- Claim (commit, bet id), lock the bet's account, open -> accepted, answer.
    select a.status, a.body into status, body
    from wallet_core.advance_bet(
        'commit', 'bet/commit', 'commit', v_bet_ref,
        jsonb_build_object('operation', 'commit', 'parent', v_bet_ref),
        'open', 'accepted', null
    ) as a;
end
$$;
comment on function wallet.bet_commit(jsonb) is
'Route bet/commit: the provider accepted an open bet; no money moves. Takes the request, returns '
'(status, body). Exactly once per bet_transaction_id.';

revoke all on function wallet.bet_commit(jsonb) from public;
grant execute on function wallet.bet_commit(jsonb) to wallet_app;
