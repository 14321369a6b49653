"""Privacy by design: the data map and everything that reads it."""
