"""Renderers: JSON (the versioned contract), terminal (rich), self-contained HTML."""
