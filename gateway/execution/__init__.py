"""Executing operations: the document cache in front of graphql-core's executor."""
