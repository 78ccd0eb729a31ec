"""Sportsbook seamless wallet: the HTTP face of the PL/pgSQL money core in ``sql/``."""
