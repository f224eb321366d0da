"""Thin pygls glue over the pure core: one module per LSP feature."""
