"""Simulator of the tourism platform (智慧文旅): attractions and live crowd levels."""

from mychangsha.simulators.tourism.app import create_app

__all__ = ["create_app"]
