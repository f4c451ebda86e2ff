"""Simulator of the real-name verification service: does this name go with this ID number?"""

from mychangsha.simulators.realname.app import create_app
from mychangsha.simulators.realname.data import RECORDS, CitizenRecord

__all__ = ["RECORDS", "CitizenRecord", "create_app"]
