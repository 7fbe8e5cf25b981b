"""Interfaces to external systems, each with an HTTP client (simulators/ stands in for tests)."""
