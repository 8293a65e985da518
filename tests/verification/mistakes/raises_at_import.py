"""A module that raises while it is imported."""
raise RuntimeError("my code is broken at import")
