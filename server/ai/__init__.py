"""Model runtime: model references, completion backends, the shared prompt and validation."""
