"""Building blocks every layer may use: the clock ("today in Changsha"), nothing of a domain."""
