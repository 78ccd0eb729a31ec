-- Retention: idempotency records are kept for a window that covers the provider's retries, then
-- removed in small batches that take no lock a route function waits for.
--
-- Never the record of an operation whose bet is not finished: a bet that is open, accepted or
-- settled can still be rolled back, settled again or committed, and the provider (or anyone
-- holding a captured token) may send one of its old operations again; without its record a win
-- that was rolled back would be credited a second time. Only a bet that is closed (a settlement
-- made it final) or discarded can never change again: every operation on it answers 2004 and
-- moves no money, so its records may go. A record belongs to the bet its parent names (the bet
-- id of a commit, win, lost, refund, rollback or settlement) or, for a make and a discard, to
-- the bet made with its key (bets.make_transaction_id). A record that names no bet (a refused
-- make, an unknown bet's 1006) is kept for the window only.
--
-- A batch is a range of the table's blocks (a TID range scan: no index to maintain on every
-- bet/make, no full scan per batch); within it, rows older than the window are deleted. The
-- DELETE takes ROW EXCLUSIVE on the table, which every route function's INSERT also takes and
-- which conflicts with neither, and row locks on expired rows only, which nothing live touches.
-- `wallet purge` walks the table a batch at a time, each batch its own transaction.

create or replace function wallet.purge_idempotency(
    keep interval, first_block bigint, blocks integer default 128,
    out deleted bigint, out next_block bigint
)
language plpgsql
security definer
set search_path = ''
as $$
declare
    block_count constant bigint := pg_catalog.pg_relation_size('wallet_core.idempotency')
        / pg_catalog.current_setting('block_size')::bigint;
begin
    if keep is null or keep < interval '1 day' then
        raise sqlstate '22023' using message = format('keep must be at least 1 day, not %s', keep),
            hint = 'the window must cover every retry the provider may send (default 30 days)';
    end if;
    if first_block is null or first_block < 0 or blocks is null or blocks < 1 then
        raise sqlstate '22023' using message = 'first_block must be 0 or more and blocks 1 or more';
    end if;
    delete from wallet_core.idempotency as i
    where
        i.ctid >= format('(%s,0)', first_block)::tid
        and i.ctid < format('(%s,0)', first_block + blocks)::tid
        and i.created_at < pg_catalog.now() - keep
        -- a make's or a discard's bet: the one made with that transaction id
        and not exists (
            select from wallet_core.bets as b
            where
                i.route in ('bet/make', 'bet/discard')
                and b.make_transaction_id = i.key
                and b.state not in ('closed', 'discarded')
        )
        -- every other operation's bet: the one its parent names (a wallet bet id)
        and not exists (
            select from wallet_core.bets as b
            where
                i.route not in ('bet/make', 'bet/discard')
                -- in a CASE: an AND does not promise to test the shape before the cast
                and b.bet_id = case when i.parent ~ '^[0-9]{1,18}$' then i.parent::bigint end
                and b.state not in ('closed', 'discarded')
        );
    get diagnostics deleted = row_count;
    next_block := case when first_block + blocks < block_count then first_block + blocks end;
end
$$;
comment on function wallet.purge_idempotency(interval, bigint, integer) is
'Deletes the idempotency records older than keep in blocks [first_block, first_block + blocks) of '
'wallet_core.idempotency, except those of operations whose bet is not closed or discarded (it can still '
'be rolled back or settled again, and an old operation sent again must replay, not apply); returns how '
'many and the next first_block (null past the end). A replay '
'of an operation older than keep is treated as a new operation: keep must cover the provider''s '
'retries. Run by `wallet purge`, one batch per transaction.';

revoke all on function wallet.purge_idempotency(interval, bigint, integer) from public;
