"""Use cases. Handlers call exactly one of these; they take stores and the caller explicitly."""
