"""The benchmark workload shared by bench/compare.py and bench/web.py: the bundled demo
corpus's source and retellings, each padded to about ``words`` words with paragraphs of the
corpus's unrelated article (so the length is realistic and the text is still news)."""

from __future__ import annotations

from importlib import resources


def corpus() -> dict[str, str]:
    folder = resources.files("retold").joinpath("demo/corpus")
    return {p.name: p.read_text("utf-8") for p in folder.iterdir() if p.name.endswith(".txt")}


def pad(text: str, filler: str, words: int) -> str:
    extra = filler.split("\n\n")[1:]
    out = text
    while len(out.split()) < words and extra:
        out += "\n\n" + extra.pop(0)
    return out


def demo_pairs(words: int = 600) -> tuple[tuple[str, str], list[tuple[str, str]]]:
    """((name, source text), [(name, retelling text), ...]), padded to ``words``."""
    docs = corpus()
    filler = docs["unrelated.txt"]
    source = ("source.txt", pad(docs["source.txt"], filler, words))
    retellings = [
        (name, pad(text, filler, words))
        for name, text in sorted(docs.items())
        if name not in {"source.txt", "unrelated.txt"}
    ]
    return source, retellings
