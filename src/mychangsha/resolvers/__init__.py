"""resolvers layer."""
