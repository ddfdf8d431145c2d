"""``retold eval --set sites``: the content-farm score and the communities on planted
synthetic worlds (``training.synth_sites``), several seeds.

AUROC: farms (positives) against honest outlets and syndication partners, by score.
ARI: communities against the planted groups (each farm network; each outlet with its
syndication partners; every other outlet alone). The "no sync" AUROC drops the
synchronised-timing term, to show how much the score leans on it.
"""

from __future__ import annotations

from dataclasses import replace
from statistics import fmean
from typing import Any

from sklearn.metrics import adjusted_rand_score, roc_auc_score

from retold.settings import Settings
from retold.sites.run import analyze_sites
from retold.training.synth_sites import FARM, generate

SEEDS = (0, 1, 2, 3, 4)
GOALS = {"auroc": 0.95, "ari": 0.9}


def _one(seed: int, settings: Settings) -> dict[str, float]:
    world = generate(seed=seed)
    sites = sorted(world.kind)
    truth = [world.kind[s] == FARM for s in sites]
    out: dict[str, float] = {}
    for name, st in (("auroc", settings), ("auroc_no_sync", replace(settings, sites_w_sync=0.0))):
        r = analyze_sites(world.observations, st)
        score = {p.site: p.score for p in r.profiles}
        out[name] = float(roc_auc_score(truth, [score[s] for s in sites]))
        if name == "auroc":
            groups = [world.group[s] for s in sites]
            out["ari"] = float(adjusted_rand_score(groups, [r.community[s] for s in sites]))
            out["sites"] = len(sites)
            out["articles"] = len(world.observations)
            out["farms"] = sum(truth)
    return out


def eval_sites(settings: Settings, seeds: tuple[int, ...] = SEEDS) -> dict[str, Any]:
    runs = [_one(s, settings) for s in seeds]
    keys = ("auroc", "auroc_no_sync", "ari")
    return {
        **{k: round(fmean(r[k] for r in runs), 4) for k in keys},
        **{f"{k}_min": round(min(r[k] for r in runs), 4) for k in keys},
        "seeds": len(seeds),
        "sites_per_world": round(fmean(r["sites"] for r in runs)),
        "articles_per_world": round(fmean(r["articles"] for r in runs)),
        "farms_per_world": round(fmean(r["farms"] for r in runs)),
        "goals": GOALS,
    }
