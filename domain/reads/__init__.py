"""Every select() of the domain: by id, by key lists (what loaders call), filters and pages."""
