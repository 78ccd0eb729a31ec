-- High availability (docs/high-availability.md): what the service and the relay need to follow the
-- primary through a failover without answering for, or publishing, anything the synchronous
-- standby does not have.
--
-- 1. The relay checks, as the service's pool does, that a read-write server can commit before it
--    keeps a session there (app/primary.py): a failover can leave the old primary back read-write
--    with a synchronous standby that no longer follows it.
--
-- 2. wallet.await_standbys(): an answer that wrote nothing (a replay of a stored answer or refusal,
--    a balance) commits without writing WAL, so without waiting for the synchronous standby. On
--    such an old primary it could read a bet that committed there but never reached the standby,
--    and answer 200 for it. The service calls this function in the same statement as the route
--    (SELECT ... FROM wallet.<route>($1) WHERE wallet.await_standbys()): when the transaction has
--    written nothing and commits wait for synchronous standbys, it writes a transactional logical
--    message (a few bytes of WAL, decoded by no one), so that the COMMIT waits for the standby to
--    have everything up to here, the answer's rows included. The relay reads the outbox the same
--    way, and so never publishes an event the standby does not have.

grant execute on function wallet.commit_readiness() to wallet_relay;

create function wallet.await_standbys()
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    if pg_catalog.pg_current_xact_id_if_assigned() is null
        and pg_catalog.current_setting('synchronous_standby_names') <> ''
        and pg_catalog.current_setting('synchronous_commit') not in ('off', 'local')
    then
        perform pg_catalog.pg_logical_emit_message(true, 'wallet.await_standbys', '');
    end if;
    return true;
end
$$;

comment on function wallet.await_standbys() is
'True, after making the calling transaction''s COMMIT wait for the synchronous standbys when it has '
'written nothing (a transactional logical message): an answer that only reads is then given only once '
'what it read is on the standby. A no-op where commits do not wait for standbys.';

revoke all on function wallet.await_standbys() from public;
grant execute on function wallet.await_standbys() to wallet_app, wallet_relay;
