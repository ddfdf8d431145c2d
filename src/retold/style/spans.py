"""Token probabilities to character spans (propaganda span identification)."""

from __future__ import annotations

import numpy as np

from retold.style.features import Tokens


def smooth(tok: Tokens, probs: np.ndarray) -> np.ndarray:
    """Average each word's probability with its word neighbours in the same sentence (spans
    are phrases: an isolated dip or spike is noise); punctuation takes the lower of the words
    around it, so it joins a span only inside one."""
    out = probs.astype(np.float64).copy()
    words = np.flatnonzero(tok.is_word)
    if words.size:
        p = probs[words].astype(np.float64)
        same_prev = np.r_[False, tok.sentence[words][1:] == tok.sentence[words][:-1]]
        prev = np.where(same_prev, np.r_[p[:1], p[:-1]], p)
        same_next = np.r_[same_prev[1:], False]
        nxt = np.where(same_next, np.r_[p[1:], p[-1:]], p)
        out[words] = 0.5 * p + 0.25 * (prev + nxt)
    for i in np.flatnonzero(~tok.is_word):
        left = out[i - 1] if i > 0 and tok.sentence[i - 1] == tok.sentence[i] else 0.0
        right = out[i + 1] if i + 1 < len(out) and tok.sentence[i + 1] == tok.sentence[i] else 0.0
        out[i] = min(left, right)
    return out


def decode_spans(tok: Tokens, probs: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """Maximal runs of tokens at/above ``threshold`` within a sentence, trimmed of punctuation
    at either end: (start, end, mean probability of the run's words)."""
    sm = smooth(tok, probs)
    on = sm >= threshold
    spans: list[tuple[int, int, float]] = []
    i, n = 0, len(on)
    while i < n:
        if not on[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and on[j + 1] and tok.sentence[j + 1] == tok.sentence[i]:
            j += 1
        idx = [k for k in range(i, j + 1) if tok.is_word[k]]
        if idx:
            a, b = idx[0], idx[-1]
            spans.append((int(tok.starts[a]), int(tok.ends[b]), float(sm[idx].mean())))
        i = j + 1
    return spans
