"""Catalogue mirrors: jobs that copy slowly-changing upstream catalogues into MongoDB."""
