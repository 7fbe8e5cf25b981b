"""One DataLoader per relation, created fresh for every request (see `Loaders`)."""

from gateway.loaders.container import Loaders, RequestDb

__all__ = ["Loaders", "RequestDb"]
