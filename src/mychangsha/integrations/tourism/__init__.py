"""The city's tourism platform: attractions, live crowd levels (and later quotas, tickets, events)."""
