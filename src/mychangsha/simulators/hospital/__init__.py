"""Simulator of Changsha's hospitals: one FHIR R4 server per hospital (`/fhir/{code}`)."""

from mychangsha.simulators.hospital.app import create_app

__all__ = ["create_app"]
