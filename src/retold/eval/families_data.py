"""The `families` evaluation corpus, built from ../shared/data (never copied into the repo).

Gold families: an LLMFake source article with all its LLM rewrites; a SheepDog PolitiFact
original with its restylings (training reframings, test-set style attacks). Prompt-only
LLMFake texts (hallucinated / arbitrary news on the same political and health topics) are
mixed in as unrelated singletons. One PolitiFact original can occur in several sets (with
different whitespace, a counter or a 4,000-character cut): gold families whose originals
share ``SAME_ORIGINAL`` of the shorter one's word 5-grams (exact sets) are one family,
unless one of them is page furniture (a sign-up notice that another story's scrape holds
mid-page: ``BOILERPLATE``).
Originals whose exact text stands for several different articles of one set are scraping
failures (site boilerplate) and are left out with their rewrites.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from retold.analysis.words import words
from retold.eval.data import dev_split, read_jsonl
from retold.family.signature import boilerplate_share
from retold.settings import Settings
from retold.store.base import content_hash


@dataclass(frozen=True)
class Item:
    key: str  # unique within the corpus
    text: str
    family: str  # gold family id ("noise:<key>" for unrelated singletons)
    is_source: bool
    dev: bool  # in the dev part (threshold choice); else held out
    # the family's original as read from any set (the source and its duplicates)
    source_copy: bool = False


SAME_ORIGINAL = 0.6
# an original with this share of boilerplate vocabulary is never one article with another
# (Settings.families_boilerplate_share: where retold calls a page boilerplate)
BOILERPLATE = Settings().families_boilerplate_share


def _grams(text: str) -> frozenset[str]:
    w = words(text)
    return frozenset(" ".join(w[i : i + 5]) for i in range(max(len(w) - 4, 1)))


def _same_originals(originals: dict[str, str]) -> dict[str, str]:
    """family -> canonical family, merging families whose originals are one article."""
    fams = sorted(originals)
    grams = {f: _grams(originals[f]) for f in fams}
    parent = {f: f for f in fams}

    def root(f: str) -> str:
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    by_gram: dict[str, list[str]] = {}
    for f in fams:
        for g in list(grams[f])[:2000]:
            by_gram.setdefault(g, []).append(f)
    pairs = {(a, b) for fs in by_gram.values() if len(fs) < 50 for a in fs for b in fs if a < b}
    # a sign-up or cookie notice is page furniture that many scrapes hold somewhere: an
    # "original" made of it is a failed scrape, not a cut of the page that contains it
    furniture = {f for f in fams if boilerplate_share(originals[f]) >= BOILERPLATE}
    for a, b in sorted(pairs):
        if min((a, b), key=lambda f: len(grams[f])) in furniture:
            continue
        ga, gb = grams[a], grams[b]
        if len(ga & gb) >= SAME_ORIGINAL * min(len(ga), len(gb)):
            parent[root(b)] = root(a)
    return {f: root(f) for f in fams}


def load_corpus(data: Path, limit: int | None = None) -> list[Item]:
    raw: list[tuple[str, str, str, bool]] = []  # (key, text, family, is_source)
    originals: dict[str, str] = {}  # family -> original text
    seen_keys: set[str] = set()

    def add(key: str, text: str, family: str, is_source: bool) -> None:
        if not text or not text.strip() or key in seen_keys:
            return
        seen_keys.add(key)
        raw.append((key, text, family, is_source))
        if is_source:
            originals.setdefault(family, text)

    llm = data / "llmfake" / "pairs.jsonl.gz"
    if llm.exists():
        for row in read_jsonl(llm):
            sid = row.get("source_id")
            if sid:
                fam = f"llmfake:{sid}"
                add(f"{fam}:source", row.get("source_text_full") or row["source_text"], fam, True)
                add(row["id"], row["generated_text"], fam, False)
            else:
                add(row["id"], row["generated_text"], f"noise:{row['id']}", False)
    sd = data / "sheepdog"
    train = sd / "politifact_train_restyled.jsonl.gz"
    if train.exists():
        for row in read_jsonl(train):
            fam = f"sheepdog:{row['article_id']}"
            add(f"{fam}:source", row["original_text"], fam, True)
            add(row["id"], row["text"], fam, False)
    adv = sd / "adversarial_test.jsonl.gz"
    if adv.exists():
        for row in read_jsonl(adv):
            if row.get("dataset") != "politifact" or not row.get("original_text"):
                continue
            fam = f"sheepdog:{row['article_id']}"
            add(f"{fam}:source", row["original_text"], fam, True)
            add(row["id"], row["text"], fam, False)
    # one text as the original of several articles of one set is a scraping failure (a
    # cookie wall, "page not found", a site's about box): those families are left out
    shared: dict[tuple[str, str], set[str]] = {}
    for fam, text in originals.items():
        shared.setdefault((fam.split(":")[0], content_hash(text)), set()).add(fam)
    broken = {f for fams in shared.values() if len(fams) > 1 for f in fams}
    raw = [r for r in raw if r[2] not in broken]
    originals = {f: t for f, t in originals.items() if f not in broken}
    # one original in several sets (or twice in one): one gold family
    canon = _same_originals(originals)
    items: list[Item] = []
    source_taken: set[str] = set()
    for key, text, fam, is_source in raw:
        gold = canon.get(fam, fam)
        copy = is_source
        if is_source:
            # the same original read from two sets is one source plus an exact duplicate
            is_source = gold not in source_taken
            source_taken.add(gold)
        items.append(Item(key, text, gold, is_source, dev_split(gold), copy))
    # a fixed pseudo-random order: sources must not be recognisable by position
    items.sort(key=lambda i: hashlib.sha1(i.key.encode()).hexdigest())
    if limit:
        fams = sorted({i.family for i in items})[:limit]
        keep = set(fams)
        items = [i for i in items if i.family in keep]
    return items
