"""Tests of the upstream simulators."""
