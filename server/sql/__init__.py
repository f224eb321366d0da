"""The pure SQL core: catalog, statement splitting, analysis and checks. No LSP imports."""
