-- A credit to an account that a rollback took below zero may leave it below zero: only debits
-- the player asked for (a bet, a manual withdrawal) must keep the balance at zero or above.
-- (0002 required balance_after >= 0 of every entry but a rollback, so a win, refund, discard or
-- deposit that only reduced a negative balance failed with a check violation.)

alter table wallet_core.journal drop constraint journal_check;
alter table wallet_core.journal add constraint journal_debit_keeps_balance_check
check (operation not in ('bet', 'withdrawal') or balance_after >= 0);
comment on constraint journal_debit_keeps_balance_check on wallet_core.journal is
'Bets and manual withdrawals never take a balance below zero; rollbacks may, and credits may '
'leave it there.';

-- 0001's ALTER DEFAULT PRIVILEGES ... IN SCHEMA could not revoke the global default that lets
-- PUBLIC execute new functions; revoke it for functions this role creates, and for those that
-- exist now. Every function file also revokes and grants explicitly.
alter default privileges revoke execute on functions from public;
revoke execute on all functions in schema wallet_core from public;
revoke execute on all functions in schema wallet from public;
