"""Direct and indirect quotes, and who said them, in one article.

Pure regex over the text plus the entities from ``nlp.parse`` (no spaCy call here): the
parser is excluded from the pipeline, so speakers come from reporting-verb patterns around
entities, pronouns and role nouns. About 1 ms for a 600-word article.

The parts: ``lexicon`` (word lists and patterns), ``scan`` (quoted regions, paragraphs),
``people`` (speaker names and matching), ``attribute`` (who said it, indirect speech),
``resolve`` (pronouns and descriptions to people), ``extract`` (the entry point).

Conventions (the auditor relies on them):

* Direct quote spans exclude the quotation marks, surrounding whitespace and a trailing
  comma or full stop inside the marks (``“We will not stop,”`` -> ``We will not stop``,
  ``“More will follow.”`` -> ``More will follow``), as in the demo gold file; a final
  ``!``, ``?`` or ellipsis is kept, as are full stops between sentences of the quote.
* Only the outermost quotation is a Quote; nested quotes stay inside its text.
* Direct quotes of fewer than 2 words (scare quotes, titles: so-called “reform”) are dropped.
* An unterminated double mark runs to the end of its paragraph (or to the next opening mark
  of the same kind); an unterminated single mark is taken to be an apostrophe.
* Indirect quotes cover the reported clause only ("that ..." to the sentence end, without the
  final punctuation), and only in sentences without a direct quote. "X, Keller said, and Y"
  gives two indirect quotes; "Prices, she added, had not been set" (the attribution splits
  the subject from its verb) gives one span that still contains the attribution.
* ``speaker`` is a canonical full name ("Maria Keller"), a description as written
  ("a spokesperson for the ministry"), or None. A pronoun speaker keeps ``speaker_span`` on the
  pronoun; when it cannot be resolved ``speaker`` is None. A definite description seen in an
  appositive ("Maria Keller, the finance minister,") resolves to that name elsewhere; a bare
  "the judge" goes to the last person introduced with that role ("Judge Ottilie Brask").
* A name spaCy labelled ORG/GPE counts as a person after an honorific or role title ("Dr X",
  "glaciologist X") or when its surname is later a speaker on its own ("Marrow said").
* A quote without its own attribution takes that of a later quote in its paragraph (only when
  the quote is a sentence by itself), else of the previous sentence if that has a cue; else None.

Heuristic limits: no coreference beyond he/she/they (gender only from Mr/Ms and earlier
pronouns); two people sharing a surname both map to the first full name; an attribution in
a later sentence than the quote is not used; English cues only.
"""

from retold.analysis.quotes.extract import extract_quotes
from retold.analysis.quotes.people import (
    canonical_speakers,
    normalise_speaker,
    resolve_speaker,
    same_speaker,
)

__all__ = [
    "canonical_speakers",
    "extract_quotes",
    "normalise_speaker",
    "resolve_speaker",
    "same_speaker",
]
