"""The operator's database tools: the migration engine (``migrate.py`` is its front door), the
wallet's role and ownership policy, and retention (``wallet purge``)."""
