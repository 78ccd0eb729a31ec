-- The shape of every provider route, written once. Each route function wallet.<route>(request
-- jsonb) is one call of wallet_core.route with its path (the paths of app/contract.py) and
-- returns its reply (status, body):
--
-- 1. Read: the request becomes its typed record (wallet_core.read_<route>, in the route's file).
--    A malformed request is answered here: 2004 naming the field, or 2002 for a malformed
--    currency; nothing is stored. The readers raise WA204 or WA202, and this is the one place
--    that catches them; a cast of a request's field that PostgreSQL itself refuses while
--    reading (22P02, 22P05, 22003, 54001) is the request's decoding too, answered 2004 here.
--    The same SQLSTATEs from step 2 are not caught: they are the wallet's failure, the
--    statement fails and writes nothing, and the service answers 500 (the provider retries).
-- 2. Do: the operation, in the route's file: claim the key, lock, check, write, answer.
--
-- Only reading is inside the exception block. A block with an exception handler is a
-- subtransaction, and one that wrote would cost every request a second transaction id.
--
-- Every request passes through it, so it is written to cost little (measured with callgrind, in
-- instructions per call, against the per-route wrappers it replaced):
-- - STABLE, although the operations it calls write: wallet_core.route itself reads and writes
--   nothing, and the operations are VOLATILE functions that take their own snapshot for each
--   statement. Declared VOLATILE, PL/pgSQL would take a new snapshot and a command counter
--   increment for every CASE test.
-- - No SET clause (nor on wallet_core.claim_bet, the other layer this shape adds to a bet's
--   operations): it runs only inside the route functions, which are SECURITY DEFINER with
--   search_path ''; a SET clause would save and restore that setting once more per request.
-- - The branches stand in the order of the provider's traffic (make, balance, commit, win, lost
--   and refund, settlement, rollback, discard): each test before a route's own costs it a
--   little (a PL/pgSQL expression, initialised once per transaction). bet/win, bet/lost and
--   bet/refund share one branch: they read one record, and their operation is the path's
--   second part.
-- tests/sql/test_route_shape.py fails when a route function departs from this shape.

create or replace function wallet_core.route(path text, request jsonb)
returns wallet_core.reply
language plpgsql stable
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
            when 'balance' then balance := wallet_core.read_balance(request);
            when 'bet/commit' then bet := wallet_core.read_commit(request);
            when 'bet/win', 'bet/lost', 'bet/refund' then
                settle := wallet_core.read_settle(request, operation => pg_catalog.split_part(path, '/', 2));
            when 'bet/settlement' then bet := wallet_core.read_settlement(request);
            when 'bet/rollback' then rollback := wallet_core.read_rollback(request);
            when 'bet/discard' then discard := wallet_core.read_discard(request);
        end case;
    exception
        when sqlstate 'WA204' or sqlstate 'WA202' then
            return wallet_core.error_answer(sqlstate, sqlerrm);
        when sqlstate '22P02' or sqlstate '22P05' or sqlstate '22003' or sqlstate '54001' then
            return wallet_core.error_answer('WA204', sqlerrm);
    end;

    -- 2. Do: claim, lock, check, write, answer.
    case path
        when 'bet/make' then return wallet_core.make_bet(make);
        when 'balance' then return wallet_core.player_balance(balance);
        when 'bet/commit' then return wallet_core.commit_bet(bet);
        when 'bet/win', 'bet/lost', 'bet/refund' then
            return wallet_core.settle_bet(path, operation => pg_catalog.split_part(path, '/', 2), request => settle);
        when 'bet/settlement' then return wallet_core.close_bet(bet);
        when 'bet/rollback' then return wallet_core.roll_back_bet(rollback);
        when 'bet/discard' then return wallet_core.discard_bet(discard);
    end case;
end
$$;
comment on function wallet_core.route(text, jsonb) is
'A provider route from the request to its reply (status, body): reads the request into its typed record '
'(a malformed request is answered 2004, or 2002 for a currency, and nothing is stored), then does the '
'operation, whose errors are not caught (the statement fails whole and writes nothing: HTTP 500). '
'Every route function wallet.<route>(jsonb) is one call of it with its path.';
