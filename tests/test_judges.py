"""The judge interface contract for every offline back end, calibration sanity, cascade."""

from __future__ import annotations

import pytest

from retold.analysis.article import analyze
from retold.audit.align import align
from retold.audit.compare import compare
from retold.errors import RetoldError
from retold.judges import get_judge
from retold.settings import Settings
from retold.types import Article

SOURCE = (
    "Harbour officials in Dunmere said on Monday that the new ferry terminal would open in May. "
    "The terminal cost 48 million pounds and can handle 3,000 passengers a day. "
    "Port director Alma Reyes said the opening could slip if the final safety inspection fails."
)
CLAIMS = [
    "The new ferry terminal in Dunmere will open in May, harbour officials said.",  # supported
    "The terminal cost 84 million pounds.",  # contradicted (number)
    "Protesters blocked the main road to the airport for three days.",  # unsupported
    "Alma Reyes resigned after a dispute with the city council over pensions.",  # unsupported
]


@pytest.fixture(scope="module")
def pair():
    st = Settings()
    src = analyze(Article(SOURCE, origin="s"), st)
    ret = analyze(Article("\n".join(CLAIMS), origin="r"), st)
    return st, src, ret, align(src, ret, st)


@pytest.mark.parametrize("name", ["heuristic", "learned", "cascade"])
def test_contract(pair, name):
    st, src, ret, al = pair
    judge = get_judge(
        name, st.with_overrides(cascade_cheap="heuristic", cascade_expensive="learned")
    )
    out = judge.judge(src, ret, al, list(range(len(ret.sentences))))
    assert len(out) == len(ret.sentences)
    for j in out:
        assert j.verdict in ("supported", "unsupported", "contradicted")
        assert 0.0 <= j.probability <= 1.0 and 0.0 <= j.confidence <= 1.0
        assert all(0 <= k < len(src.sentences) for k in j.evidence)
    verdicts = [j.verdict for j in out]
    assert verdicts[0] == "supported"
    assert verdicts[1] == "contradicted"  # a changed number is a hard contradiction for all
    # supported claims are judged more likely supported than invented ones
    assert out[0].probability > max(out[2].probability, out[3].probability)
    assert out[0].evidence and out[0].evidence[0] == 0
    if name == "heuristic":  # the default judge must also call both inventions unsupported
        assert verdicts[2] == "unsupported" and verdicts[3] == "unsupported"


@pytest.mark.parametrize("name", ["heuristic", "learned"])
def test_probability_is_monotone_in_evidence(name):
    """Adding the supporting sentence to the source must not lower support."""
    st = Settings()
    claim = "Port director Alma Reyes warned that the opening could slip."
    weak = SOURCE.split(". ")[0] + "."
    strong = SOURCE
    probs = []
    for src_text in (weak, strong):
        audit = compare(Article(src_text), Article(claim), settings=st, judge=name)
        probs.append(audit.claims[0].support_score)
    assert probs[1] > probs[0]


def test_unknown_judge_is_a_clear_error():
    with pytest.raises(RetoldError, match="unknown judge 'oracle'"):
        get_judge("oracle", Settings())


def test_cascade_escalates_only_unsure_claims(pair):
    st, src, ret, al = pair
    judge = get_judge(
        "cascade",
        st.with_overrides(
            cascade_cheap="heuristic",
            cascade_expensive="learned",
            cascade_low=0.0,
            cascade_high=1.0,
        ),
    )
    first = get_judge("heuristic", st).judge(src, ret, al, list(range(len(ret.sentences))))
    final = judge.judge(src, ret, al, list(range(len(ret.sentences))))
    # with the widest band, everything escalates but verdicts resting on a specific finding
    # (the contradiction, the invented number): a wording-only doubt is the second's to settle
    specific = [j.specific for j in first]
    assert any(specific) and not all(specific)
    assert judge.stats["escalated"] == specific.count(False)
    # "max": the second reader can clear a claim, never lower its support
    assert all(b.probability >= a.probability for a, b in zip(first, final, strict=True))
    assert [j.verdict for j, s in zip(final, specific, strict=True) if s] == [
        j.verdict for j, s in zip(first, specific, strict=True) if s
    ]
    narrow = get_judge(
        "cascade",
        st.with_overrides(
            cascade_cheap="heuristic",
            cascade_expensive="learned",
            cascade_low=0.5,
            cascade_high=0.5,
        ),
    )
    narrow.judge(src, ret, al, list(range(len(ret.sentences))))
    assert narrow.stats["escalated"] == 0
    assert 0.0 <= judge.escalated_share <= 1.0


def test_cascade_replace_lets_the_second_judge_decide(pair):
    st, src, ret, al = pair
    over = dict(cascade_cheap="heuristic", cascade_expensive="learned", cascade_low=0.0)
    replace_all = get_judge(
        "cascade", st.with_overrides(**over, cascade_high=1.0, cascade_combine="replace")
    )
    learned = get_judge("learned", st).judge(src, ret, al, list(range(len(ret.sentences))))
    out = replace_all.judge(src, ret, al, list(range(len(ret.sentences))))
    first = get_judge("heuristic", st).judge(src, ret, al, list(range(len(ret.sentences))))
    for a, b, c in zip(first, learned, out, strict=True):
        assert c.probability == (a.probability if a.specific else b.probability)
    with pytest.raises(RetoldError, match="cascade_combine"):
        get_judge("cascade", st.with_overrides(cascade_combine="vote"))


def test_cascade_rejects_bad_bands():
    with pytest.raises(RetoldError, match="cascade_low"):
        get_judge("cascade", Settings(cascade_low=0.9, cascade_high=0.1))
