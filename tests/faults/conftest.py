"""Fixtures for the fault tests (see support.py)."""

from tests.faults.support import broker, open_consultation, processes  # noqa: F401  (fixtures)
