-- The shape of every provider route, written once. Each route function wallet.<route>(request
-- jsonb) is one call of wallet_core.route with its path (the paths of app/contract.py) and
-- returns its reply (status, body):
--
-- 1. Read: the request becomes its typed record (wallet_core.read_<route>, in the route's file).
--    A malformed request is answered here: 2004 naming the field, or 2002 for a malformed
--    currency; nothing is stored. The readers raise WA204 or WA202, and this is the one place
--    that catches them.
-- 2. Do: the operation, in the route's file: claim the key, lock, check, write, answer.
--
-- Only reading is inside the exception block. A block with an exception handler is a
-- subtransaction, and one that wrote would cost every request a second transaction id.
-- tests/sql/test_route_shape.py fails when a route function departs from this shape.

create or replace function wallet_core.route(path text, request jsonb)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
declare
    make wallet_core.make_request;
    settle wallet_core.settle_request;
    bet wallet_core.bet_request;
    discard wallet_core.discard_request;
    rollback wallet_core.rollback_request;
    balance wallet_core.balance_request;
begin
    -- 1. Read: the typed request, or the answer to a malformed one.
    begin
        case path
            when 'bet/make' then make := wallet_core.read_make(request);
            when 'bet/win' then settle := wallet_core.read_settle(request, 'win');
            when 'bet/lost' then settle := wallet_core.read_settle(request, 'lost');
            when 'bet/refund' then settle := wallet_core.read_settle(request, 'refund');
            when 'bet/commit' then bet := wallet_core.read_commit(request);
            when 'bet/settlement' then bet := wallet_core.read_settlement(request);
            when 'bet/discard' then discard := wallet_core.read_discard(request);
            when 'bet/rollback' then rollback := wallet_core.read_rollback(request);
            when 'balance' then balance := wallet_core.read_balance(request);
        end case;
    exception when sqlstate 'WA204' or sqlstate 'WA202' then
        return wallet_core.error_answer(sqlstate, sqlerrm);
    end;

    -- 2. Do: claim, lock, check, write, answer.
    case path
        when 'bet/make' then return wallet_core.make_bet(make);
        when 'bet/win' then return wallet_core.settle_bet('bet/win', 'win', settle);
        when 'bet/lost' then return wallet_core.settle_bet('bet/lost', 'lost', settle);
        when 'bet/refund' then return wallet_core.settle_bet('bet/refund', 'refund', settle);
        when 'bet/commit' then return wallet_core.commit_bet(bet);
        when 'bet/settlement' then return wallet_core.close_bet(bet);
        when 'bet/discard' then return wallet_core.discard_bet(discard);
        when 'bet/rollback' then return wallet_core.roll_back_bet(rollback);
        when 'balance' then return wallet_core.player_balance(balance);
    end case;
end
$$;
comment on function wallet_core.route(text, jsonb) is
'A provider route from the request to its reply (status, body): reads the request into its typed record '
'(a malformed request is answered 2004, or 2002 for a currency, and nothing is stored), then does the '
'operation. Every route function wallet.<route>(jsonb) is one call of it with its path.';
