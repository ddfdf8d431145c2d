"""The LLM judge against a fake OpenAI-compatible server run inside the test (127.0.0.1 only).

The server's behaviour is a function the test sets: good, fenced or malformed answers, rate
limits, server errors, slow answers, refusals. Everything is sized to finish in seconds.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from retold.errors import RetoldError
from retold.judges.base import ClaimInput
from retold.judges.llm import LLMJudge, _Malformed, extract_json, validate_answer
from retold.judges.registry import get_judge
from retold.settings import Settings

Reply = tuple[int, dict[str, str], str]  # status, headers, body
Behaviour = Callable[["FakeLLM", dict[str, Any], int], Reply]


# --- the fake server


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def decide(messages: list[dict[str, str]]) -> dict[str, Any]:
    """A deterministic 'model': supported if every claim word is in the passages,
    contradicted if the claim has a number the passages lack, else unsupported."""
    user = messages[1]["content"]
    passages = re.findall(r"^\[(\d+)\] (.*)$", user, re.MULTILINE)
    claim = re.search(r"^CLAIM: (.*)$", user, re.MULTILINE).group(1)  # type: ignore[union-attr]
    cw = _words(claim)
    pw = set().union(*(_words(t) for _, t in passages)) if passages else set()
    best = max(passages, key=lambda p: len(cw & _words(p[1])))[0] if passages else None
    if any(w.isdigit() and w not in pw for w in cw):
        return {"verdict": "contradicted", "probability_supported": 0.05, "evidence": [int(best)]}
    if cw <= pw:
        return {
            "verdict": "supported",
            "probability_supported": 0.95,
            "evidence": [int(best)],
            "reason": "all words found",
        }
    return {"verdict": "unsupported", "probability_supported": 0.2, "evidence": []}


def chat(content: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }
    return status, headers or {}, json.dumps(body)


def good(fake: FakeLLM, body: dict[str, Any], n: int) -> Reply:
    return chat(json.dumps(decide(body["messages"])))


class FakeLLM:
    def __init__(self) -> None:
        self.behaviour: Behaviour = good
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.delay = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()  # set at teardown so slow handlers return at once
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw)
                with fake.lock:
                    fake.bodies.append(body)
                    fake.headers.append(dict(self.headers))
                    fake.paths.append(self.path)
                    n = len(fake.bodies)
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    if fake.delay:
                        fake.stop.wait(fake.delay)
                    status, headers, text = fake.behaviour(fake, body, n)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1
                data = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout): nothing to answer
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @property
    def count(self) -> int:
        return len(self.bodies)

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("RETOLD_LLM_API_KEY", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)
    # fast backoff so retry tests take milliseconds; Retry-After is still honoured
    monkeypatch.setattr(LLMJudge, "backoff_base", 0.01)


def make_settings(url: str, tmp_path: Path, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "llm_base_url": url,
        "llm_model": "fake-model",
        "llm_cache_dir": str(tmp_path / "cache"),
        "llm_timeout_s": 5.0,
        "llm_max_retries": 2,
        "llm_concurrency": 4,
    }
    base.update(kw)
    return Settings(**base)


SUPPORTED = ClaimInput(
    claim="The council approved the park on Monday.",
    passages=("The council approved the new park on Monday.", "Rain fell in the city."),
    passage_ids=(7, 3),
)
UNSUPPORTED = ClaimInput(
    claim="Residents celebrated in the streets.",
    passages=("The council approved the new park on Monday.",),
    passage_ids=(0,),
)


def claims(n: int) -> list[ClaimInput]:
    # distinct prompts, so no claim is a cache hit for another
    return [
        ClaimInput(f"The park has {k} trees.", (f"The park has {k} trees and a pond.",), (k,))
        for k in range(n)
    ]


# --- parsing and validation (no server)


@pytest.mark.parametrize(
    "text",
    [
        '{"verdict": "supported"}',
        '```json\n{"verdict": "supported"}\n```',
        'Sure! Here is my answer:\n```\n{"verdict": "supported"}\n```\nHope this helps.',
        'The answer is {"verdict": "supported", "reason": "a {brace} inside"} as requested.',
        '<think>maybe {"verdict": "contradicted"}?</think>{"verdict": "supported"}',
    ],
)
def test_extract_json_finds_the_object(text: str) -> None:
    assert extract_json(text)["verdict"] == "supported"


@pytest.mark.parametrize("text", ["", "supported", "[1, 2]", "{verdict: supported}"])
def test_extract_json_rejects_non_objects(text: str) -> None:
    with pytest.raises(_Malformed):
        extract_json(text)


def test_validate_answer_defaults_clamps_and_rejects() -> None:
    assert validate_answer({"verdict": "Supported "}, 2).probability == 0.9
    assert validate_answer({"verdict": "unsupported"}, 2).probability == 0.1
    assert validate_answer({"verdict": "contradicted"}, 2).probability == 0.05
    ans = validate_answer({"verdict": "supported", "probability_supported": 1.7}, 2)
    assert ans.probability == 1.0
    ans = validate_answer({"verdict": "supported", "probability_supported": -2}, 2)
    assert ans.probability == 0.0
    ans = validate_answer({"verdict": "supported", "evidence": [2, "1", 2]}, 2)
    assert ans.evidence == (2, 1)
    for bad in (
        {"verdict": "maybe"},
        {"verdict": None},
        {"verdict": "supported", "probability_supported": "high"},
        {"verdict": "supported", "probability_supported": True},
        {"verdict": "supported", "evidence": [3]},
        {"verdict": "supported", "evidence": [0]},
        {"verdict": "supported", "evidence": "passage one"},
    ):
        with pytest.raises(_Malformed):
            validate_answer(bad, 2)


def test_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(RetoldError, match=r"llm judge needs --llm-model / llm_model setting"):
        LLMJudge(make_settings("http://127.0.0.1:1/v1", tmp_path, llm_model=""))
    with pytest.raises(RetoldError, match="not an http"):
        LLMJudge(make_settings("ftp://example.org/v1", tmp_path))
    with pytest.raises(RetoldError, match="not an http"):
        LLMJudge(make_settings("127.0.0.1:8000/v1", tmp_path))
    judge = get_judge("llm", make_settings("http://127.0.0.1:1/v1/", tmp_path))
    assert isinstance(judge, LLMJudge)
    assert judge.url == "http://127.0.0.1:1/v1/chat/completions"


def test_no_passages_needs_no_request(tmp_path: Path) -> None:
    # port 1: any request would fail, so passing proves none was made
    judge = LLMJudge(make_settings("http://127.0.0.1:1/v1", tmp_path))
    [jd] = judge.judge_inputs([ClaimInput("Something new.", (), ())])
    assert (jd.verdict, jd.probability, jd.reasons) == (
        "unsupported",
        0.0,
        ["no similar source passage"],
    )
    assert judge.stats["requests"] == 0


# --- against the fake server


def test_good_answers_and_request_shape(fake: FakeLLM, tmp_path: Path) -> None:
    judge = LLMJudge(make_settings(fake.url, tmp_path))
    empty = ClaimInput("Nothing like it.", (), ())
    sup, nothing, uns = judge.judge_inputs([SUPPORTED, empty, UNSUPPORTED])
    assert sup.verdict == "supported" and sup.probability == 0.95 and sup.confidence == 0.95
    assert sup.evidence == [7]  # passage [1] is source sentence 7
    assert sup.reasons == ["all words found"]
    assert uns.verdict == "unsupported" and uns.confidence == pytest.approx(0.8)
    assert uns.evidence == [0]  # no citation: the candidates are the evidence
    assert nothing.verdict == "unsupported"
    assert fake.count == 2 and judge.stats["requests"] == 2 and judge.stats["retries"] == 0
    assert fake.paths == ["/v1/chat/completions"] * 2
    [body] = [b for b in fake.bodies if SUPPORTED.claim in b["messages"][1]["content"]]
    assert body["model"] == "fake-model" and body["temperature"] == 0
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "contradicted" in body["messages"][0]["content"]
    user = body["messages"][1]["content"]
    assert "[1] The council approved the new park on Monday.\n[2] Rain fell in the city." in user
    assert "CLAIM: The council approved the park on Monday." in user
    assert "Authorization" not in fake.headers[0]


def test_fenced_json_with_text_around(fake: FakeLLM, tmp_path: Path) -> None:
    def fenced(f: FakeLLM, body: dict[str, Any], n: int) -> Reply:
        answer = json.dumps(decide(body["messages"]), indent=2)
        return chat(f"Here is my verdict:\n```json\n{answer}\n```\nLet me know.")

    fake.behaviour = fenced
    [jd] = LLMJudge(make_settings(fake.url, tmp_path)).judge_inputs([SUPPORTED])
    assert jd.verdict == "supported" and fake.count == 1


def test_malformed_then_good_on_reminder(fake: FakeLLM, tmp_path: Path) -> None:
    def flaky(f: FakeLLM, body: dict[str, Any], n: int) -> Reply:
        if len(body["messages"]) == 2:
            return chat("I believe the claim is supported by the first passage.")
        return good(f, body, n)

    fake.behaviour = flaky
    judge = LLMJudge(make_settings(fake.url, tmp_path))
    [jd] = judge.judge_inputs([SUPPORTED])
    assert jd.verdict == "supported"
    assert fake.count == 2 and judge.stats["retries"] == 1 and judge.stats["failed"] == 0
    msgs = fake.bodies[1]["messages"]
    assert msgs[2] == {
        "role": "assistant",
        "content": "I believe the claim is supported by the first passage.",
    }
    assert msgs[3]["role"] == "user" and "JSON" in msgs[3]["content"]


def test_always_malformed_is_judge_failed_and_not_cached(fake: FakeLLM, tmp_path: Path) -> None:
    fake.behaviour = lambda f, body, n: chat('{"verdict": "probably"}')
    judge = LLMJudge(make_settings(fake.url, tmp_path))
    [jd] = judge.judge_inputs([SUPPORTED])
    assert (jd.verdict, jd.probability, jd.confidence) == ("judge_failed", 0.5, 0.0)
    assert len(jd.reasons) == 1 and jd.reasons[0].startswith("llm: malformed answer")
    assert fake.count == 2 and judge.stats["failed"] == 1
    # only validated answers are cached: a good server is asked again
    fake.behaviour = good
    [jd] = LLMJudge(make_settings(fake.url, tmp_path)).judge_inputs([SUPPORTED])
    assert jd.verdict == "supported" and fake.count == 3


def test_429_retry_after_is_honoured(fake: FakeLLM, tmp_path: Path) -> None:
    def limited(f: FakeLLM, body: dict[str, Any], n: int) -> Reply:
        if n == 1:
            return 429, {"Retry-After": "1"}, '{"error": {"message": "slow down"}}'
        return good(f, body, n)

    fake.behaviour = limited
    judge = LLMJudge(make_settings(fake.url, tmp_path))
    t0 = time.monotonic()
    [jd] = judge.judge_inputs([SUPPORTED])
    elapsed = time.monotonic() - t0
    assert jd.verdict == "supported"
    assert judge.stats["retries"] == 1 and judge.stats["requests"] == 2
    assert 0.9 <= elapsed < 4.0


def test_500_until_retries_exhausted(fake: FakeLLM, tmp_path: Path) -> None:
    fake.behaviour = lambda f, body, n: (500, {}, '{"error": "boom"}')
    judge = LLMJudge(make_settings(fake.url, tmp_path, llm_max_retries=2))
    jds = judge.judge_inputs([SUPPORTED, UNSUPPORTED])  # the endpoint is up: no RetoldError
    assert [j.verdict for j in jds] == ["judge_failed", "judge_failed"]
    assert "HTTP 500" in jds[0].reasons[0] and "3 attempts" in jds[0].reasons[0]
    assert fake.count == 6
    assert judge.stats == {"requests": 6, "cache_hits": 0, "retries": 4, "failed": 2}


def test_slow_answer_times_out_then_judge_failed(fake: FakeLLM, tmp_path: Path) -> None:
    fake.delay = 3.0
    judge = LLMJudge(make_settings(fake.url, tmp_path, llm_timeout_s=0.5, llm_max_retries=1))
    t0 = time.monotonic()
    [jd] = judge.judge_inputs([SUPPORTED])
    assert jd.verdict == "judge_failed" and "no answer within 0.5 s" in jd.reasons[0]
    assert judge.stats["requests"] == 2 and judge.stats["retries"] == 1
    assert time.monotonic() - t0 < 2.5


def test_401_is_a_one_line_error(fake: FakeLLM, tmp_path: Path) -> None:
    fake.behaviour = lambda f, body, n: (401, {}, '{"error": {"message": "bad key"}}')
    judge = LLMJudge(make_settings(fake.url, tmp_path))
    with pytest.raises(RetoldError) as err:
        judge.judge_inputs(claims(6))
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"llm endpoint {fake.url}/chat/completions refused the request: ")
    assert "401 Unauthorized" in msg and "$RETOLD_LLM_API_KEY" in msg
    assert fake.count <= 6  # not retried


def test_404_names_the_model(fake: FakeLLM, tmp_path: Path) -> None:
    fake.behaviour = lambda f, body, n: (404, {}, "no such model")
    with pytest.raises(RetoldError, match=r"404 Not Found .*fake-model"):
        LLMJudge(make_settings(fake.url, tmp_path)).judge_inputs([SUPPORTED])


def test_response_format_rejected_falls_back(fake: FakeLLM, tmp_path: Path) -> None:
    def old_server(f: FakeLLM, body: dict[str, Any], n: int) -> Reply:
        if "response_format" in body:
            return 400, {}, '{"error": {"message": "unknown field response_format"}}'
        return good(f, body, n)

    fake.behaviour = old_server
    judge = LLMJudge(make_settings(fake.url, tmp_path, llm_concurrency=1))
    jds = judge.judge_inputs([SUPPORTED, UNSUPPORTED])
    assert [j.verdict for j in jds] == ["supported", "unsupported"]
    assert fake.count == 3  # only the first claim paid for the discovery


def test_connection_refused_is_unreachable(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port that was just free and has no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    judge = LLMJudge(make_settings(url, tmp_path, llm_max_retries=1))
    t0 = time.monotonic()
    with pytest.raises(RetoldError) as err:
        judge.judge_inputs(claims(5))
    msg = str(err.value)
    assert msg.startswith(f"llm endpoint {url}/chat/completions unreachable: ")
    assert "\n" not in msg
    assert time.monotonic() - t0 < 3.0


def test_cache_hit_on_second_run(fake: FakeLLM, tmp_path: Path) -> None:
    inputs = [SUPPORTED, UNSUPPORTED, *claims(3)]
    first = LLMJudge(make_settings(fake.url, tmp_path)).judge_inputs(inputs)
    assert fake.count == 5
    files = list((tmp_path / "cache").glob("*/*.json"))
    assert len(files) == 5 and all(f.parent.name == f.name[:2] for f in files)
    assert not list((tmp_path / "cache").glob("*/.tmp-*"))

    again = LLMJudge(make_settings(fake.url, tmp_path))
    second = again.judge_inputs(inputs)
    assert fake.count == 5  # no request at all
    assert again.stats["cache_hits"] == 5 and again.stats["requests"] == 0
    assert [(j.verdict, j.probability, j.evidence) for j in second] == [
        (j.verdict, j.probability, j.evidence) for j in first
    ]
    # another model is another cache key
    LLMJudge(make_settings(fake.url, tmp_path, llm_model="other")).judge_inputs(inputs[:1])
    assert fake.count == 6


def test_concurrency_limit(fake: FakeLLM, tmp_path: Path) -> None:
    fake.delay = 0.1
    judge = LLMJudge(make_settings(fake.url, tmp_path, llm_concurrency=2))
    jds = judge.judge_inputs(claims(8))
    assert all(j.verdict == "supported" for j in jds)
    assert [j.evidence for j in jds] == [[k] for k in range(8)]  # order kept
    assert fake.count == 8 and fake.max_in_flight == 2


def test_api_key_header(fake: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_LLM_KEY", "sk-test-123")
    judge = LLMJudge(make_settings(fake.url, tmp_path, llm_api_key_env="MY_LLM_KEY"))
    judge.judge_inputs([SUPPORTED])
    assert fake.headers[0]["Authorization"] == "Bearer sk-test-123"


def test_compare_end_to_end(fake: FakeLLM, tmp_path: Path) -> None:
    from retold.audit.compare import compare

    source = (
        "The city council approved a new park on Monday. "
        "The park will cost 2 million dollars, officials said. "
        "Mayor Jane Holt said construction would start in May."
    )
    retelling = (
        "The city council approved a new park on Monday. "
        "The park will cost 5 million dollars, officials said. "
        "Residents celebrated the decision with a street festival downtown."
    )
    audit = compare(source, retelling, settings=make_settings(fake.url, tmp_path), judge="llm")
    assert audit.judge == "llm"
    verdicts = [c.verdict for c in audit.claims]
    assert verdicts == ["supported", "contradicted", "unsupported"]
    assert audit.claims[0].evidence[0].text == "The city council approved a new park on Monday."
    assert audit.claims[0].support_score == 0.95
    assert 1 <= fake.count <= 3
