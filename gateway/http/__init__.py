"""The wire: GraphQL over HTTP, authentication, limits, idempotency and the document routes."""
