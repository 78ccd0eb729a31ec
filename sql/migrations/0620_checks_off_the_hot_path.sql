-- The money path, third edition (issue 16 item 4): the CHECK constraints of the four tables a
-- make writes go, and what they checked is checked elsewhere.
--
-- Measured (bench/callgrind_make.py, instructions per make): PostgreSQL reads every CHECK
-- constraint of a table back from its text form (stringToNode) and plans it each time a statement
-- that writes the table starts, and every statement of a PL/pgSQL function starts anew; with the
-- 15 checks of bets, 4 of events, 3 of the journal and 2 of accounts that was a fifth of a make's
-- instructions (0.821 of the code before issue 16 with them, 0.636 without).
--
-- - journal (the ledger's rules: the operation, the sign of the amount per operation, no debit below
--   zero): checked by wallet_core.post, the one function that writes the journal, before its
--   statement ends (the same SQLSTATE, 23514, so a broken rule still fails the call whole).
-- - bets, events, accounts: written only by the route and DBA functions, with values the readers
--   checked; wallet.audit() checks every rule on every row (bet_rules, event_rules, account_rules,
--   journal_rules for rows written some other way), off the hot path.
--
-- Dropping a constraint takes the table's ACCESS EXCLUSIVE lock for a moment (no scan).

alter table wallet_core.bets
drop constraint bets_bonus_stake_check,
drop constraint bets_check,
drop constraint bets_check1,
drop constraint bets_check2,
drop constraint bets_check3,
drop constraint bets_closing_status_check,
drop constraint bets_cross_rate_euro_check,
drop constraint bets_make_transaction_id_check,
drop constraint bets_odds_check,
drop constraint bets_potential_win_check,
drop constraint bets_result_check,
drop constraint bets_settled_amount_check,
drop constraint bets_stake_check,
drop constraint bets_state_check;

alter table wallet_core.events
drop constraint events_check1,
drop constraint events_detail_check,
drop constraint events_player_level_check,
drop constraint events_type_check;

alter table wallet_core.journal
drop constraint journal_check1,
drop constraint journal_debit_keeps_balance_check,
drop constraint journal_operation_check;

alter table wallet_core.accounts
drop constraint accounts_currency_check,
drop constraint accounts_player_id_check;

comment on table wallet_core.bets is
'Bet slips. A row with made = false is a discard marker: the provider discarded a make the wallet '
'never saw, and a make arriving later with that id is refused. Its rules (the states and how state, '
'result, settlement and closing status go together, the ranges) are checked by wallet.audit() '
'(bet_rules), not by CHECK constraints (migration 0620).';
comment on table wallet_core.journal is
'Append-only record of every balance change. Nothing may update or delete it (triggers refuse). Its rules '
'(the operation, the sign of the amount, no debit below zero) are checked by wallet_core.post, its one '
'writer, and by wallet.audit() (journal_rules).';
