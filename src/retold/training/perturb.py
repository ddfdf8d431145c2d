"""How retellings go wrong, made on purpose: a sentence with a number changed, a name
swapped for one from another article, a negation inserted, a hedge dropped or an escalation
added. The negatives of the learned judge and of the synthetic claim pairs."""

from __future__ import annotations

import random
import re

from retold.types import AnalyzedArticle

_AUX = re.compile(r"\b(is|are|was|were|will|has|have|had|can|could|would|should|does|did)\b")
SWAP_LABELS = ("PERSON", "ORG", "GPE")
_HEDGE_SWAP = re.compile(
    r"\b(could|may|might|is expected to|are expected to|was expected to|up to|as many as|"
    r"is likely to|are likely to|would likely)\b",
    re.IGNORECASE,
)
_ESCALATIONS = (
    "For the first time in history, ",
    "In an unprecedented move, ",
    "In a historic first, ",
    "For the first time ever, ",
)


def _squash(text: str) -> str:
    return re.sub(r"\s{2,}", " ", text)


def perturb(
    sent: str,
    doc: AnalyzedArticle,
    sidx: int,
    pool: dict[str, list[str]],
    foreign: list[str],
    rng: random.Random,
) -> list[tuple[str, str]]:
    """Corrupted versions of one sentence, each with the kind of corruption."""
    out: list[tuple[str, str]] = []
    base = doc.sentences[sidx].start
    quants = [
        q for q in doc.quantities if q.sentence == sidx and q.kind in ("number", "percent", "money")
    ]
    if quants:
        q = rng.choice(quants)
        digits = re.search(r"\d[\d,.]*", q.text)
        if digits:
            old = digits.group(0)
            num = (
                float(old.replace(",", ""))
                if old.replace(",", "").replace(".", "", 1).isdigit()
                else 0
            )
            new = str(int(num * rng.choice((2, 3, 10)) + rng.randint(1, 9))) if num else "17"
            a = q.start - base + digits.start()
            out.append((sent[:a] + new + sent[a + len(old) :], "number"))
    ents = [e for e in doc.entities if e.sentence == sidx and e.label in SWAP_LABELS]
    if ents:
        e = rng.choice(ents)
        others = [x for x in pool.get(e.label, []) if x.lower() != e.text.lower()]
        if others:
            a = e.start - base
            out.append((sent[:a] + rng.choice(others) + sent[a + len(e.text) :], "entity"))
    m = _AUX.search(sent)
    if m and " not " not in sent and "n't" not in sent:
        out.append((sent[: m.end()] + " not" + sent[m.end() :], "negation"))
    hedge = _HEDGE_SWAP.search(sent)
    if hedge:
        certain = "will" if hedge.group(0).lower() not in ("up to", "as many as") else ""
        out.append((_squash(sent[: hedge.start()] + certain + sent[hedge.end() :]), "hedge"))
    if rng.random() < 0.3:
        opener = rng.choice(_ESCALATIONS)
        out.append((opener + sent[0].lower() + sent[1:], "escalation"))
    people = [e for e in ents if e.label == "PERSON"]
    if people and foreign:
        e = people[0]
        frag = rng.choice(foreign).rstrip(".!?").split()
        if len(frag) > 6:
            a = e.end - base
            rel = " ".join(frag[2 : 2 + rng.randint(4, 8)])
            out.append((sent[:a] + ", who " + rel + "," + sent[a:], "relative-clause"))
    if foreign:
        tail = rng.choice(foreign).rstrip(".!?").split()
        if len(tail) > 6:
            clause = " ".join(tail[: rng.randint(6, min(14, len(tail)))])
            out.append(
                (sent.rstrip(".!?") + ", and " + clause[0].lower() + clause[1:] + ".", "addition")
            )
        out.append((rng.choice(foreign), "extrinsic"))
    return out
