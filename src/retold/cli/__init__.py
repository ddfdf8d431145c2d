"""The `retold` command line: ``app`` holds the commands, ``main`` is the entry point."""

from retold.cli.app import app, main

__all__ = ["app", "main"]
