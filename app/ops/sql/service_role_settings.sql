-- The settings stored on the service role for this database (ALTER ROLE ... IN DATABASE ... SET).
select s.setconfig
from pg_catalog.pg_db_role_setting as s
where
    s.setrole = to_regrole(%(service)s)
    and s.setdatabase = (
        select d.oid
        from pg_catalog.pg_database as d
        where d.datname = current_database()
    )
