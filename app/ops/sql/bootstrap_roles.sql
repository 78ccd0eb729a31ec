-- The owner and the service role, created when missing. Roles are cluster-wide while databases
-- are not: a concurrent creation from another database's bootstrap is not an error.
do $bootstrap$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = {owner_name}) then
        create role {owner} nologin;
        comment on role {owner} is
            'Owns the wallet schemas, tables and SECURITY DEFINER functions. Nobody logs in as it.';
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = {service_name}) then
        create role {service} login;
    end if;
exception
    when duplicate_object or unique_violation then
        null;  -- created meanwhile by a migration of another database on this cluster
end
$bootstrap$;
