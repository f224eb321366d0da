"""One module per LSP method or feature; each exposes ``register(server)``."""
