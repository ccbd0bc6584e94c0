"""GraphQL object types, one per module, each with a `from_model()` mapper."""
