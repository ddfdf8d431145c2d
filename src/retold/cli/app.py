"""The `retold` command line: each command is a thin shell over the library."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path

import typer

from retold import __version__
from retold.cli.common import ConfigOpt, console, err_console, fail, load_settings
from retold.cli.families import register as register_family_commands
from retold.cli.run import register as register_run_command
from retold.cli.sites import register as register_sites_commands
from retold.cli.store import register as register_store_commands
from retold.cli.web import register as register_web_commands
from retold.errors import RetoldError

app = typer.Typer(
    name="retold",
    help="Trace retold news to its source and show, with evidence, what each retelling changed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = err_console()


class Format(StrEnum):
    terminal = "terminal"
    json = "json"


@app.command()
def compare(
    source: str = typer.Argument(
        ..., help="Source article: .txt/.md/.html path, http(s) URL, or - for stdin."
    ),
    retelling: str = typer.Argument(
        ..., help="Retelling: .txt/.md/.html path, http(s) URL, or - for stdin."
    ),
    fmt: Format = typer.Option(Format.terminal, "--format", "-f", help="Output on stdout."),
    html: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained HTML report."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the JSON audit here."),
    judge: str | None = typer.Option(None, "--judge", help="Claim-support judge."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show supported claims too."),
    config: ConfigOpt = None,
    max_input_bytes: int | None = typer.Option(None, help="Refuse larger inputs."),
    allow_private: bool = typer.Option(
        False, "--allow-private", help="Let URLs reach loopback and private-network addresses."
    ),
) -> None:
    """Audit RETELLING against SOURCE: claims, quotes, changes, omissions, style."""
    from retold.audit.compare import compare as run_compare
    from retold.inputs.dispatch import read_input
    from retold.report.jsonout import audit_to_dict

    if source == "-" and retelling == "-":
        raise RetoldError("only one of SOURCE and RETELLING can be read from stdin (-)")
    st = load_settings(config, max_input_bytes=max_input_bytes)
    src = read_input(source, st, allow_private=allow_private)
    ret = read_input(retelling, st, allow_private=allow_private)
    data = audit_to_dict(run_compare(src, ret, settings=st, judge=judge or st.judge))
    _emit(data, fmt, html, output, verbose)


def _emit(data: dict, fmt: Format, html: Path | None, output: Path | None, verbose: bool) -> None:
    from retold.report.files import write_text_atomic
    from retold.report.html import write_html
    from retold.report.terminal import render_terminal

    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output:
        write_text_atomic(output, text + "\n")
    if html:
        write_html(data, html)
    if fmt is Format.json:
        sys.stdout.write(text + "\n")
    else:
        render_terminal(data, console(), verbose=verbose)
    if html:
        err.print(f"HTML report written to {html}")


@app.command()
def demo(
    out: Path = typer.Option(Path("retold-demo"), "--out", help="Folder for the HTML reports."),
    fmt: Format = typer.Option(Format.terminal, "--format", "-f"),
    config: ConfigOpt = None,
) -> None:
    """Audit the bundled demo corpus (no network) and write HTML reports."""
    from retold.demo.run import run_demo

    run_demo(out, load_settings(config), as_json=fmt is Format.json, console=console())


@app.command("eval")
def eval_cmd(
    sets: list[str] = typer.Option(
        None,
        "--set",
        help="demo, realworld, frank, qags, llmfake, families, ptc, sheepdog, clickbait, sites "
        "(repeatable).",
    ),
    json_path: Path | None = typer.Option(None, "--json", help="Write results as JSON here."),
    judge: str | None = typer.Option(None, "--judge", help="Claim-support judge."),
    data: str | None = typer.Option(None, "--data", help="Benchmark folder (../shared/data)."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N items per set."),
    config: ConfigOpt = None,
) -> None:
    """Score each capability on ../shared/data beside the published baselines."""
    from retold.eval.run import SETS, print_table, run_eval, write_json

    st = load_settings(config)
    results = run_eval(
        list(sets or SETS), settings=st, judge=judge or st.judge, data_dir=data, limit=limit
    )
    print_table(results, console())
    if json_path:
        write_json(results, json_path)


class TrainWhat(StrEnum):
    judge = "judge"
    style = "style"
    cross_encoder = "cross-encoder"


def _training_data(folder: Path | None, *sets: str) -> Path:
    """The benchmark folder, if it holds every named set; else the one-line error."""
    if folder is None or not all((folder / n).is_dir() for n in sets):
        names = sets[0] if len(sets) == 1 else "{" + ",".join(sets) + "}"
        raise RetoldError(f"train: ../shared/data/{names} not found (set --data)")
    return folder


@app.command()
def train(
    what: TrainWhat = typer.Option(TrainWhat.judge, "--what", help="Which model to train."),
    data: str | None = typer.Option(None, "--data", help="Benchmark folder (../shared/data)."),
    out: Path | None = typer.Option(None, "--out", help="Where to write the model JSON."),
    articles: int = typer.Option(240, "--articles", help="Training articles (judge only)."),
    seed: int = typer.Option(13, "--seed"),
    config: ConfigOpt = None,
) -> None:
    """Train a model on training splits only (CPU): the learned claim-support judge or the
    style models (propaganda spans, sensationalism, machine rewrite, clickbait), a few minutes
    each; or a claim-support cross-encoder fine-tuned from the packaged MiniLM on real
    entailment data and synthetic retellings (about an hour; --out DIR, then use it with
    claim_model = DIR; `make train-claim-model` rebuilds the packaged one)."""
    from importlib import resources

    from retold.eval.data import find_data_dir

    folder = find_data_dir(data)
    if what is TrainWhat.cross_encoder:
        from retold.training.cross_encoder import train as train_cross

        folder = _training_data(
            folder, "ptc", "polnear", "sheepdog", "nli", "claims", "summedits", "frank", "qags"
        )
        if out is None:
            raise RetoldError("train --what cross-encoder: give --out DIR for the model folder")
        stats = train_cross(folder, out, load_settings(config), seed=seed, log=err.print)
        err.print(f"wrote {out}: {json.dumps(stats)}")
        return
    if what is TrainWhat.style:
        from retold.style.model import packaged_model_path
        from retold.training.style import train as train_style

        folder = _training_data(folder, "ptc", "sheepdog", "clickbait")
        target = out or packaged_model_path()
        result = train_style(folder, target, seed=seed, log=err.print)
        err.print(f"wrote {target}: {json.dumps(result['stats'])}")
        return
    from retold.judges.learned import MODEL_FILE
    from retold.training.judge import train as run_train

    folder = _training_data(folder, "sheepdog")
    target = out or Path(str(resources.files("retold").joinpath(MODEL_FILE)))
    result = run_train(folder, target, load_settings(config), articles, seed, log=err.print)
    err.print(f"wrote {target}: {json.dumps(result['stats'])}")


@app.command()
def style(
    files: list[str] = typer.Argument(
        ...,
        metavar="FILE",
        help="Articles: .txt/.md/.html paths, folders of them, http(s) URLs, or - for stdin.",
    ),
    fmt: Format = typer.Option(Format.terminal, "--format", "-f", help="Output on stdout."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show every span."),
    config: ConfigOpt = None,
    allow_private: bool = typer.Option(
        False, "--allow-private", help="Let URLs reach loopback and private-network addresses."
    ),
) -> None:
    """How each article is told: propaganda techniques, sensationalism, machine-rewrite
    markers (evidence, not proof) and headline clickbait. With several inputs (or a folder),
    one that cannot be analysed (not English, binary, empty) is skipped with the reason, as
    ingest does; the exit status is non-zero only when none could be read."""
    from retold.errors import InputError
    from retold.inputs.dispatch import read_input
    from retold.report.style import render_style
    from retold.style import analyze_style

    if files.count("-") > 1:
        raise RetoldError("only one FILE can be read from stdin (-)")
    st = load_settings(config)
    specs = _expand_folders(files)
    results = []
    for spec in specs:
        try:
            article = read_input(spec, st, allow_private=allow_private)
        except InputError as exc:
            if len(specs) == 1:
                raise
            err.print(f"retold: skipped {spec}: {exc}")
            continue
        results.append((article.origin, analyze_style(article.text, article.title, st)))
    if not results:
        raise InputError("style: none of the inputs could be analysed")
    if fmt is Format.json:
        payload = [{"origin": origin, **a.to_dict()} for origin, a in results]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        render_style(results, console(), verbose=verbose)


_ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm", ".xhtml")


def _expand_folders(specs: list[str]) -> list[str]:
    """Each folder replaced by the article files in it (sorted; hidden files left out)."""
    out: list[str] = []
    for spec in specs:
        p = Path(spec)
        if spec != "-" and "://" not in spec and p.is_dir():
            out += [
                str(f)
                for f in sorted(p.iterdir())
                if f.is_file()
                and not f.name.startswith(".")
                and f.suffix.lower() in _ARTICLE_SUFFIXES
            ]
        else:
            out.append(spec)
    return out


@app.command("settings")
def settings_cmd(config: ConfigOpt = None) -> None:
    """Print the settings in effect (defaults plus the config file) as a config file."""
    sys.stdout.write(load_settings(config).to_toml())


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"retold {__version__}")


register_store_commands(app)
register_web_commands(app)
register_family_commands(app)
register_sites_commands(app)
register_run_command(app)


def main() -> None:
    try:
        app()
    except RetoldError as exc:
        fail(f"retold: error: {exc}", exc.exit_code)
    except KeyboardInterrupt:
        err.print("retold: interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # last resort: one line, full traceback only on request
        if os.environ.get("RETOLD_DEBUG"):
            raise
        fail(
            f"retold: internal error: {type(exc).__name__}: {exc} (set RETOLD_DEBUG=1 for details)",
            1,
        )


if __name__ == "__main__":
    main()
