-- Whether this session runs the files as the owner role: the role exists, and the session user
-- is a member of it and no superuser (a superuser runs them as itself, and hands over after).
select
    to_regrole(%(owner)s) is not null
    and not (
        select r.rolsuper
        from pg_catalog.pg_roles as r
        where r.rolname = session_user
    )
    and pg_has_role(session_user, %(owner)s, 'MEMBER') as acts_as_owner
