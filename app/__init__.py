"""Sportsbook seamless wallet: the Python around the PL/pgSQL money core in ``sql/``.

Three programs, each a subpackage: :mod:`app.service` (``wallet serve``), :mod:`app.relay`
(``wallet relay``) and :mod:`app.simulator` (``wallet simulate``); :mod:`app.ops` holds the
operator's database tools (``migrate.py``, ``wallet purge``). What they share sits here:
``config``, ``contract`` (the route registry), ``envelope`` (the answer envelope), ``keys``
(the provider's RS256 keys) and ``embedded`` (the development PostgreSQL); ``cli`` is the
``wallet`` command. ``docs/architecture.md`` draws the rooms and what each may import.
"""
