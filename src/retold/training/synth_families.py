"""Synthetic corpora for scale tests of story families (10k / 100k / 1M articles).

Every word is invented here: names are built from syllables, stories from sentence
templates. A family is one source story plus rewrites made with the project's own
perturbations (``judges.train.perturb``: changed numbers, swapped names, negations, added
clauses, escalations), sentence drops and reordering; dates follow the source by hours,
some are missing. Noise: unrelated stories on the same topics (the hard negatives), and
cookie-wall pages copied across sites.

    python -m retold.training.synth_families --articles 10000 --out corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from retold.store.base import SourceArticle
from retold.types import AnalyzedArticle, Article, Entity, Quantity, Sentence

_SYL = (
    "ka ri to lem var sen dal mor ben ast hel cor vin tal res lo mi nu fen gar os pel dra".split()
)
_TOPICS = {
    "rail": "railway line station track bridge tunnel freight commuters timetable rolling stock",
    "health": "hospital clinic vaccine patients nurses ward outbreak treatment trial doctors",
    "energy": "power plant grid turbine solar wind pipeline tariff reactor blackout",
    "courts": "court judge ruling appeal verdict prosecutors defendant trial hearing sentence",
    "budget": "budget deficit tax spending ministry bonds revenue pension subsidy audit",
    "farming": "harvest farmers grain drought irrigation cattle fertiliser prices market crop",
    "schools": "schools teachers pupils exams curriculum classrooms funding strike union campus",
    "housing": "housing rents tenants landlords construction permits mortgages flats district",
}
_VERBS = "announced approved rejected proposed delayed confirmed expanded cut unveiled".split()
_TEMPLATES = (
    "{P1} of {ORG} said on {DAY} that the {x1} {t1} in {PL1} would cost {N1} million.",
    "The {x2} {t1} plan, first {v} in {YEAR}, covers {N2} {t2} across {PL1} and {PL2}.",
    "\u201cWe expect the {x3} {t2} to be ready within {N3} months,\u201d {P1} told reporters.",
    "Officials could not confirm whether the {x4} {t3} would open to {t2} before {YEAR2}.",
    "{P2}, who leads the {x5} {t1} committee in {PL2}, {v} the {x6} proposal on {DAY}.",
    "According to {ORG}, about {N2} {x1} {t3} were affected and {N4} per cent waited.",
    "\u201cThis is about {x2} {t1} and {x7} for families in {PL1},\u201d said {P2}.",
    "The {x3} {t2} may rise by up to {N4} per cent, the {ORG} {x8} report estimated.",
    "Critics in {PL2} warned that the {x4} {t3} could face {x9} delays and higher costs.",
    "{P1} added that {N3} new {x5} {t2} would be hired by {YEAR2} under the {x10} scheme.",
    "A spokesperson for {ORG} declined to comment on the {x6} {t3} figures.",
    "The {x7} {t1} in {PL1} last changed in {YEAR}, when {N2} {x8} {t2} were counted.",
    "Residents of {PL2} {v} a {x9} petition about the {x10} {t2} on {DAY}.",
    "{P2} said the {x1} {t3} review by {ORG} would report by {YEAR2}.",
)
BOILERPLATE = (
    "We use cookies to improve your experience on {site}. By clicking accept all you consent "
    "to our use of cookies and similar technologies as described in our privacy policy. You "
    "can manage your preferences or withdraw consent at any time. Subscribe to read more: "
    "subscribers get unlimited access. Already a subscriber? Sign in. Please enable "
    "javascript in your browser to continue."
)


def _name(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(_SYL) for _ in range(parts)).capitalize()


@dataclass
class Story:
    title: str
    sentences: list[str]
    entities: list[list[tuple[int, int, str, str]]]  # per sentence: (start, end, label, text)
    numbers: list[list[tuple[int, int, str]]]  # per sentence: (start, end, text)


def story(rng: random.Random, topic: str) -> Story:
    words = _TOPICS[topic].split()
    people = [f"{_name(rng)} {_name(rng, 3)}" for _ in range(2)]
    places = [_name(rng, 3) for _ in range(2)]
    org = f"{_name(rng)} {rng.choice(['Council', 'Agency', 'Institute', 'Authority'])}"
    slots = {
        "P1": people[0],
        "P2": people[1],
        "PL1": places[0],
        "PL2": places[1],
        "ORG": org,
        "DAY": rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
        "YEAR": str(rng.randint(1990, 2020)),
        "YEAR2": str(rng.randint(2026, 2040)),
        "N1": str(rng.randint(12, 980)),
        "N2": f"{rng.randint(2, 60):,}",
        "N3": str(rng.randint(3, 48)),
        "N4": str(rng.randint(5, 70)),
    }
    labels = {"P1": "PERSON", "P2": "PERSON", "PL1": "GPE", "PL2": "GPE", "ORG": "ORG"}
    # invented words of this story only: two stories on one topic share topic words and
    # templates, as real ones share phrasing, but not their specifics
    slots.update({f"x{i}": _name(rng, rng.randint(2, 3)).lower() for i in range(1, 11)})
    chosen = rng.sample(_TEMPLATES, rng.randint(8, len(_TEMPLATES)))
    sentences, ents, nums = [], [], []
    for tpl in chosen:
        fill = dict(slots, t1=rng.choice(words), t2=rng.choice(words), t3=rng.choice(words))
        fill["v"] = rng.choice(_VERBS)
        text, e, n, pos = "", [], [], 0
        for chunk in tpl.replace("{", "\x00{").split("\x00"):
            if chunk.startswith("{"):
                key, rest = chunk[1:].split("}", 1)
                value = fill[key]
                start = len(text)
                text += value
                if key in labels:
                    e.append((start, len(text), labels[key], value))
                elif key.startswith("N"):
                    n.append((start, len(text), value))
                text += rest
            else:
                text += chunk
            pos = len(text)
        del pos
        sentences.append(text)
        ents.append(e)
        nums.append(n)
    title = f"{places[0]} {rng.choice(_VERBS)} {rng.choice(words)} plan"
    return Story(title, sentences, ents, nums)


def _analyzed(s: Story) -> AnalyzedArticle:
    """The analysis ``perturb`` needs, from the generator's own slot positions."""
    sents, ents, quants, pos = [], [], [], 0
    for i, text in enumerate(s.sentences):
        sents.append(Sentence(i, pos, pos + len(text), text))
        for a, b, label, value in s.entities[i]:
            ents.append(Entity(value, label, pos + a, pos + b, i))
        for a, b, value in s.numbers[i]:
            quants.append(
                Quantity(value, pos + a, pos + b, float(value.replace(",", "")), "number", "", i)
            )
        pos += len(text) + 1
    return AnalyzedArticle(Article(" ".join(s.sentences)), sents, ents, quants, [])


