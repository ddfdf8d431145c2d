"""Audit one retelling against its source: the compare pipeline."""

from __future__ import annotations

import bisect
from dataclasses import replace

from retold.analysis.article import analyze_many
from retold.audit.align import align
from retold.audit.changes import diff_all
from retold.audit.omissions import find_omissions
from retold.audit.quotes import audit_quotes
from retold.audit.sentence_kinds import SentenceKinds
from retold.audit.summary import summarize
from retold.errors import InputError
from retold.judges import get_judge
from retold.settings import Settings
from retold.style.analyze import compare_style
from retold.types import (
    AnalyzedArticle,
    Article,
    Audit,
    Change,
    ClaimFinding,
    Evidence,
    QuoteFinding,
)

ArticleLike = Article | AnalyzedArticle | str | bytes


def with_headline(article: Article) -> Article:
    """The headline is audited like any sentence (a number changed only in the headline is
    still a changed number), so it leads the analysed text as its own paragraph."""
    title = " ".join(article.title.split())
    if not title or article.text.lstrip().startswith(title):
        return article
    return replace(article, text=f"{title}\n\n{article.text}")


def _as_analyzed(
    pair: tuple[ArticleLike, ArticleLike], settings: Settings
) -> tuple[AnalyzedArticle, AnalyzedArticle]:
    items: list[Article | AnalyzedArticle] = []
    for a, origin in zip(pair, ("source", "retelling"), strict=True):
        if isinstance(a, str):
            from retold.inputs.reading import read_text_input

            a = read_text_input(a, origin, settings)
        elif isinstance(a, bytes | bytearray | memoryview):
            # bytes are decoded as a file's are (BOM, UTF-16, declared charset, cp1252, ...)
            from retold.inputs.reading import read_bytes_input

            a = read_bytes_input(bytes(a), origin, settings)
        elif not isinstance(a, Article | AnalyzedArticle):
            raise TypeError(
                f"compare: {origin} must be an Article, AnalyzedArticle, str or bytes, "
                f"not {type(a).__name__}"
            )
        elif isinstance(a, Article) and not a.text.strip():
            # an Article is taken as given (no reader checks): name the empty one here
            raise InputError(f"{_one_line(a.origin) or origin}: no article text")
        items.append(with_headline(a) if isinstance(a, Article) else a)
    raw = [a for a in items if isinstance(a, Article)]
    done = iter(analyze_many(raw, settings))
    src, ret = [a if isinstance(a, AnalyzedArticle) else next(done) for a in items]
    return src, ret


def _one_line(text: str) -> str:
    return " ".join(text.split())


