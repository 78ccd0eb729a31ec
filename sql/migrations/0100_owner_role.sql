-- The owner role: wallet_owner (NOLOGIN) owns the schemas wallet, wallet_core and
-- wallet_migrate and everything in them, so that no wallet object belongs to a superuser and a
-- deploy role that is a member of wallet_owner can migrate without being one.
--
-- Creating the role needs CREATEROLE: on a database a DBA bootstrapped (python migrate.py
-- bootstrap) it exists already and this file only sets its default privileges. migrate.py
-- itself moves the ownership: after every transaction it hands the objects of those schemas
-- that the migrating session may act for to wallet_owner, whatever their kind or name. A
-- database migrated earlier by a superuser therefore gets its ownership moved when a superuser
-- applies this file.

do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'wallet_owner') then
        create role wallet_owner nologin;
        comment on role wallet_owner is
        'Owns the wallet schemas, tables and SECURITY DEFINER functions. Nobody logs in as it.';
    end if;
exception
    when duplicate_object or unique_violation then
        null;  -- created meanwhile by a migration of another database on this cluster
end
$$;

-- Functions wallet_owner creates are not executable by PUBLIC unless granted.
alter default privileges for role wallet_owner in schema wallet, wallet_core
revoke execute on functions from public;
