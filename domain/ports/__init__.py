"""Interfaces of external systems, and the HTTP clients that implement them."""
