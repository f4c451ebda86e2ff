"""What operators see of the graph: one JSON log line per request, Prometheus metrics, and
OpenTelemetry traces when configured.

`record.py` carries what a request learns about itself (operation, citizen, error codes) from
the layers that know it to `access.py`, which logs and measures the request once it is over.
"""
