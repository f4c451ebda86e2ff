"""Fixtures the federation journeys share with the API tests: signed-in citizens."""

from tests.api.conftest import people

__all__ = ["people"]
