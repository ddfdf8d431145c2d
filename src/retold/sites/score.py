"""The content-farm score: a weighted mean of six site features, each in [0, 1].

    score = (w_retell * retell_share + w_unsupported * unsupported_share
             + w_invented * invented_rate + w_sensational * min(1, max(0, rise) / scale)
             + w_machine * machine_rate + w_sync * sync_share) / (sum of the weights)

A content farm republishes others' stories (retell share), adds what the source does not
say (unsupported claims, invented quotes), hypes it (sensationalism rise), rewrites it by
machine and publishes in lock-step with its sister sites (sync share). An honest outlet
mostly publishes its own stories; a syndication partner retells everything but verbatim,
with nothing added and on its own schedule, so it scores only the first term.
"""

from __future__ import annotations

from retold.settings import Settings

FEATURES = ("retell", "unsupported", "invented", "sensational", "machine", "sync")


def weights(settings: Settings) -> dict[str, float]:
    return {name: float(getattr(settings, f"sites_w_{name}")) for name in FEATURES}


def farm_score(parts: dict[str, float], settings: Settings) -> float:
    """``parts``: feature -> value in [0, 1] (``FEATURES``)."""
    w = weights(settings)
    total = sum(w.values())
    if total <= 0:
        return 0.0
    return sum(w[k] * min(1.0, max(0.0, parts.get(k, 0.0))) for k in FEATURES) / total
