-- What /readyz asks the database besides the migration history: can this session's writes commit
-- here, now? wallet.commit_readiness() lists what stands in the way: a standby (in recovery), a
-- read-only session, or a primary whose commits wait for synchronous standbys that are not there
-- (synchronous_standby_names set, synchronous_commit waiting for them, fewer of them streaming than
-- required). Such a primary accepts the statement and never answers the COMMIT: the service would
-- take traffic it cannot finish, so it must say "not ready".
--
-- Which standbys are streaming, and whether synchronously, is in pg_stat_replication, whose state
-- and sync_state columns only roles with the privileges of pg_read_all_stats may read. The
-- function is SECURITY DEFINER, owned by wallet_owner; this file grants pg_read_all_stats to
-- wallet_owner when the migrating role may grant it (a superuser, as bootstrap and the tests run
-- it). A deploy role may not: the DBA then runs, once,
--     grant pg_read_all_stats to wallet_owner;
-- and until then the function reports that it cannot see the standbys (only where
-- synchronous_standby_names is set).

do $$
begin
    if not pg_catalog.pg_has_role('wallet_owner', 'pg_read_all_stats', 'MEMBER') then
        grant pg_read_all_stats to wallet_owner;
    end if;
exception
    when insufficient_privilege then
        raise notice 'wallet_owner cannot read pg_stat_replication''s sync state: as a superuser, run '
        '"grant pg_read_all_stats to wallet_owner" (wallet.commit_readiness() needs it where '
        'synchronous_standby_names is set)';
end
$$;

create function wallet.commit_readiness()
returns setof text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    standby_names text := pg_catalog.current_setting('synchronous_standby_names');
    required integer;
    streaming integer;
begin
    if pg_catalog.pg_is_in_recovery() then
        return next 'the database is a standby (in recovery) and cannot write: connect to the primary '
            '(a multi-host DATABASE_URL with target_session_attrs=read-write)';
        return;
    end if;
    if pg_catalog.current_setting('transaction_read_only') = 'on' then
        return next 'this session is read-only (default_transaction_read_only is on): every write fails '
            'with 25006';
    end if;
    if standby_names = '' or pg_catalog.current_setting('synchronous_commit') in ('off', 'local') then
        return;  -- commits do not wait for a standby
    end if;
    if not pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE') then
        return next 'commits wait for synchronous standbys (synchronous_standby_names = ' || standby_names
            || ') and wallet_owner cannot see them: grant pg_read_all_stats to wallet_owner';
        return;
    end if;
    -- 'FIRST 2 (a, b, c)', 'ANY 1 (a, b)', '2 (a, b)' name a number; 'a, b' and '*' mean one.
    required := coalesce(
        (pg_catalog.regexp_match(standby_names, '^\s*(?:(?:first|any)\s+)?(\d+)\s*\(', 'i'))[1]::integer, 1
    );
    select pg_catalog.count(*)::integer into streaming
    from pg_catalog.pg_stat_replication as r
    where r.state = 'streaming' and r.sync_state in ('sync', 'quorum');
    if streaming < required then
        return next pg_catalog.format(
            'commits wait for %s synchronous standby(s) (synchronous_standby_names = %s) and %s is '
            'streaming: a commit here would not complete', required, standby_names, streaming
        );
    end if;
end
$$;

comment on function wallet.commit_readiness() is
'What stops this session''s writes from committing now, one row each (none: they can): a standby, a '
'read-only session, or fewer synchronous standbys streaming than synchronous_standby_names requires. '
'/readyz answers 503 while it returns a row.';

revoke all on function wallet.commit_readiness() from public;
grant execute on function wallet.commit_readiness() to wallet_app;
