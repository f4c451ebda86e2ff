"""Real-name verification: does a resident ID number belong to this name (level 2)?"""

from mychangsha.integrations.realname.client import RealNameClient, RealNameResult

__all__ = ["RealNameClient", "RealNameResult"]
