"""Reading articles: files, stdin and raw text in; clean, checked ``Article`` out.

``retold.ingest.files.read_article`` handles paths and ``-`` (stdin);
``retold.ingest.files.read_text_input`` handles text already in memory;
``retold.ingest.language`` holds the dependency-free English check.
"""

from typing import Any


def __getattr__(name: str) -> Any:  # lazy: `retold.ingest.ingest(...)` without import cost
    if name == "ingest":
        from retold.ingest.run import ingest

        return ingest
    raise AttributeError(name)
