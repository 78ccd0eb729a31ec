-- Every object of the given schemas that another role than the owner owns and this session may
-- act for (a superuser: all of them), as the kind and name an ALTER ... OWNER TO takes. A
-- sequence owned by a column is left out: it follows its table.
with
owner as (
    select r.oid
    from pg_catalog.pg_roles as r
    where r.rolname = %(owner)s
),

spaces as (
    select
        n.oid,
        n.nspname
    from pg_catalog.pg_namespace as n
    where n.nspname = any(%(schemas)s)
)

select
    'SCHEMA' as kind,
    pg_catalog.quote_ident(s.nspname) as name
from spaces as s
inner join pg_catalog.pg_namespace as n on s.oid = n.oid
where
    n.nspowner <> (select o.oid from owner as o)
    and pg_catalog.pg_has_role(n.nspowner, 'USAGE')

union all

select
    case c.relkind
        when 'v' then 'VIEW'
        when 'm' then 'MATERIALIZED VIEW'
        when 'S' then 'SEQUENCE'
        when 'f' then 'FOREIGN TABLE'
        else 'TABLE'
    end as kind,
    c.oid::pg_catalog.regclass::text as name
from pg_catalog.pg_class as c
inner join spaces as s on c.relnamespace = s.oid
where
    c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
    and c.relowner <> (select o.oid from owner as o)
    and pg_catalog.pg_has_role(c.relowner, 'USAGE')
    and not exists (
        select from pg_catalog.pg_depend as d
        where
            d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
            and d.objid = c.oid
            and d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
            and d.deptype in ('a', 'i')
    )

union all

select
    'ROUTINE' as kind,
    p.oid::pg_catalog.regprocedure::text as name
from pg_catalog.pg_proc as p
inner join spaces as s on p.pronamespace = s.oid
where
    p.proowner <> (select o.oid from owner as o)
    and pg_catalog.pg_has_role(p.proowner, 'USAGE')

union all

select
    case t.typtype when 'd' then 'DOMAIN' else 'TYPE' end as kind,
    t.oid::pg_catalog.regtype::text as name
from pg_catalog.pg_type as t
inner join spaces as s on t.typnamespace = s.oid
where
    t.typowner <> (select o.oid from owner as o)
    and pg_catalog.pg_has_role(t.typowner, 'USAGE')
    and (
        t.typtype in ('d', 'e', 'r')
        or (
            t.typtype = 'c'
            and (
                select k.relkind
                from pg_catalog.pg_class as k
                where k.oid = t.typrelid
            ) = 'c'
        )
    )

order by 1, 2
