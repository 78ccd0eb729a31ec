"""``wallet simulate``: the provider in a box.

- ``main``: what the command does once its options are read (:mod:`app.cli` holds them);
- ``provider``: the provider's requests, shaped as ``docs/contract/provider.md`` describes
  each route (the tests and benchmarks build theirs here too);
- ``model``: the contract as a Python model, the reference the referee and the randomized
  tests compare the wallet with;
- ``traffic``: requests built and signed before they are sent, sent concurrently with httpx,
  retried until they get a definite answer, timed per route;
- ``referee``: every answer judged against the model, one model per player, and the final
  money check;
- ``dba``: the SQL side: players opened, funded and blocked, balances read, ``wallet.audit()``;
- ``scenarios``: certification, lifecycle, soak, responsible-gambling and bonus-bets;
- ``report``: the figures, as text for people and JSON for machines.

Its extra dependencies (httpx, rich) are the ``simulate`` extra: the image does not carry them.
It imports only the shared modules of :mod:`app`, never the service or the relay.
"""
