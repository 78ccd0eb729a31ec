-- The history of the files migrate.py applied: created when missing at the start of every run
-- (hence no notices: "already exists, skipping" would be said on every run).
set local client_min_messages = warning;

create schema if not exists wallet_migrate;
comment on schema wallet_migrate is 'History of the SQL files migrate.py applied.';
grant usage on schema wallet_migrate to public;

create table if not exists wallet_migrate.history (
    id bigint generated always as identity primary key,
    kind text not null check (kind in ('versioned', 'repeatable')),
    version bigint unique,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default clock_timestamp(),
    duration_ms numeric not null,
    applied_by text not null default current_user,
    check ((kind = 'versioned') = (version is not null))
);
comment on table wallet_migrate.history is
'One row per application of a file by migrate.py: versioned files once, '
'repeatable files each time their content changed.';
comment on column wallet_migrate.history.version is
'The NNNN of a versioned file; NULL for a repeatable file.';
comment on column wallet_migrate.history.checksum is
'sha256 of the file''s bytes, hex, as applied.';
comment on column wallet_migrate.history.duration_ms is
'How long the file took to run, in milliseconds.';
