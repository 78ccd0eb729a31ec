-- The server process that holds the migration lock on this database, if any.
select l.pid
from pg_catalog.pg_locks as l
where
    l.locktype = 'advisory'
    and l.granted
    and l.database = (
        select d.oid
        from pg_catalog.pg_database as d
        where d.datname = current_database()
    )
    and l.classid = 0
    and l.objid = %(key)s
    and l.objsubid = 1
