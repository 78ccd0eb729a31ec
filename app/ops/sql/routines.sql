-- Every function and procedure of the given schemas: its schema-qualified name, its signature,
-- and whether this transaction wrote its catalog row (created or replaced it).
select
    n.nspname || '.' || p.proname as name,
    p.oid::pg_catalog.regprocedure::text as signature,
    p.xmin::text::bigint = pg_catalog.mod(pg_catalog.txid_current(), 4294967296) as recreated
from pg_catalog.pg_proc as p
inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
where n.nspname = any(%(schemas)s) and p.prokind in ('f', 'p', 'w')
order by 2
