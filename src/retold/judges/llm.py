"""A judge backed by any OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp server,
Ollama, hosted APIs).

Each claim with candidate passages becomes one chat request asking for a JSON verdict. Answers
are validated strictly; a malformed answer is re-asked once with a reminder, then the claim is
``judge_failed`` (the audit goes on). Transient transport failures (429, 5xx, timeouts,
connection errors) are retried with exponential backoff and jitter. A refused request (other
4xx) or an endpoint that never answers at all stops the audit with a one-line ``RetoldError``.
Validated answers are cached on disk, keyed by the model and the exact prompt, so re-running an
audit costs no requests.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import logging
import math
import os
import random
import re
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from retold.errors import RetoldError
from retold.judges.base import ClaimInput, Judgement, TextJudge
from retold.settings import Settings

log = logging.getLogger(__name__)

VERDICTS = ("supported", "unsupported", "contradicted")
# used when the model gives a verdict but no probability
DEFAULT_PROBABILITY = {"supported": 0.9, "unsupported": 0.1, "contradicted": 0.05}

SYSTEM_PROMPT = """\
You check a news retelling against its source article. You get numbered SOURCE PASSAGES \
taken from the source and one CLAIM, a sentence from the retelling. Decide whether the \
passages support the claim:
- "supported": everything the claim states is stated or directly implied by the passages \
(rewording, summarising and shortening are fine).
- "unsupported": the claim adds information that is not in the passages (new facts, names, \
numbers, causes, certainty where the passages hedge, opinion presented as fact), but the \
passages do not state anything incompatible with it.
- "contradicted": the passages state something incompatible with the claim (a different \
number, name, date, place or speaker, or the opposite meaning).
Judge only against the passages, not against your own knowledge.
Answer with one JSON object and nothing else:
{"verdict": "supported" | "unsupported" | "contradicted", "probability_supported": <number \
from 0 to 1>, "evidence": [<numbers of the passages you relied on>], "reason": "<one short \
sentence>"}"""

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_WS = re.compile(r"\s+")


class _TransportFailure(Exception):
    """A request that could not be completed after all retries; ``kind`` is "connect" when
    no connection was ever made (the endpoint may be down)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class _Aborted(Exception):
    """Another claim raised a fatal error; this one stops without a request."""


class _Malformed(ValueError):
    """The model's answer does not follow the requested JSON format."""


@dataclass(frozen=True)
class _Answer:
    verdict: str
    probability: float
    evidence: tuple[int, ...]  # 1-based passage numbers as the model gave them
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "probability_supported": self.probability,
            "evidence": list(self.evidence),
            "reason": self.reason,
        }


