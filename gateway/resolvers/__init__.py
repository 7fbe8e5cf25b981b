"""Thin resolvers: arguments -> one domain call -> schema types."""
