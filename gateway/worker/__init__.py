"""Background work beside the app: the outbox worker."""
