"""What the tests share besides fixtures (those are in ``tests/conftest.py``).

- ``provider``: the provider's keys and requests, and ``call`` (one route function, one
  statement, as the service calls it).
- ``database``: conninfo for more connections, balances, ``wallet.audit()`` findings, snapshots
  of the ledger for "this wrote nothing" checks.
- ``processes``: free ports, polling, the app on a real uvicorn, ``wallet serve`` as a process.
- ``rabbitmq``: the shared broker, a queue of a test's own, ``wallet relay`` as a process, a
  private broker to stop and start.
- ``own_postgres``: a PostgreSQL server of a test's own, to configure or to crash.
- ``replication``: a primary of a test's own with a streaming standby (``pg_basebackup``).
- ``frozen_proxy``: a TCP forwarder the test can freeze mid-request (a database that hangs).
- ``auto_failover``: a pg_auto_failover formation (a monitor, two data nodes, synchronous
  replication) whose primary a drill kills, freezes or turns into a zombie.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
"""The project's root directory (``Dockerfile``, ``migrate.py``, ``app/``)."""
