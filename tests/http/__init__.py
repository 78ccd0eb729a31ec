"""The service over HTTP: every route through the app (and a real uvicorn socket), hostile
input, limits, stored refusals, token verification, observability, resilience, one round trip
per request; and ``wallet serve`` as a program (start-up, workers, log format, metrics)."""
