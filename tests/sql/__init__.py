"""The SQL interface, as the service and an operator call it: the route functions (one statement
each) and the DBA functions; the contract model's random run, concurrency, the audit, the
outbox's events, retention, the registry against the database, and the guard rails
(plpgsql_check, the append-only journal)."""