def build_messages(inp: ClaimInput) -> list[dict[str, str]]:
    """The chat prompt for one claim: passages numbered from 1, best candidate first."""
    lines = [f"[{k}] {_WS.sub(' ', p).strip()}" for k, p in enumerate(inp.passages, 1)]
    user = (
        "SOURCE PASSAGES:\n"
        + "\n".join(lines)
        + f"\n\nCLAIM: {_WS.sub(' ', inp.claim).strip()}\n\n"
        + "Answer with the JSON object only."
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def extract_json(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer: bare, in ```json fences, or with text around it.

    Reasoning models' ``<think>`` blocks are dropped first, since they may contain braces."""
    text = _THINK.sub("", text or "").strip()
    if not text:
        raise _Malformed("empty answer")
    candidates = [text, *(m.group(1).strip() for m in _FENCE.finditer(text))]
    for cand in candidates:
        try:
            obj = json.loads(cand)
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj
    raise _Malformed("no JSON object in the answer")


def validate_answer(obj: dict[str, Any], n_passages: int) -> _Answer:
    """Check an answer object against the requested format; raise ``_Malformed`` if off."""
    verdict = obj.get("verdict")
    if not isinstance(verdict, str) or verdict.strip().lower() not in VERDICTS:
        raise _Malformed(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    verdict = verdict.strip().lower()

    prob = obj.get("probability_supported")
    if prob is None:
        prob = DEFAULT_PROBABILITY[verdict]
    # bool is an int subclass: "true" is not a probability
    if isinstance(prob, bool) or not isinstance(prob, int | float) or math.isnan(prob):
        raise _Malformed(f"probability_supported {prob!r} is not a number")
    prob = min(1.0, max(0.0, float(prob)))

    raw_ev = obj.get("evidence")
    if raw_ev is None:
        raw_ev = []
    elif isinstance(raw_ev, int) and not isinstance(raw_ev, bool):
        raw_ev = [raw_ev]  # a bare number is unambiguous
    if not isinstance(raw_ev, list):
        raise _Malformed(f"evidence {raw_ev!r} is not a list of passage numbers")
    evidence: list[int] = []
    for e in raw_ev:
        if isinstance(e, str) and e.strip().isdigit():
            e = int(e.strip())
        if isinstance(e, bool) or not isinstance(e, int) or not 1 <= e <= n_passages:
            raise _Malformed(f"evidence {e!r} is not a passage number from 1 to {n_passages}")
        if e not in evidence:
            evidence.append(e)

    reason = obj.get("reason")
    reason = _WS.sub(" ", reason).strip()[:300] if isinstance(reason, str) else ""
    return _Answer(verdict, prob, tuple(evidence), reason)


def _failed(reason: str) -> Judgement:
    return Judgement("judge_failed", 0.5, 0.0, [], [f"llm: {reason}"])


def _to_judgement(ans: _Answer, inp: ClaimInput) -> Judgement:
    evidence = [inp.passage_ids[e - 1] for e in ans.evidence]
    if not evidence:
        # like the heuristic judge: with no citation, the candidates are the evidence shown
        evidence = list(inp.passage_ids)
    conf = ans.probability if ans.verdict == "supported" else 1.0 - ans.probability
    reasons = [ans.reason] if ans.reason else []
    return Judgement(ans.verdict, ans.probability, conf, evidence, reasons)  # type: ignore[arg-type]


def chat_url(base_url: str) -> str:
    """``{base}/chat/completions``; a base already ending in it is used as given."""
    base = (base_url or "").strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RetoldError(
            f"llm_base_url {base_url!r} is not an http(s) URL (e.g. http://127.0.0.1:8000/v1)"
        )
    return base if base.endswith("/chat/completions") else base + "/chat/completions"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _Cache:
    """One JSON file per key under ``root/<key[:2]>/``; written atomically so concurrent
    audits never read a half-written file. Any I/O problem is a miss, never an error."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        answer = data.get("answer") if isinstance(data, dict) else None
        return answer if isinstance(answer, dict) else None

    def put(self, key: str, answer: dict[str, Any], model: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"model": model, "answer": answer}, fh, ensure_ascii=False)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:  # a read-only or full disk only costs the cache
            log.debug("llm cache: could not write %s: %s", path, exc)


class LLMJudge(TextJudge):
    name = "llm"

    # backoff between transport retries: base * 2**attempt, capped, with jitter
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 30.0  # a server asking for longer waits is not waited for longer
    _REMINDER = (
        "Your previous answer could not be used ({problem}). Reply with only one JSON object: "
        '{{"verdict": "supported" | "unsupported" | "contradicted", "probability_supported": '
        '<number from 0 to 1>, "evidence": [<passage numbers from 1 to {n}>], '
        '"reason": "<one short sentence>"}}'
    )

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        st = settings
        if not st.llm_model.strip():
            raise RetoldError("llm judge needs --llm-model / llm_model setting")
        self.model = st.llm_model.strip()
        self.url = chat_url(st.llm_base_url)
        self.key_env = st.llm_api_key_env
        self.api_key = (os.environ.get(self.key_env, "") if self.key_env else "").strip()
        self.timeout = max(0.001, float(st.llm_timeout_s))
        self.max_retries = max(0, int(st.llm_max_retries))
        self.concurrency = max(1, int(st.llm_concurrency))
        root = st.llm_cache_dir or "~/.cache/retold/llm"
        self.cache = _Cache(Path(root).expanduser())
        # cumulative over this judge's life; "requests" counts HTTP requests sent, "retries"
        # every request beyond a claim's first (transport retries and malformed re-asks)
        self.stats: dict[str, int] = {"requests": 0, "cache_hits": 0, "retries": 0, "failed": 0}
        self._lock = threading.Lock()
        self._abort = threading.Event()  # a fatal error elsewhere: stop starting requests
        self._down = threading.Event()  # connection failed and nothing has ever answered
        self._answered = False  # any HTTP response at all from the endpoint
        self._down_message = ""
        self._use_response_format = True
        self._client: httpx.Client | None = None

    # --- public

    def judge_inputs(self, inputs: list[ClaimInput]) -> list[Judgement]:
        results: list[Judgement | None] = [None] * len(inputs)
        todo: list[int] = []
        for k, inp in enumerate(inputs):
            if not inp.passages:
                results[k] = Judgement("unsupported", 0.0, 0.9, [], ["no similar source passage"])
            else:
                todo.append(k)
        if not todo:
            return [r for r in results if r is not None]

        self._abort.clear()
        self._down.clear()
        self._answered = False
        outcomes: dict[int, str] = {}  # "ok" | "cached" | "connect" | "failed"
        last_connect_error = ""
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        timeout = httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))
        limits = httpx.Limits(max_connections=self.concurrency)
        with httpx.Client(timeout=timeout, headers=headers, limits=limits) as client:
            self._client = client
            pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="llm")
            try:
                futures = {pool.submit(self._judge_one, inputs[k]): k for k in todo}
                for fut in as_completed(futures):
                    jd, outcome, err = fut.result()  # re-raises a RetoldError from a worker
                    k = futures[fut]
                    results[k], outcomes[k] = jd, outcome
                    if outcome == "connect":
                        last_connect_error = err
            except BaseException:
                self._abort.set()  # wake sleeping workers and stop new requests
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            finally:
                pool.shutdown(wait=True)
                self._client = None

        networked = [o for o in outcomes.values() if o != "cached"]
        if networked and all(o == "connect" for o in networked) and not self._answered:
            raise RetoldError(f"llm endpoint {self.url} unreachable: {last_connect_error}")
        return [r for r in results if r is not None]

    # --- one claim

    def _judge_one(self, inp: ClaimInput) -> tuple[Judgement, str, str]:
        """(judgement, outcome, connect-error text) for one claim with passages."""
        messages = build_messages(inp)
        key = hashlib.sha256(
            json.dumps(
                {"model": self.model, "messages": messages}, sort_keys=True, ensure_ascii=False
            ).encode("utf-8")
        ).hexdigest()
        cached = self.cache.get(key)
        if cached is not None:
            try:
                ans = validate_answer(cached, len(inp.passages))
            except _Malformed:
                pass  # a stale or hand-edited entry: ask again
            else:
                self._count("cache_hits")
                return _to_judgement(ans, inp), "cached", ""

        try:
            ans, content, problem = self._ask(messages, len(inp.passages), first=True)
            if ans is None:
                log.debug("llm: malformed answer (%s), asking again", problem)
                reminder = self._REMINDER.format(problem=problem, n=len(inp.passages))
                retry_messages = [
                    *messages,
                    {"role": "assistant", "content": content[:2000]},
                    {"role": "user", "content": reminder},
                ]
                ans, _, problem = self._ask(retry_messages, len(inp.passages), first=False)
                if ans is None:
                    self._count("failed")
                    return _failed(f"malformed answer: {problem}"), "failed", ""
        except _TransportFailure as exc:
            self._count("failed")
            return _failed(exc.message), exc.kind, exc.message
        except _Aborted:
            return _failed("aborted"), "failed", ""

        self.cache.put(key, ans.to_dict(), self.model)
        return _to_judgement(ans, inp), "ok", ""

    # --- transport

    def _count(self, stat: str, n: int = 1) -> None:
        with self._lock:
            self.stats[stat] += n

    def _sleep(self, seconds: float) -> None:
        if self._abort.wait(seconds):
            raise _Aborted

    def _ask(
        self, messages: list[dict[str, str]], n_passages: int, *, first: bool
    ) -> tuple[_Answer | None, str, str]:
        """(validated answer or None, raw content, problem) for one chat request."""
        try:
            content = self._chat(messages, first=first)
        except _Malformed as exc:
            return None, "", str(exc)
        try:
            return validate_answer(extract_json(content), n_passages), content, ""
        except _Malformed as exc:
            return None, content, str(exc)

    def _chat(self, messages: list[dict[str, str]], *, first: bool) -> str:
        """POST one chat request with retries; the answer's text content.

        Raises ``RetoldError`` when the endpoint refuses the request, ``_TransportFailure``
        when retries are exhausted, ``_Malformed`` for a 2xx body that is not a chat answer."""
        assert self._client is not None
        last = ""
        connected = False  # did any attempt reach the server (even to time out)?
        attempt = 0
        while True:
            if self._abort.is_set():
                raise _Aborted
            if self._down.is_set():
                # another claim already found nothing listening: do not wait out every retry
                raise _TransportFailure("connect", self._down_message)
            if attempt or not first:
                self._count("retries")
            self._count("requests")
            payload: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0}
            if self._use_response_format:
                payload["response_format"] = {"type": "json_object"}
            wait: float | None = None
            try:
                resp = self._client.post(self.url, json=payload)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last = f"cannot connect ({_short(exc) or type(exc).__name__})"
            except httpx.TimeoutException:
                connected = True
                last = f"no answer within {self.timeout:g} s"
            except httpx.TransportError as exc:
                connected = True
                last = f"{type(exc).__name__}: {_short(exc)}"
            else:
                connected = True
                with self._lock:
                    self._answered = True
                status = resp.status_code
                if 200 <= status < 300:
                    return _content(resp)
                if status == 400 and self._use_response_format and "response_format" in resp.text:
                    # older servers reject json_object mode; the prompt still asks for JSON
                    log.debug("llm: endpoint rejects response_format, retrying without it")
                    self._use_response_format = False
                    first = False  # so the re-sent request counts as a retry
                    continue
                if status != 429 and status < 500:
                    raise RetoldError(self._refused(resp))
                last = f"HTTP {status} {resp.reason_phrase}".strip()
                if status in (429, 503):
                    wait = _retry_after(resp.headers.get("Retry-After"))
            if attempt >= self.max_retries:
                break
            if wait is None:
                wait = min(self.backoff_cap, self.backoff_base * 2**attempt)
                wait *= random.uniform(0.5, 1.0)  # jitter: concurrent claims do not retry in step
            else:
                wait = min(wait, self.retry_after_cap)
            log.debug("llm: %s, retry %d in %.2f s", last, attempt + 1, wait)
            self._sleep(wait)
            attempt += 1

        tries = attempt + 1
        message = f"{last} ({tries} attempt{'s' if tries > 1 else ''})"
        if not connected:
            with self._lock:
                if not self._answered and not self._down.is_set():
                    self._down_message = message
                    self._down.set()
            raise _TransportFailure("connect", message)
        raise _TransportFailure("transport", message)

    def _refused(self, resp: httpx.Response) -> str:
        status = f"{resp.status_code} {resp.reason_phrase}".strip()
        if resp.status_code in (401, 403):
            if self.api_key:
                hint = f" (check ${self.key_env})"
            else:
                hint = f" (check ${self.key_env}: it is not set)"
        elif resp.status_code == 404:
            hint = f" (check llm_base_url and that the server serves model '{self.model}')"
        else:
            detail = _error_detail(resp)
            hint = f": {detail}" if detail else ""
        return f"llm endpoint {self.url} refused the request: {status}{hint}"


def _short(exc: BaseException) -> str:
    return _WS.sub(" ", str(exc)).strip()[:160]


def _error_detail(resp: httpx.Response) -> str:
    """The server's error message from a refusal, on one short line."""
    try:
        data = resp.json()
    except ValueError:
        return _WS.sub(" ", resp.text).strip()[:160]
    err = data.get("error") if isinstance(data, dict) else None
    msg = err.get("message") if isinstance(err, dict) else err
    if not isinstance(msg, str):
        msg = data.get("message", "") if isinstance(data, dict) else ""
    return _WS.sub(" ", str(msg)).strip()[:160]


def _content(resp: httpx.Response) -> str:
    """The first choice's message text from a chat-completions response."""
    try:
        data = resp.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise _Malformed("the response is not a chat completion") from None
    if not isinstance(content, str):
        raise _Malformed("the response has no text content")
    return content
