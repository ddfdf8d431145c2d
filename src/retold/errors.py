"""User-facing errors: one line, naming the input and what is wrong."""


class RetoldError(Exception):
    """An error the CLI prints as a single line (no traceback) and exits with code 2."""

    exit_code = 2


class InputError(RetoldError):
    """Bad input: missing, empty, binary, too large, not English, no article text."""
