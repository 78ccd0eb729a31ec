-- What the history recorded, callable by any role: the service's readiness check compares it
-- with the files it carries. Created once, when missing.
create function wallet_migrate.applied_files()
returns table (kind text, name text, checksum text)
language sql stable security definer set search_path = ''
as $$
    select distinct on (h.kind, h.name) h.kind, h.name, h.checksum
    from wallet_migrate.history as h
    order by h.kind, h.name, h.id desc
$$;
comment on function wallet_migrate.applied_files() is
'Every file migrate.py recorded, with the checksum it last applied. '
'Callable by any role: the readiness check of the service uses it.';
grant execute on function wallet_migrate.applied_files() to public;
