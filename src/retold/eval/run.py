"""`retold eval`: run each capability on ../shared/data and print our numbers beside the
published baselines from each set's README."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from retold.errors import RetoldError
from retold.eval.claims import eval_frank, eval_llmfake, eval_qags, timed
from retold.eval.data import find_data_dir
from retold.eval.style import eval_clickbait, eval_ptc, eval_sheepdog
from retold.settings import Settings

SETS = (
    "demo",
    "realworld",
    "frank",
    "qags",
    "llmfake",
    "families",
    "ptc",
    "sheepdog",
    "clickbait",
    "sites",
    "anli",
    "wice",
)

# Published / shipped baselines, as given in each set's README (../shared/data/<set>/README.md).
BASELINES: dict[str, list[tuple[str, dict[str, float]]]] = {
    "frank": [
        ("BertScore-F1 vs article (shipped scores)", {"balanced_accuracy": 0.757, "auroc": 0.830}),
        ("BertScore-P vs article (shipped scores)", {"balanced_accuracy": 0.747, "auroc": 0.836}),
        ("FactCC (shipped scores)", {"balanced_accuracy": 0.742, "auroc": 0.775}),
        ("QAGS (shipped scores)", {"balanced_accuracy": 0.723, "auroc": 0.769}),
        ("SummaC-Conv (paper, recalled)", {"balanced_accuracy": 0.82}),
        ("QuestEval (paper, recalled)", {"balanced_accuracy": 0.82}),
    ],
    "qags": [],  # the set ships Pearson correlations only (QAGS 54.5 CNN/DM, 17.5 XSum)
    "llmfake": [],  # the README's numbers are source-free detection rates: not comparable
    "demo": [],
    "realworld": [],
    "anli": [],  # chance is 0.5 2-way; the README's table gives the published 3-way figures
    "wice": [],
    # ptc/README.md (task overview paper, recalled there, not verified from the repo)
    "ptc": [("best SemEval-2020 T11 system (official test)", {"si_test_f1": 0.51, "tc": 0.62})],
    # sheepdog/README.md ships veracity-detection numbers only (a different task)
    "sheepdog": [],
    # clickbait/README.md: SVM ~93% accuracy on the paper's smaller dataset (recalled)
    "clickbait": [("SVM, Chakraborty et al. 2016 (own smaller set)", {"accuracy": 0.93})],
}

# Story-family anchors (NEWS-COPY, Silcock et al. 2023: reproduced-article clustering on
# historical newspapers; a different corpus, so a yardstick, not a like-for-like baseline).
FAMILY_ANCHORS: list[tuple[str, dict[str, float]]] = [
    ("NEWS-COPY neural bi-encoder + re-rank (paper)", {"ari": 0.937}),
    ("NEWS-COPY LSH alone (paper)", {"ari": 0.737}),
    ("goal", {"ari": 0.95, "pairwise_f1": 0.95, "source_accuracy": 0.9}),
]


def _demo(settings: Settings, judge: str) -> dict[str, Any]:
    from retold.demo.gold import score
    from retold.demo.run import audit_corpus

    result = score(audit_corpus(settings, judge=judge))
    out: dict[str, Any] = {}
    for kind, v in result["types"].items():
        out[f"{kind}_precision"] = v["precision"]
        out[f"{kind}_recall"] = v["recall"]
    out["checks_passed"] = sum(result["checks"].values())
    out["checks"] = len(result["checks"])
    return out


def run_eval(
    sets: list[str],
    *,
    settings: Settings,
    judge: str,
    data_dir: str | None = None,
    limit: int | None = None,
    console: Console | None = None,
) -> dict[str, Any]:
    con = console or Console(stderr=True)
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        raise RetoldError(f"--set: unknown set '{unknown[0]}' (available: {', '.join(SETS)})")
    data = find_data_dir(data_dir)
    results: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=con,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done)

        for name in sets:
            if name == "demo":
                results["demo"] = timed(_demo, settings, judge)
                continue
            if name == "sites":  # synthetic worlds: no data folder needed
                from retold.eval.sites import eval_sites

                results["sites"] = timed(eval_sites, settings)
                continue
            if data is None:
                con.print(
                    f"[yellow]skipping {name}: ../shared/data not found "
                    "(set --data or $RETOLD_DATA)[/]"
                )
                continue
            # the families set is built from other sets' folders
            needed = {
                "families": ("llmfake", "sheepdog"),
                "anli": ("nli",),
                "wice": ("claims",),
            }.get(name, (name,))
            missing = [n for n in needed if not (data / n).is_dir()]
            if missing:
                con.print(f"[yellow]skipping {name}: {data / missing[0]} not found[/]")
                continue
            if name == "realworld":
                from retold.eval.realworld import eval_realworld

                results[name] = timed(
                    eval_realworld, data, judge, settings, limit=limit, progress=progress
                )
                continue
            if name == "families":
                from retold.eval.families import eval_families

                results[name] = timed(
                    eval_families, data, judge, settings, limit=limit, progress=progress
                )
                continue
            if name in ("anli", "wice"):
                from retold.eval.entailment import eval_anli, eval_wice

                fn_ent = eval_anli if name == "anli" else eval_wice
                results[name] = timed(fn_ent, data, judge, settings, limit=limit, progress=progress)
                continue
            fn = {
                "frank": eval_frank,
                "qags": eval_qags,
                "llmfake": eval_llmfake,
                "ptc": eval_ptc,
                "sheepdog": eval_sheepdog,
                "clickbait": eval_clickbait,
            }[name]
            results[name] = timed(fn, data, judge, settings, limit=limit, progress=progress)
    results["_meta"] = {"judge": judge, "limit": limit, "data": str(data) if data else None}
    return results


def print_table(results: dict[str, Any], console: Console) -> None:
    judge = results.get("_meta", {}).get("judge", "?")
    if any(k in results for k in ("frank", "qags", "llmfake")):
        _print_claim_table(results, console, judge)
    _print_style_table(results, console)
    if results.get("realworld"):
        print_realworld(results["realworld"], console)
    if results.get("anli") or results.get("wice"):
        print_entailment(results, console)
    if results.get("families"):
        print_families(results["families"], console)
    if results.get("sites"):
        print_sites(results["sites"], console)
    if "demo" in results:
        d = results["demo"]
        console.print(
            "demo gold: "
            + ", ".join(
                f"{k} P {d[k + '_precision']:.2f} R {d[k + '_recall']:.2f}"
                for k in ("claims", "quotes", "changes", "omissions")
            )
            + f"; checks {d['checks_passed']}/{d['checks']}"
        )


def _print_claim_table(results: dict[str, Any], console: Console, judge: str) -> None:
    table = Table(title=f"retold eval (judge: {judge})")
    for col in ("set", "system", "balanced acc.", "AUROC", "n", "notes"):
        table.add_column(col, justify="right" if col in ("balanced acc.", "AUROC", "n") else "left")
    for name in ("frank", "qags", "llmfake"):
        r = results.get(name)
        if not r:
            continue
        note = f"threshold {r['threshold']} from dev ({r['n_dev']})"
        if "aggregate" in r:
            note += f"; summary = {r['aggregate']} of sentences (chosen on dev)"
        if name == "qags":
            note += (
                f"; sentence level: bal.acc {r['sentence_balanced_accuracy']}, "
                f"AUROC {r['sentence_auroc']}"
            )
        if r.get("false_flag_rate") is not None:
            note += (
                f"; faithful summaries with a flagged claim {100 * r['false_flag_rate']:.1f}%"
                f" of {r['faithful_n']}"
            )
        if name == "llmfake":
            note += "; " + ", ".join(f"{k} {v:.2f}" for k, v in r["recall_per_type"].items())
        table.add_row(
            name,
            f"retold ({judge})",
            f"{r['balanced_accuracy']:.3f}",
            f"{r['auroc']:.3f}",
            str(r["n"]),
            note,
        )
        for system, m in BASELINES.get(name, []):
            table.add_row(
                "",
                system,
                f"{m['balanced_accuracy']:.3f}" if "balanced_accuracy" in m else "",
                f"{m['auroc']:.3f}" if "auroc" in m else "",
                "",
                "",
            )
    console.print(table)


def _print_style_table(results: dict[str, Any], console: Console) -> None:
    if not any(k in results for k in ("ptc", "sheepdog", "clickbait")):
        return
    table = Table(title="retold eval: style (learned linear models)")
    for col in ("set", "system", "metric", "value", "n", "notes"):
        table.add_column(col, justify="right" if col in ("value", "n") else "left")
    p = results.get("ptc")
    if p:
        for split in ("dev", "test"):
            table.add_row(
                "ptc",
                "retold",
                f"SI F1 ({split})",
                f"{p[f'si_{split}_f1']:.3f}",
                str(p[f"n_{split}"]),
                f"P {p[f'si_{split}_precision']:.3f} R {p[f'si_{split}_recall']:.3f}; "
                "partial-overlap scoring",
            )
        table.add_row(
            "ptc",
            "retold",
            "TC micro-F1",
            f"{p['tc_micro_f1']:.3f}",
            str(p["n_tc_spans"]),
            f"held-out train articles ({p['n_tc_articles']}); "
            f"majority class {p['tc_majority_baseline']:.3f}",
        )
        for system, m in BASELINES["ptc"]:
            table.add_row("", system, "SI F1 (test)", f"{m['si_test_f1']:.2f}", "", "")
            table.add_row("", system, "TC micro-F1 (test)", f"{m['tc']:.2f}", "", "")
    s = results.get("sheepdog")
    if s:
        table.add_row(
            "sheepdog",
            "retold",
            "AUROC original vs tabloid",
            f"{s['auroc']:.3f}",
            str(s["n_auroc"]),
            "PolitiFact test",
        )
        table.add_row(
            "sheepdog",
            "retold",
            "pair accuracy",
            f"{s['pair_accuracy']:.3f}",
            str(s["n"]),
            f"more sensational (>= {s['min_delta']:g} pts): tabloid recall "
            f"{s['pair_recall_sensational']:.2f}, "
            f"credible kept {s['pair_specificity_credible']:.2f}",
        )
        table.add_row(
            "sheepdog",
            "retold",
            "machine-rewrite AUROC",
            f"{s['machine_auroc']:.3f}",
            str(2 * s["n"]),
            "originals vs LLM restylings (evidence score)",
        )
    c = results.get("clickbait")
    if c:
        table.add_row(
            "clickbait",
            "retold",
            "F1",
            f"{c['f1']:.3f}",
            str(c["n"]),
            f"acc {c['accuracy']:.3f}, AUROC {c['auroc']:.3f}; held-out 10% (id hash), "
            f"threshold {c['threshold']} from dev",
        )
        for system, m in BASELINES["clickbait"]:
            table.add_row("", system, "accuracy", f"{m['accuracy']:.2f}", "", "")
    console.print(table)


def print_entailment(results: dict[str, Any], console: Console) -> None:
    table = Table(title="entailment sets (measuring only; the judge's own verdicts)")
    for col in ("set", "accuracy", "balanced acc.", "AUROC", "3-way acc.", "majority", "n"):
        table.add_column(col, justify="left" if col == "set" else "right")
    rows = [(f"ANLI {k} test", v) for k, v in (results.get("anli") or {}).items() if k != "seconds"]
    if results.get("wice"):
        rows.append(("WiCE test (claim vs cited page)", results["wice"]))
    for name, r in rows:
        table.add_row(
            name,
            f"{r['accuracy']:.3f}",
            f"{r['balanced_accuracy']:.3f}",
            f"{r['auroc']:.3f}",
            f"{r['accuracy_3way']:.3f}" if "accuracy_3way" in r else "",
            f"{r['majority']:.3f}",
            str(r["n"]),
        )
    console.print(table)


def print_realworld(r: dict[str, Any], console: Console) -> None:
    table = Table(
        title=f"real retellings ({r['n_retellings']} retellings, {r['n_sentences']} sentences)"
    )
    for col in ("sentence label", "precision", "recall", "gold", "predicted"):
        table.add_column(col, justify="left" if col == "sentence label" else "right")
    for label, m in r["labels"].items():
        table.add_row(
            label, f"{m['precision']:.2f}", f"{m['recall']:.2f}", str(m["n_gold"]), str(m["n_pred"])
        )
    console.print(table)
    console.print(
        f"realworld: false accusations {r['false_accusations_per_100_supported']} per 100 "
        f"supported sentences ({r['false_accusations']}/{r['n_supported']}); "
        f"quote false accusations {r['quote_false_accusations']} of {r['quotes_carried']} "
        f"carried quotes (quote accuracy {r['quote_accuracy']:.2f}, "
        f"{r['quotes_not_found']} not found); changes P {r['change_precision']:.2f} "
        f"R {r['change_recall']:.2f} ({r['changes_found']} found, {r['changes_gold']} gold); "
        f"beyond-excerpt sentences called {r['beyond_excerpt_predicted']}; "
        f"genuine retellings called unrelated: {len(r.get('called_unrelated', []))}"
        + (f" ({', '.join(r['called_unrelated'])})" if r.get("called_unrelated") else "")
    )


def print_families(r: dict[str, Any], console: Console) -> None:
    table = Table(title="story families (held-out part)")
    for col in ("system", "pairwise P", "pairwise R", "pairwise F1", "ARI", "source acc.", "n"):
        table.add_column(col, justify="left" if col == "system" else "right")

    def cell(m: dict[str, Any], key: str) -> str:
        return f"{m[key]:.3f}" if key in m else ""

    keys = ("pairwise_precision", "pairwise_recall", "pairwise_f1", "ari", "source_accuracy")
    table.add_row("retold", *(cell(r, k) for k in keys), str(r["n"]))
    for system, m in FAMILY_ANCHORS:
        table.add_row(system, *(cell(m, k) for k in keys), "")
    console.print(table)
    t = r.get("thresholds", {})
    console.print(
        f"families: {r['gold_families']} gold families, {r['families']} found, "
        f"{r['no_clear_source']} with no clear source (right on {r['source_precision']:.3f} "
        f"of the picked ones; {r.get('source_accuracy_exact', 0.0):.3f} when only the copy "
        f"of the original read first counts; {r.get('sources_not_a_story', 0)} families "
        f"whose original is a failed scrape shorter than a story not counted), "
        f"{r['excluded']} excluded; "
        f"dev ({r['n_dev']} articles, training data of the models) ARI {r['dev']['ari']:.3f}; "
        "thresholds (chosen out of fold on dev): " + ", ".join(f"{k}={v}" for k, v in t.items())
    )


def print_sites(r: dict[str, Any], console: Console) -> None:
    console.print(
        f"sites (synthetic, {r['seeds']} worlds of ~{r['sites_per_world']} sites / "
        f"~{r['articles_per_world']} articles, ~{r['farms_per_world']} farm sites): "
        f"content-farm AUROC {r['auroc']:.3f} (min {r['auroc_min']:.3f}; goal "
        f"{r['goals']['auroc']}), without the sync term {r['auroc_no_sync']:.3f}; "
        f"community ARI {r['ari']:.3f} (min {r['ari_min']:.3f}; goal {r['goals']['ari']})"
    )


def write_json(results: dict[str, Any], path: Path) -> None:
    from retold.report.files import write_text_atomic

    write_text_atomic(path, json.dumps(results, indent=2) + "\n")
