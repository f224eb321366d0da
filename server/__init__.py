"""querywright language server and its pure SQL core (catalog, analysis, checks, prompt)."""

__version__ = "0.1.0"
