"""JSON Schemas shipped with the package (config, training record, model manifest)."""
