"""A synthetic news ecosystem for evaluating site profiles (``retold eval --set sites``)
and for ``bench/sites.py``.

Planted kinds of site, with the behaviour each is known for:

- honest outlets publish their own stories and now and then retell another outlet's,
  hours later, faithfully (a few unsupported claims, a rare invented quote); some rush to
  retell breaking stories within minutes, so chance synchronised pairs exist;
- syndication partners of an outlet copy most of its stories verbatim, with attribution,
  after a delay of half an hour to several hours, and add nothing;
- content-farm networks (3-8 sites with look-alike names) pick other outlets' stories and
  push one machine rewrite with fabricated claims and quotes and a hyped tone to all their
  sites within minutes; some farms are tamer than others.

The generator works at the level of audit findings (``sites.records``): it plants what the
audits would find, with noise, so it measures the score and the communities, not the
audits themselves (``retold eval`` measures those on their own sets).

    python -m retold.training.synth_sites --articles 100000 --out world.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from retold.sites.records import ALONE, RETELLING, SOURCE, Findings, Observation

OUTLET, SYNDICATOR, FARM = "outlet", "syndicator", "farm"
_SYL = "ka ri to lem var sen dal mor ben ast hel cor vin tal res lo mi nu fen gar".split()
_TLD = ("com", "net", "co.uk", "news", "org", "com.au", "de")
_HOUR = 3600.0
_T0 = 1_760_000_000.0  # a fixed epoch: worlds are reproducible


@dataclass
class SitesWorld:
    observations: list[Observation]
    kind: dict[str, str]  # site -> OUTLET, SYNDICATOR or FARM
    group: dict[str, str] = field(default_factory=dict)  # site -> planted network


def _name(rng: random.Random, used: set[str], stem: str = "") -> str:
    while True:
        word = stem or "".join(rng.choice(_SYL) for _ in range(rng.randint(2, 3)))
        suffix = rng.choice(("daily", "times", "wire", "post", "hub", "today", "live", ""))
        site = f"{word}{suffix}.{rng.choice(_TLD)}"
        if site not in used:
            used.add(site)
            return site


def _faithful(rng: random.Random, verbatim: bool = False, hype: float = 0.0) -> Findings:
    claims = rng.randint(6, 25)
    miss = 0.0 if verbatim else rng.uniform(0.0, 0.12) + 0.1 * hype
    return Findings(
        claims=claims,
        unsupported=sum(rng.random() < miss for _ in range(claims)),
        contradicted=int(rng.random() < (0.0 if verbatim else 0.05)),
        quotes=rng.randint(0, 4),
        invented=int(not verbatim and rng.random() < 0.06 + 0.15 * hype),
        sensational_rise=rng.gauss(15.0 * hype, 2.0 if verbatim else 7.0),
        sensationalism=max(0.0, rng.gauss(25.0, 10.0)),
        machine_rewrite=min(
            100.0, max(0.0, rng.gauss(10.0 if verbatim else 25.0 + 10 * hype, 15.0))
        ),
        verbatim=verbatim or rng.random() < 0.03,
    )


def _farmed(rng: random.Random, tameness: float, sketch: tuple[int, ...] = ()) -> Findings:
    claims = rng.randint(6, 25)
    miss = max(0.0, rng.gauss(0.3, 0.1)) * (1.0 - tameness)
    quotes = rng.randint(0, 5)
    return Findings(
        claims=claims,
        unsupported=sum(rng.random() < miss for _ in range(claims)),
        contradicted=int(rng.random() < 0.2 * (1.0 - tameness)),
        quotes=quotes,
        invented=sum(rng.random() < 0.5 * (1.0 - tameness) for _ in range(max(quotes, 1))),
        altered=int(rng.random() < 0.3),
        sensational_rise=rng.gauss(18.0 * (1.0 - tameness), 8.0),
        sensationalism=min(100.0, max(0.0, rng.gauss(55.0, 15.0))),
        machine_rewrite=min(100.0, max(0.0, rng.gauss(75.0 - 30.0 * tameness, 15.0))),
        verbatim=False,
        sketch=sketch,
    )


def generate(  # noqa: PLR0913 - the knobs of the planted world
    *,
    outlets: int = 60,
    stories_per_outlet: int = 40,
    syndicated_share: float = 0.35,
    farm_networks: int = 8,
    seed: int = 0,
) -> SitesWorld:
    rng = random.Random(seed)
    used: set[str] = set()
    kind: dict[str, str] = {}
    group: dict[str, str] = {}
    obs: list[Observation] = []
    ids = iter(range(1, 1 << 62))
    fam_ids = iter(range(1, 1 << 62))

    outlet_sites = [_name(rng, used) for _ in range(outlets)]
    partners: dict[str, list[str]] = {}
    for s in outlet_sites:
        kind[s], group[s] = OUTLET, s
        if rng.random() < syndicated_share:
            partners[s] = [_name(rng, used) for _ in range(rng.randint(1, 3))]
            for p in partners[s]:
                kind[p], group[p] = SYNDICATOR, s
    networks: list[tuple[list[str], float, float]] = []
    for k in range(farm_networks):
        stem = "".join(rng.choice(_SYL) for _ in range(2))
        sites = [_name(rng, used, stem + rng.choice(_SYL)) for _ in range(rng.randint(3, 8))]
        for s in sites:
            kind[s], group[s] = FARM, f"farm-{k}"
        # (sites, share of all stories the network farms, tameness)
        # tame farms fabricate little and look much like an aggregator; loose ones push
        # their copies over an hour rather than minutes
        tame = rng.choice((0.0, 0.2, 0.4, 0.6, 0.8))
        networks.append(
            (
                sites,
                rng.uniform(0.03, 0.1) * min(1.0, 60 / outlets),
                tame,
                rng.choice((8.0, 8.0, 45.0)),
            )
        )
    eager = set(rng.sample(outlet_sites, max(1, outlets // 10)))  # breaking-news rushers
    retell_rate = {s: rng.uniform(0.0, 0.8) for s in outlet_sites}
    # tabloids: honest outlets that retell a lot and hype it (the hard negatives)
    hype = {s: 0.0 for s in outlet_sites}
    for s in rng.sample(outlet_sites, max(1, outlets // 8)):
        hype[s], retell_rate[s] = 1.0, rng.uniform(1.0, 2.0)

    def add(
        site: str,
        role: str,
        fam: int,
        t: float,
        src: tuple[int, str, float] | None,
        findings: Findings | None = None,
    ) -> None:
        obs.append(
            Observation(
                article=next(ids),
                site=site,
                role=role,
                family=fam,
                source_article=src[0] if src else None,
                source_site=src[1] if src else "",
                when=t,
                when_basis="published",
                lag_s=(t - src[2]) if src else None,
                lag_basis="published" if src else "",
                findings=findings,
            )
        )

    span = 30 * 24 * _HOUR
    for outlet in outlet_sites:
        for _ in range(stories_per_outlet):
            fam = next(fam_ids)
            t0 = _T0 + rng.uniform(0, span)
            members_before = len(obs)
            add(outlet, SOURCE, fam, t0, None)
            src = (obs[-1].article, outlet, t0)
            for p in partners.get(outlet, []):
                if rng.random() < 0.75:
                    add(
                        p,
                        RETELLING,
                        fam,
                        t0 + rng.uniform(0.5, 6.0) * _HOUR,
                        src,
                        _faithful(rng, verbatim=True),
                    )
            breaking = rng.random() < 0.1
            for other in outlet_sites:
                if other == outlet:
                    continue
                if rng.random() < retell_rate[other] / outlets * 4:
                    lag = (
                        rng.uniform(0.05, 0.5)
                        if breaking and other in eager
                        else rng.uniform(1.0, 24.0)
                    )
                    add(
                        other,
                        RETELLING,
                        fam,
                        t0 + lag * _HOUR,
                        src,
                        _faithful(rng, hype=hype[other]),
                    )
            for sites, share, tame, spread in networks:
                if rng.random() < share:
                    t_push = t0 + rng.uniform(0.5, 12.0) * _HOUR
                    # half the networks push one text to all their sites, half re-spin it
                    one = tuple(sorted(rng.sample(range(1 << 30), 32)))
                    for s in sites:
                        if rng.random() < 0.85:
                            add(
                                s,
                                RETELLING,
                                fam,
                                t_push + rng.uniform(0, spread) * 60,
                                src,
                                _farmed(rng, tame, one if tame < 0.5 else ()),
                            )
            if len(obs) == members_before + 1:  # nobody retold it: a story alone
                o = obs[-1]
                obs[-1] = Observation(
                    o.article, o.site, ALONE, when=o.when, when_basis=o.when_basis
                )
    # syndicators and farms publish a little of their own
    for s, k in kind.items():
        if k != OUTLET:
            for _ in range(rng.randint(0, 3)):
                add(s, ALONE, next(fam_ids), _T0 + rng.uniform(0, span), None)
    return SitesWorld(obs, kind, group)


def _text(rng: random.Random, n: int = 40) -> str:
    return " ".join("".join(rng.choice(_SYL) for _ in range(3)) for _ in range(n)) + "."


def _audit(f: Findings, source: str, retelling: str) -> dict[str, Any]:
    """The parts of the audit JSON contract (``report.jsonout``) that sites read."""
    supported = f.claims - f.unsupported - f.contradicted
    return {
        "schema_version": "synthetic",
        "summary": {
            "claims": {
                "supported": supported,
                "unsupported": f.unsupported,
                "contradicted": f.contradicted,
                "judge_failed": 0,
            },
            "quotes": {
                "verbatim": max(0, f.quotes - f.invented - f.altered),
                "altered": f.altered,
                "unsourced": f.invented,
            },
            "style_delta": f.sensational_rise,
        },
        "style": {
            "delta": {"sensationalism": f.sensational_rise},
            "retelling_scores": {
                "sensationalism": f.sensationalism,
                "machine_rewrite": f.machine_rewrite,
            },
        },
        "source": {"text": source},
        "retelling": {"text": retelling},
    }


def write_world(store: Any, world: SitesWorld, seed: int = 0) -> dict[int, int]:
    """Store a world as articles, families and audits (as ``retold ingest``, ``families``
    and ``audit`` would leave them), with invented texts: a verbatim copy is the source's
    text plus an attribution line, any other retelling different words. Returns planted
    article id -> stored id."""
    from datetime import UTC, datetime

    from retold.store.base import SourceArticle
    from retold.store.rows import FamilyMember, FamilyWrite

    rng = random.Random(seed)
    text: dict[int, str] = {}
    by_article = {o.article: o for o in world.observations}
    items = []
    for o in world.observations:
        src = by_article.get(o.source_article) if o.source_article else None
        if o.findings is not None and o.findings.verbatim and src is not None:
            body = text[src.article] + f" First published by {src.site}; {o.site} republishes it."
        else:
            body = _text(rng)
        text[o.article] = body
        when = datetime.fromtimestamp(o.when, UTC).isoformat() if o.when else ""
        url = f"https://www.{o.site}/story/{o.article}"
        items.append(SourceArticle(text=body, origin=url, url=url, site=o.site, published=when))
    before = store.count()  # a store holding an earlier world: its articles come first
    store.add_articles(items)
    stored = itertools.islice(store.iter_articles(), before, None)
    ids = {o.article: a.id for o, a in zip(world.observations, stored, strict=True)}
    members: dict[int, list[Observation]] = {}
    for o in world.observations:
        if o.family is not None:
            members.setdefault(o.family, []).append(o)
    writes = []
    for fam in members.values():
        src = next((o for o in fam if o.role == SOURCE), None)
        writes.append(
            FamilyWrite(
                None,
                [FamilyMember(ids[o.article], 1.0) for o in fam],
                ids[src.article] if src else None,
                "earliest" if src else "",
                1.0,
                [],
            )
        )
    fids = store.write_families(writes, [])
    for fid, fam in zip(fids, members.values(), strict=True):
        for o in fam:
            if o.findings is not None and o.source_article is not None:
                data = _audit(o.findings, text[o.source_article], text[o.article])
                s, r = ids[o.source_article], ids[o.article]
                audit_id = store.save_audit(s, r, "synthetic", data)
                store.save_family_audit(fid, audit_id, r, "synthetic", "synthetic", [])
    return ids


def scaled(articles: int, seed: int = 0) -> SitesWorld:
    """A world of about ``articles`` articles with ~1 site per 100 articles."""
    outlets = max(10, articles // 250)
    return generate(
        outlets=outlets, stories_per_outlet=40, farm_networks=max(2, outlets // 12), seed=seed
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    w = scaled(args.articles, args.seed)
    data = {"kind": w.kind, "group": w.group, "observations": [asdict(o) for o in w.observations]}
    args.out.write_text(json.dumps(data), encoding="utf-8")
    sys.stderr.write(f"{len(w.observations)} articles, {len(w.kind)} sites -> {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
