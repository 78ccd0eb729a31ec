-- One file applied (or a repeatable file found deleted), in the transaction that applied it.
insert into wallet_migrate.history (kind, version, name, checksum, duration_ms, applied_by)
values (%(kind)s, %(version)s, %(name)s, %(checksum)s, %(duration_ms)s, session_user)
