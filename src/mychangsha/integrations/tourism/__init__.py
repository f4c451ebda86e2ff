"""The city's tourism platform: attractions, crowd levels, quotas, tickets, events."""
