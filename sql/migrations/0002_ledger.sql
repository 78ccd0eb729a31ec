-- The ledger: accounts, the append-only journal, idempotency records, and the error table.

create table wallet_core.error_codes (
    sqlstate text primary key check (sqlstate ~ '^WA[0-9A-Z]{3}$'),
    provider_code integer not null,
    http_status integer not null,
    stored boolean not null,
    meaning text not null
);
comment on table wallet_core.error_codes is
'Every SQLSTATE the wallet raises, the provider error code and HTTP status it maps to, and whether a '
'refusal with it is stored for replay (the contract''s list: 1005, 1006, 2001, 2002 and 2004 for a '
'state the bet does not allow; not malformed requests, idempotency conflicts or an unknown bet).';

insert into wallet_core.error_codes (sqlstate, provider_code, http_status, stored, meaning) values
('WA005', 1005, 400, true, 'player is blocked'),
('WA006', 1006, 400, true, 'player not found'),
('WA201', 2001, 400, true, 'not enough money'),
('WA202', 2002, 400, true, 'invalid currency: not the player''s account currency, or not a currency'),
('WA203', 2003, 400, false, 'parent transaction not found: the bet the request names does not exist'),
('WA204', 2004, 400, false, 'malformed request: a field is missing or has the wrong shape'),
('WA205', 2004, 400, false, 'idempotency conflict: the key was already used with different content'),
('WA206', 2004, 400, true, 'the bet''s state does not allow this operation'),
('WA207', 2004, 400, false, 'account already exists (DBA functions only)');

create sequence wallet_core.operation_id_seq as bigint;
comment on sequence wallet_core.operation_id_seq is
'Source of the wallet''s own operation ids (the "id" of every answer); a bet''s id is its make''s id.';

create table wallet_core.accounts (
    account_id bigint generated always as identity primary key,
    player_id text not null check (length(player_id) between 1 and 128),
    currency text not null check (currency ~ '^[A-Z0-9]{3,8}$'),
    balance bigint not null,
    blocked boolean not null default false,
    created_at timestamptz not null default now(),
    unique (player_id, currency)
);
comment on table wallet_core.accounts is
'One account per player and currency. The row is the only hot lock: every balance change locks it.';
comment on column wallet_core.accounts.balance is
'Minor units (cents). Equals the sum of the account''s journal; below zero only after a rollback.';
comment on column wallet_core.accounts.blocked is
'Blocked players cannot make bets; settlements, discards and rollbacks still reach them.';

create table wallet_core.idempotency (
    kind text not null check (kind in ('transaction', 'discard', 'commit', 'settlement')),
    key text not null check (length(key) between 1 and 128),
    operation_id bigint not null default nextval('wallet_core.operation_id_seq') unique,
    route text not null,
    fingerprint jsonb not null,
    status integer,
    response jsonb,
    created_at timestamptz not null default now(),
    primary key (kind, key),
    check ((status is null) = (response is null))
);
comment on table wallet_core.idempotency is
'One row per operation key seen: the key is claimed first (a duplicate in flight waits on it), and the '
'answer is stored in the same transaction so that a replay returns it byte for byte.';
comment on column wallet_core.idempotency.kind is
'Key space: transaction (make, win, lost, refund, rollback: transaction.id), discard (the make''s '
'transaction_id), commit and settlement (bet_transaction_id).';
comment on column wallet_core.idempotency.fingerprint is
'The content that must match on replay: operation, player, amount, currency, parent.';
comment on column wallet_core.idempotency.operation_id is
'The wallet''s own id of the operation: the "id" of its answer (for a make, the bet id).';

create table wallet_core.journal (
    entry_id bigint generated always as identity primary key,
    account_id bigint not null references wallet_core.accounts,
    operation text not null check (
        operation in ('deposit', 'withdrawal', 'bet', 'discard', 'win', 'refund', 'rollback')
    ),
    amount bigint not null,
    balance_after bigint not null,
    transaction_id text,
    bet_id bigint,
    reason text,
    created_at timestamptz not null default now(),
    check (operation = 'rollback' or balance_after >= 0),
    check (
        (operation = 'deposit' and amount > 0)
        or (operation in ('withdrawal', 'bet') and amount <= 0)
        or (operation in ('discard', 'win', 'refund') and amount >= 0)
        or (operation = 'rollback' and amount <= 0)
    )
);
comment on table wallet_core.journal is
'Append-only record of every balance change. Nothing may update or delete it (triggers refuse).';
comment on column wallet_core.journal.amount is 'Signed change in minor units: negative debits, positive credits.';
comment on column wallet_core.journal.balance_after is 'The account''s balance right after this entry.';
comment on column wallet_core.journal.transaction_id is 'The provider''s transaction id, when a provider caused it.';
comment on column wallet_core.journal.bet_id is 'The bet the entry belongs to, if any.';
comment on column wallet_core.journal.reason is
'Why: the DBA''s reason for manual adjustments, the provider''s for discards and refunds.';

create index journal_account_idx on wallet_core.journal (account_id, entry_id);
create index journal_bet_idx on wallet_core.journal (bet_id) where bet_id is not null;

create function wallet_core.journal_is_append_only() returns trigger
language plpgsql as $$
begin
    raise sqlstate 'WA900' using
        message = format('wallet_core.journal is append-only: %s refused', tg_op),
        hint = 'Correct a balance with wallet.adjust_balance(), which journals the correction.';
end
$$;
comment on function wallet_core.journal_is_append_only() is
'Trigger function: refuses UPDATE, DELETE and TRUNCATE on the journal.';

create trigger journal_no_update_delete
before update or delete on wallet_core.journal
for each row execute function wallet_core.journal_is_append_only();

create trigger journal_no_truncate
before truncate on wallet_core.journal
for each statement execute function wallet_core.journal_is_append_only();

insert into wallet_core.error_codes (sqlstate, provider_code, http_status, stored, meaning) values
('WA900', 500, 500, false, 'the journal is append-only (raised by a trigger; a bug if the service sees it)');
