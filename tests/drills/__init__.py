"""Fault drills against a real service: PostgreSQL crashed, a worker killed, an account locked;
each ends with the money check."""