def compare(
    source: ArticleLike,
    retelling: ArticleLike,
    *,
    settings: Settings | None = None,
    judge: str | None = None,
) -> Audit:
    """Audit ``retelling`` against ``source``.

    Args:
        source, retelling: an ``Article`` (from ``retold.read_article``), an already
            analysed article, plain text, or bytes (decoded and checked as a file's are).
        settings: thresholds (default ``Settings()``).
        judge: the claim-support judge by name (default ``settings.judge``).

    Returns:
        An ``Audit``: claims, quotes, changes, omissions, style and the summary;
        ``retold.report.jsonout.audit_to_dict`` gives its JSON.

    Raises:
        TypeError: an argument of the wrong type.
        InputError: bad input (empty, binary, not English, too large, too many sentences).
        RetoldError: an unknown judge, or a judge whose model or server fails.
    """
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(
            f"compare: settings must be a retold.Settings, not {type(settings).__name__}"
        )
    if judge is not None and not isinstance(judge, str):
        raise TypeError(f"compare: judge must be a judge name (str), not {type(judge).__name__}")
    st = settings or Settings()
    src, ret = _as_analyzed((source, retelling), st)
    al = align(src, ret, st)
    diffs = diff_all(src, ret, al, st)
    quotes = audit_quotes(src, ret, st)
    judge_impl = get_judge(judge or st.judge, st)
    indices = list(range(len(ret.sentences)))
    judgements = judge_impl.judge(src, ret, al, indices, diffs)

    starting = _quotes_starting_in(ret, quotes)
    kinds = SentenceKinds(src, ret, st)
    claims: list[ClaimFinding] = []
    for i, jd in zip(indices, judgements, strict=True):
        s = ret.sentences[i]
        verdict, conf, reasons = jd.verdict, jd.confidence, list(jd.reasons)
        verdict, conf, reasons = _apply_quote_verdicts(
            s.start, s.end, starting[i], verdict, conf, reasons
        )
        verdict, conf, reasons = kinds.verdict(s, verdict, conf, reasons)
        scores = dict(al.top[i])
        evidence = [
            Evidence(
                src.sentences[j].text,
                src.sentences[j].start,
                src.sentences[j].end,
                "source",
                round(scores.get(j, 0.0), 3),
            )
            for j in jd.evidence
        ]
        claims.append(
            ClaimFinding(
                text=s.text,
                start=s.start,
                end=s.end,
                verdict=verdict,
                confidence=conf,
                evidence=evidence,
                reasons=reasons,
                sentence=i,
                support_score=jd.probability,
            )
        )

    changes = []
    seen: set[tuple[str, str, str]] = set()
    for d in diffs:
        for c in d.changes:
            key = (c.kind, c.source_text, c.retelling_text)
            if key not in seen:
                seen.add(key)
                changes.append(c)

    # a quote moved to another speaker changes a name, with the two quotes as evidence
    for q in quotes:
        if q.verdict == "misattributed" and q.source_speaker and q.speaker:
            key = ("name", q.source_speaker, q.speaker)
            if key not in seen:
                seen.add(key)
                changes.append(
                    Change(
                        kind="name",
                        source_text=q.source_speaker,
                        retelling_text=q.speaker,
                        confidence=q.confidence,
                        evidence=q.evidence,
                        note=f"speaker of a quote: {q.source_speaker} -> {q.speaker}",
                    )
                )

    audit = Audit(
        source=src,
        retelling=ret,
        claims=claims,
        quotes=quotes,
        changes=changes,
        omissions=find_omissions(src, ret, al, st),
        style=compare_style(
            src.text,
            ret.text,
            source_title=src.article.title,
            retelling_title=ret.article.title,
            settings=st,
        ),
        alignment=al.top,
        judge=judge_impl.name,
    )
    if src.text.strip() == ret.text.strip():
        audit.notes.append("the retelling is identical to the source")
    audit.summary = summarize(audit, st)
    if audit.summary.related and audit.summary.same_story is not None:
        audit.notes.append(
            "few retelling sentences match source sentences, but the two tell the same story "
            f"(same-story probability {audit.summary.same_story:.2f}): a heavy rewrite"
        )
    if not audit.summary.related:
        audit.notes.append(
            "few retelling sentences match the source: this does not appear to retell it, "
            "so its claims are new content rather than changes"
        )
    return audit


def _quotes_starting_in(
    doc: AnalyzedArticle, quotes: list[QuoteFinding]
) -> list[list[QuoteFinding]]:
    """The quotes starting in each sentence, in order: found once by bisection, not by a scan
    of every quote for every sentence (quadratic in a long retelling)."""
    out: list[list[QuoteFinding]] = [[] for _ in doc.sentences]
    starts = [s.start for s in doc.sentences]
    for q in quotes:
        k = bisect.bisect_right(starts, q.start) - 1
        if k >= 0 and q.start < doc.sentences[k].end:
            out[k].append(q)
    return out


def _apply_quote_verdicts(
    start: int, end: int, quotes: list[QuoteFinding], verdict: str, conf: float, reasons: list[str]
) -> tuple[str, float, list[str]]:
    """A sentence carrying a fabricated or misattributed quote is not a supported claim; a
    sentence that is mostly a quote found in the source is supported by it."""
    for q in quotes:
        if not (start <= q.start < end):
            continue
        if q.verdict == "unsourced" and verdict == "supported":
            return (
                "unsupported",
                q.confidence,
                [*reasons, "contains a quote not found in the source"],
            )
        if q.verdict == "misattributed" and verdict != "contradicted":
            return (
                "contradicted",
                q.confidence,
                [
                    *reasons,
                    f"quote attributed to {q.speaker}; the source gives it to {q.source_speaker}",
                ],
            )
        mostly_quote = (min(end, q.end) - q.start) >= 0.6 * (end - start)
        adds = any(r.startswith("adds content") for r in reasons)
        if (
            q.verdict in ("verbatim", "indirect")
            and verdict == "unsupported"
            and mostly_quote
            and not adds
        ):
            return "supported", q.confidence, [f"the quote is supported ({q.verdict})"]
    return verdict, conf, reasons
