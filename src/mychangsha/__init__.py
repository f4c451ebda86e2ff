"""mychangsha: one GraphQL graph over Changsha's hospitals, government services and tourism."""

__version__ = "0.1.0"
