-- Schemas and the service's login role.
--
-- wallet       the interface: route functions the service calls, DBA functions.
-- wallet_core  the tables and internal functions; nobody but the owner touches them.
-- wallet_app   the login role of the HTTP service: EXECUTE on the route functions only.
--
-- Roles are cluster-wide while databases are not: the role is created only when missing,
-- and a concurrent creation from another database's migration is not an error.

do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'wallet_app') then
        create role wallet_app login;
    end if;
exception
    when duplicate_object or unique_violation then
        null;  -- created meanwhile by a migration of another database on this cluster
end
$$;

comment on role wallet_app is
'Login role of the wallet HTTP service: may only execute the provider route functions in schema wallet.';

create schema wallet;
comment on schema wallet is
'Sportsbook wallet interface: one function per provider route, and the DBA functions (\df+ wallet.*).';

create schema wallet_core;
comment on schema wallet_core is
'Sportsbook wallet internals: ledger tables and the functions behind the interface. Not for direct use.';

revoke all on schema wallet_core from public;
revoke all on schema wallet from public;
grant usage on schema wallet to wallet_app;

-- Functions are executable by PUBLIC unless revoked; revoke it by default for what the
-- migrating role creates here, and every function file also revokes it explicitly.
alter default privileges in schema wallet, wallet_core revoke execute on functions from public;
