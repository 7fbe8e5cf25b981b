"""Ports: interfaces to external systems, each with its real async HTTP client."""
