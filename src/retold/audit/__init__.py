"""Audit a retelling against its source: alignment, claims, quotes, changes, omissions."""
