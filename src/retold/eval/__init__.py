"""`retold eval`: score each capability on the public benchmark sets in ../shared/data."""
