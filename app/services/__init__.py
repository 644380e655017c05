"""Use cases shared by the API and the CLI. They flush; the caller's session scope commits."""
