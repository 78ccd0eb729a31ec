-- The money path, third edition (issue 16 item 4): every index, check and foreign key bet/make
-- writes either serves a query or guards an invariant, or goes. docs/sql.md ("What bet/make
-- writes, and why") lists what stays, each with the query or invariant that needs it.
--
-- Gone here (each cost bet/make an index probe and a tuple lock, or an index entry):
-- 1. bets.account_id -> accounts: bet/make inserts the bet under its account's row lock, taken
--    by the same transaction a statement earlier, and accounts are never deleted or re-keyed.
-- 2. journal.account_id -> accounts: wallet_core.post updates the account (RETURNING, STRICT)
--    in the statement before it inserts the journal row.
-- 3. journal.bet_id -> bets: every journal row naming a bet is written by the transaction that
--    holds that bet (made a statement earlier, or read under its account's lock).
-- 4. journal_bet_idx: nothing on a route reads the journal by bet; wallet.audit() reads it whole
--    (hash aggregates) and finds what the three foreign keys refused (its check orphan_row).

alter table wallet_core.bets drop constraint bets_account_id_fkey;
alter table wallet_core.journal drop constraint journal_account_id_fkey;
alter table wallet_core.journal drop constraint journal_bet_fk;
drop index wallet_core.journal_bet_idx;

comment on column wallet_core.bets.account_id is
'The account the bet was made on (no foreign key: written under that account''s lock, and accounts are '
'never deleted; wallet.audit() checks it, orphan_row).';
comment on column wallet_core.journal.bet_id is
'The bet the entry belongs to, if any (no foreign key: written by the transaction that holds the bet; '
'wallet.audit() checks it, orphan_row).';
