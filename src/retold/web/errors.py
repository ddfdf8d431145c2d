"""The web app's one error type: routers and services raise ``ApiError(status, message)``;
the app answers ``{"error": {...}}`` under ``/api`` and an error page elsewhere."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
