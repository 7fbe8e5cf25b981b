"""The Strawberry schema of the read graph; `schema` is the one instance the app serves."""
