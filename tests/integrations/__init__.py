"""Tests of the integrations layer."""
