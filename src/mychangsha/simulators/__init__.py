"""Upstream simulators: one Starlette app per upstream system, speaking its real contract.

`base.py` holds what they share (admin API, counters, fault injection, error shape);
`registry.py` names them for `mychangsha simulate NAME` and the dev stack.
"""
