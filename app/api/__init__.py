"""The HTTP API: app factory, routers, schemas and the problem+json handler."""