def rewrite(s: Story, rng: random.Random, foreign: list[str]) -> str:
    from retold.training.perturb import perturb

    doc = _analyzed(s)
    pool: dict[str, list[str]] = {
        "PERSON": [f"{_name(rng)} {_name(rng, 3)}"],
        "GPE": [_name(rng, 3)],
    }
    out = []
    for i, sent in enumerate(s.sentences):
        if rng.random() < 0.15:
            continue  # dropped
        if rng.random() < 0.35:
            options = perturb(sent, doc, i, pool, foreign, rng)
            if options:
                sent = rng.choice(options)[0]
        out.append(sent)
    if len(out) > 3 and rng.random() < 0.5:
        a, b = rng.sample(range(len(out)), 2)
        out[a], out[b] = out[b], out[a]
    return " ".join(out)


def generate(
    n: int, seed: int = 7, noise_share: float = 0.3, boilerplate_share: float = 0.02
) -> Iterator[tuple[SourceArticle, str, bool]]:
    """(article, gold family, is_source) until ``n`` articles: families of 2-12 members,
    same-topic unrelated stories and boilerplate pages mixed in."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    sites = [
        f"{_name(rng)}{rng.choice(['news', 'daily', 'post', 'wire'])}.example" for _ in range(300)
    ]
    made = fam = 0
    recent: list[str] = []
    last: list[str] = []
    while made < n:
        if fam and made:
            recent = (recent + last[:2])[-200:]  # other stories' sentences: added clauses
        site = rng.choice(sites)
        roll = rng.random()
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        if roll < boilerplate_share:
            text = BOILERPLATE.format(site=site)
            url = f"https://{site}/consent?page={made}"
            yield SourceArticle(text, "Before you continue", url, "en", url, site, ""), "", False
            made += 1
            continue
        topic = rng.choice(list(_TOPICS))
        s = story(rng, topic)
        fam += 1
        last = s.sentences
        key = f"f{fam}"
        body = " ".join(s.sentences)
        url = f"https://{site}/{key}/source"
        published = when.isoformat() if rng.random() > 0.1 else ""
        yield SourceArticle(body, s.title, url, "en", url, site, published), key, True
        made += 1
        if roll < boilerplate_share + noise_share:
            continue  # an unrelated single story on a common topic
        for r in range(rng.randint(1, 11)):
            if made >= n:
                return
            rsite = rng.choice(sites)
            text = rewrite(s, rng, recent)
            lag = timedelta(minutes=rng.randint(5, 60 * 48))
            rdate = (when + lag).isoformat() if rng.random() > 0.1 else ""
            url = f"https://{rsite}/{key}/r{r}"
            yield SourceArticle(text, s.title, url, "en", url, rsite, rdate), key, False
            made += 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a synthetic families corpus as JSONL.")
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    with args.out.open("w", encoding="utf-8") as fh:
        for a, family, is_source in generate(args.articles, args.seed):
            row = {
                "text": a.text,
                "title": a.title,
                "url": a.url,
                "site": a.site,
                "date": a.published,
                "family": family,
                "is_source": is_source,
            }
            fh.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def family_of_url(url: str) -> tuple[str, bool]:
    """(family key, is its source) of an article ``generate`` made, read back from its url
    (``https://site/f12/source``, ``.../f12/r3``; boilerplate pages: ("", False)), so a
    benchmark needs no second pass of the generator for its labels."""
    parts = url.split("/")
    if len(parts) == 5 and parts[3].startswith("f") and parts[3][1:].isdigit():
        return parts[3], parts[4] == "source"
    return "", False
