-- How many relations of the given schemas another role than the owner owns.
select count(*)
from pg_catalog.pg_class as c
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
where n.nspname = any(%(schemas)s) and c.relowner <> to_regrole(%(owner)s)
