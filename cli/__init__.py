"""The ``querywright`` command line: one module per subcommand, heavy imports inside them."""
