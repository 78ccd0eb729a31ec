"""The HTTP service (``wallet serve``): the provider's callbacks in, one database call each.

- ``app``: the Litestar application (:func:`app.service.app.create_app`), its lifespan and
  error handlers;
- ``routes``: the provider routes, ``/healthz``, ``/readyz``, ``/ping``;
- ``tokens``: RS256 verification of the provider's tokens (the key ring);
- ``database``: the connection pool and the one call per request;
- ``observability``: access log, JSON logs, Prometheus metrics.

It imports only the shared modules of :mod:`app` (``config``, ``contract``, ``envelope``,
``keys``) and :mod:`app.ops` for the readiness check; never the simulator or the relay
(``tests/deploy/test_architecture.py`` checks it).
"""
