"""Async functions that change state: (session, *, ..., actor) -> result. They never commit."""
