"""The GraphQL gateway: HTTP, schema, resolvers, loaders and the command line."""
