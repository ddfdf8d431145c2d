"""Verified links -> families, without chaining.

Links are taken strongest first. Two groups merge only when enough of the links that could
exist between them were verified (``families_min_link_share``): one accidental link between
two stories on one topic is not enough to fuse them, which plain connected components would
do. Groups that already existed in the store (``locked``) never merge with each other, so
families stay stable as articles arrive; new articles join them or form new ones.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from retold.settings import Settings


@dataclass(frozen=True)
class Link:
    a: int
    b: int
    probability: float


def cluster(
    nodes: list[int],
    links: list[Link],
    settings: Settings,
    groups: list[list[int]] | None = None,
    weak: list[Link] | None = None,
) -> list[list[int]]:
    """Partition ``nodes`` (plus the members of ``groups``, which stay together). ``weak``:
    verified pairs below the link threshold (probability at least ``families_weak_link``),
    used only to place articles still alone at the end."""
    group_of: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    locked: set[int] = set()
    for g, group in enumerate(groups or []):
        members[g] = list(group)
        locked.add(g)
        for n in group:
            group_of[n] = g
    nxt = len(members)
    for n in nodes:
        if n not in group_of:
            group_of[n] = nxt
            members[nxt] = [n]
            nxt += 1
    adj: dict[int, set[int]] = defaultdict(set)
    for link in links:
        adj[link.a].add(link.b)
        adj[link.b].add(link.a)
    k = settings.families_ann_k
    for link in sorted(links, key=lambda x: (-x.probability, x.a, x.b)):
        ga, gb = group_of.get(link.a), group_of.get(link.b)
        if ga is None or gb is None or ga == gb or (ga in locked and gb in locked):
            continue
        small, big = sorted((ga, gb), key=lambda g: len(members[g]))
        big_set = set(members[big])
        found = sum(len(adj[n] & big_set) for n in members[small])
        possible = len(members[small]) * min(len(members[big]), k)
        if found < max(1, math.ceil(settings.families_min_link_share * possible)):
            continue
        keep, drop = (big, small) if big in locked or small not in locked else (small, big)
        for n in members[drop]:
            group_of[n] = keep
        members[keep].extend(members.pop(drop))
        if drop in locked:
            locked.discard(drop)
            locked.add(keep)
    # an article still alone joins the group of its surest link: its candidates may hold
    # only one member of a large family. After the pass, so that lone articles joining one
    # by one cannot chain two families together
    best: dict[int, Link] = {}
    for link in links:
        for n, m in ((link.a, link.b), (link.b, link.a)):
            if n not in group_of or m not in group_of or len(members[group_of[n]]) > 1:
                continue
            if n not in best or link.probability > best[n].probability:
                best[n] = Link(n, m, link.probability)

    def join_lone(n: int, target: int) -> None:
        del members[group_of[n]]
        members[target].append(n)
        group_of[n] = target

    for n, link in sorted(best.items()):
        g, target = group_of[n], group_of[link.b]
        sure = link.probability >= settings.families_join_link
        if sure and g != target and len(members[target]) > 1 and g not in locked:
            join_lone(n, target)
    # an article still alone whose every link fell short (a heavy rewrite: each pair with a
    # member says "maybe") joins the one group to which at least families_weak_join of its
    # weak or strong links go, if they reach families_min_link_share of that group's
    # possible links. Several such groups (a topic's stories): it stays alone
    votes: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for link in [*links, *(weak or [])] if settings.families_weak_join > 0 else []:
        for n, m in ((link.a, link.b), (link.b, link.a)):
            g, target = group_of.get(n), group_of.get(m)
            if g is None or target is None or g == target or g in locked:
                continue
            if len(members[g]) == 1 and len(members[target]) > 1:
                votes[n][target] += 1
    for n, by_group in sorted(votes.items()):
        fit = [
            t
            for t, c in by_group.items()
            if c >= settings.families_weak_join
            and c >= settings.families_min_link_share * min(len(members[t]), k)
        ]
        if len(fit) == 1 and len(members[group_of[n]]) == 1:
            join_lone(n, fit[0])
    return sorted((sorted(m) for m in members.values()), key=lambda m: (-len(m), m[0]))


def confidences(
    family: list[int],
    links: dict[tuple[int, int], float],
    weak: dict[tuple[int, int], float] | None = None,
) -> tuple[dict[int, float], dict[int, str]]:
    """Per member: how sure it belongs, and why when it is unsure. The mean of its best
    verified link and the share of the family it is linked to, so a member held by one link
    scores lower than one every sibling recognises. A member with no sure link (placed by
    the weak-link join) gets half that score over its weak pairs, and says so."""
    conf: dict[int, float] = {}
    why: dict[int, str] = {}
    if len(family) < 2:
        return {n: 1.0 for n in family}, why
    weak = weak or {}
    for n in family:
        pairs = [(min(n, m), max(n, m)) for m in family if m != n]
        probs = [links.get(p, 0.0) for p in pairs]
        scale = 1.0
        maybe = [weak[p] for p in pairs if p in weak]
        if max(probs) == 0.0 and maybe:
            probs, scale = [weak.get(p, 0.0) for p in pairs], 0.5
            why[n] = (
                f"no sure link: joined on {len(maybe)} uncertain links (probability "
                f"{min(maybe):.2f}-{max(maybe):.2f})"
            )
        share = sum(p > 0 for p in probs) / len(probs)
        conf[n] = round(scale * min(1.0, 0.7 * max(probs) + 0.3 * share), 3)
    return conf, why
