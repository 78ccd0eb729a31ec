"""``wallet simulate``: the provider in a box.

- ``traffic``: requests built and signed before they are sent, sent concurrently with httpx,
  retried until they get a definite answer, timed per route;
- ``referee``: every answer judged against the contract's model (``app.contract_model``), one
  model per player, and the final money check;
- ``dba``: the SQL side: players opened, funded and blocked, balances read, ``wallet.audit()``;
- ``scenarios``: certification, lifecycle and soak;
- ``report``: the figures, as text for people and JSON for machines.
"""
