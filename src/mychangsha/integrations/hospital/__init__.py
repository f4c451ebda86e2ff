"""Hospitals over HL7 FHIR R4: one base URL per hospital, mapped to plain domain objects."""
