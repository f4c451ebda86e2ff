"""`make bench`: the graph under load, measured against baselines in the same run.

See docs/performance.md for the method, the scenarios and the latest table.
"""
