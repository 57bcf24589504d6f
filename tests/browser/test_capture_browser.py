"""The capture SDK in a real headless Chromium against a served appliance.

espeak-ng speaks a known text at three rates; each WAV is the fake microphone
of a fresh Chromium that loads /demo, captures, and analyses. The estimated
speech rate must be within 20% of words / (first to last voiced sample) and
ordered by rate. A two-stream conversation with known turn gaps checks
response latency within 150 ms. Every network request is recorded (driver,
DevTools and Chromium's own net log) to show that the only API call is the
JSON POST of derived numbers, from an allowed origin with a publishable key.
"""

from __future__ import annotations

import array
import json
import os
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tests.conftest import Served

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = REPO / "tests" / "artifacts" / "capture"
# Debian names it chromium, Ubuntu's deb chromium-browser; CHROMIUM_PATH names any other build.
CHROMIUM = (os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
            or "/usr/bin/chromium")
RUNNER = HERE / "capture_run.mjs"

pytestmark = pytest.mark.browser

TEXT = (
    "The patient described a quiet week at home with her family. "
    "She has been sleeping better since the new routine started, and her appetite has returned. "
    "Most mornings she walks to the market before breakfast."
)
SPEEDS = (110, 165, 230)  # espeak-ng words-per-minute settings; the truth is measured from the audio
LEAD_IN = 1.5  # seconds of silence before speech: capture starts a moment after the fake device opens
VOICED = 1e-3  # |sample| above this counts as voiced when measuring the truth

# Clinician question, patient answer, and the gap before the answer (seconds).
DIALOGUE = (
    ("How have you been sleeping this week?", "Better than last week, thank you.", 0.45),
    ("And how is your appetite?", "It has mostly come back.", 1.2),
    ("Anything you would like to talk about today?", "Yes, my new medication.", 2.1),
)

REQUEST_FIELDS = {
    "responseLatencySeconds": (0, 120),
    "speechRateWpm": (0, 600),
    "psychomotorFidgetEpisodes": (0, 1000),
    "sustainedAttentionPct": (0, 100),
    "sessionDurationSeconds": (0, 86400),
}
STATIC_FILES = {"/demo", *(f"/sdk/{name}" for name in (
    "demo.css", "demo.js", "capture.js", "dsp.js", "adapters.js", "worklet.js"))}


@dataclass
class Appliance:
    base_url: str
    publishable_key: str
    # A valid publishable key whose allow-list does not hold the demo's origin.
    foreign_key: str


# --------------------------------------------------------------------------------------------
# The server under test: `attunio serve` as a real process (tests/conftest.py), with a
# publishable test key whose allow-list holds exactly the origin the demo page is served from.
# --------------------------------------------------------------------------------------------
@pytest.fixture
def appliance(served: Served) -> Appliance:
    key = served.new_key("publishable", "test", origins=(served.base_url,), app="Capture demo")
    other = served.new_key("publishable", "test", origins=("https://telehealth.example",), app="Capture demo")
    return Appliance(served.base_url, key, other)


# --------------------------------------------------------------------------------------------
# Audio with known ground truth.
# --------------------------------------------------------------------------------------------
def read_wav(path: Path) -> tuple[int, array.array[int]]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        rate = w.getframerate()
        frames = w.readframes(w.getnframes())
    samples = array.array("h")
    samples.frombytes(frames)
    return rate, samples


def write_wav(path: Path, rate: int, samples: array.array[int]) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def voiced_bounds(samples: array.array[int]) -> tuple[int, int]:
    limit = VOICED * 32768
    voiced = [i for i, x in enumerate(samples) if abs(x) > limit]
    return voiced[0], voiced[-1] + 1


def espeak(path: Path, text: str, speed: int = 160, voice: str = "en") -> None:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)


def trimmed_utterance(tmp: Path, name: str, text: str, voice: str) -> tuple[int, array.array[int]]:
    path = tmp / f"{name}.wav"
    espeak(path, text, 165, voice)
    rate, samples = read_wav(path)
    a, b = voiced_bounds(samples)
    return rate, samples[a:b]


@dataclass
class RateCase:
    name: str
    wav: Path
    truth_wpm: float
    speech_seconds: float


def make_rate_case(tmp: Path, speed: int, text: str = TEXT) -> RateCase:
    raw = tmp / f"speech-{speed}.wav"
    espeak(raw, text, speed)
    mic = tmp / f"mic-{speed}.wav"
    # 48 kHz mono 16-bit is what a microphone delivers; the lead-in covers capture start-up.
    sox = ["sox", str(raw), "-r", "48000", "-b", "16", "-c", "1", str(mic), "pad", str(LEAD_IN), "1.0"]
    subprocess.run(sox, check=True)
    rate, samples = read_wav(mic)
    a, b = voiced_bounds(samples)
    seconds = (b - a) / rate
    return RateCase(f"espeak-{speed}", mic, len(text.split()) / seconds * 60, seconds)


@dataclass
class Conversation:
    patient: Path
    clinician: Path
    gaps: list[float]
    seconds: float


def make_conversation(tmp: Path) -> Conversation:
    """Two time-aligned tracks: each answer starts exactly `gap` after its question's last voiced sample."""
    rate = 22050
    pat = array.array("h")
    clin = array.array("h")
    lead = int(0.8 * rate)
    clin.extend([0] * lead)
    pat.extend([0] * lead)
    gaps = []
    for i, (question, answer, gap) in enumerate(DIALOGUE):
        r1, q = trimmed_utterance(tmp, f"q{i}", question, "en+m3")
        r2, a = trimmed_utterance(tmp, f"a{i}", answer, "en+f3")
        assert r1 == r2 == rate
        clin.extend(q)
        pat.extend([0] * len(q))
        g = round(gap * rate)
        clin.extend([0] * (g + len(a)))
        pat.extend([0] * g)
        pat.extend(a)
        gaps.append(g / rate)
        # The clinician waits a moment after each answer before the next question.
        pause = int(0.9 * rate)
        clin.extend([0] * pause)
        pat.extend([0] * pause)
    tail = int(0.5 * rate)
    clin.extend([0] * tail)
    pat.extend([0] * tail)
    assert len(pat) == len(clin)
    write_wav(tmp / "patient.wav", rate, pat)
    write_wav(tmp / "clinician.wav", rate, clin)
    return Conversation(tmp / "patient.wav", tmp / "clinician.wav", gaps, len(pat) / rate)


# --------------------------------------------------------------------------------------------
# Network evidence.
# --------------------------------------------------------------------------------------------
def netlog_requests(path: Path) -> list[dict[str, object]]:
    """Requests from Chromium's net log: url, method, initiator and upload size, by source id."""
    text = path.read_text(encoding="utf-8", errors="replace").rstrip().rstrip(",")
    if not text.endswith("}"):
        text += "]}"
    try:
        log = json.loads(text)
    except json.JSONDecodeError:
        log = json.loads(text + "]}")
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    by_source: dict[int, dict[str, object]] = {}
    for event in log["events"]:
        kind = names.get(event["type"])
        params = event.get("params") or {}
        sid = event["source"]["id"]
        if kind == "URL_REQUEST_START_JOB" and "url" in params:
            by_source.setdefault(sid, {}).update(
                url=params["url"], method=params["method"], initiator=params.get("initiator"))
        elif kind == "UPLOAD_DATA_STREAM_INIT" and "total_size" in params:
            by_source.setdefault(sid, {})["upload"] = params["total_size"]
    return [r for r in by_source.values() if "url" in r]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def check_request_body(body: dict[str, object]) -> None:
    unknown = set(body) - {*REQUEST_FIELDS, "sessionRef"}
    assert not unknown, f"unexpected fields: {unknown}"
    for name, value in body.items():
        if name == "sessionRef":
            assert isinstance(value, str)
            continue
        lo, hi = REQUEST_FIELDS[name]
        assert isinstance(value, int | float) and lo <= value <= hi, f"{name}={value!r} outside {lo}..{hi}"


def check_network(run: dict[str, object], app: Appliance) -> dict[str, object]:
    """Asserts the privacy contract for one browser run; returns the one API request body."""
    origin = origin_of(app.base_url)
    page_requests = run["network"]
    assert isinstance(page_requests, list)
    api = [r for r in page_requests if urlsplit(r["url"]).path.startswith("/v1/")]
    assert len(api) == 1, f"expected exactly one API request, saw {[(r['method'], r['url']) for r in api]}"
    post = api[0]
    assert post["method"] == "POST" and post["url"] == f"{app.base_url}/v1/dmse/analyze"
    headers = post["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["authorization"] == f"Bearer {app.publishable_key}"
    assert headers["authorization"].startswith("Bearer att_pk_")
    assert headers["origin"] == origin  # the key's allow-list holds exactly this origin
    body = json.loads(post["body"])
    assert isinstance(body, dict)
    check_request_body(body)
    assert post["bodyBytes"] < 512, "the request is a handful of numbers"
    for r in page_requests:
        assert not r["url"].startswith(("blob:", "data:")), r["url"]
        assert origin_of(r["url"]) == origin, f"page talked to another origin: {r['url']}"
        if r is not post:
            assert r["method"] == "GET" and r["bodyBytes"] == 0, (r["method"], r["url"])
            assert urlsplit(r["url"]).path in STATIC_FILES, r["url"]

    # Chromium's own log sees worklet fetches too, and anything the browser does by itself.
    log = netlog_requests(Path(str(run["netLog"])))
    to_app = [r for r in log if origin_of(str(r["url"])) == origin]
    assert {urlsplit(str(r["url"])).path for r in to_app} <= {*STATIC_FILES, "/v1/dmse/analyze"}
    uploads = [r for r in log if r.get("upload")]
    analyze_url = f"{app.base_url}/v1/dmse/analyze"
    assert [(r["method"], r["url"]) for r in uploads] == [("POST", analyze_url)], uploads
    assert uploads[0]["upload"] == post["bodyBytes"]
    assert sum(1 for r in to_app if r["method"] != "GET") == 1
    page_initiated = [r for r in log if r.get("initiator") == origin]
    assert all(origin_of(str(r["url"])) == origin for r in page_initiated), page_initiated
    return body


# --------------------------------------------------------------------------------------------
# The test.
# --------------------------------------------------------------------------------------------
def require_tools() -> None:
    missing = [t for t in ("espeak-ng", "sox", "node") if shutil.which(t) is None]
    if not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        missing.append("tests/browser/node_modules (scripts/install-browser-deps)")
    if missing:
        pytest.fail(f"browser test needs {', '.join(missing)}: run scripts/install-browser-deps")


def test_demo_in_chromium_measures_rate_and_latency_and_sends_only_numbers(
    appliance: Appliance, tmp_path: Path
) -> None:
    require_tools()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cases = [make_rate_case(tmp_path, s) for s in SPEEDS]
    talk = make_conversation(tmp_path)
    short = make_rate_case(tmp_path, 200, "I am fine, thank you. I slept well.")
    config = {
        "chromium": CHROMIUM,
        "baseUrl": appliance.base_url,
        "key": appliance.publishable_key,
        "outDir": str(ARTIFACTS),
        "rateCases": [
            *({"name": c.name, "wav": str(c.wav), "timeoutSec": LEAD_IN + c.speech_seconds + 20} for c in cases),
            {"name": "foreign-origin", "wav": str(short.wav), "timeoutSec": 30, "key": appliance.foreign_key,
             "screenshot": "demo-origin-refused.png"},
        ],
        "twoStream": {"patientWav": str(talk.patient), "clinicianWav": str(talk.clinician),
                      "durationSec": talk.seconds},
        "screenshotCase": cases[1].name,
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    proc = subprocess.run(["node", str(RUNNER), str(tmp_path / "config.json")], capture_output=True,
                          text=True, timeout=240, cwd=HERE, check=False)
    assert proc.returncode == 0, f"runner failed:\n{proc.stderr[-4000:]}"
    results = json.loads(proc.stdout)
    (ARTIFACTS / "results.json").write_text(json.dumps(results, indent=1))

    estimates = []
    *rate_runs, refused = results["rateCases"]
    for case, run in zip(cases, rate_runs, strict=True):
        assert run["state"] == "done", f"{case.name}: {run['error']} {run['console']}"
        assert {"listening", "speaking", "pause"} <= set(run["statusSeen"]), run["statusSeen"]
        body = check_network(run, appliance)
        estimate = body["speechRateWpm"]
        assert abs(estimate - case.truth_wpm) / case.truth_wpm <= 0.20, (
            f"{case.name}: estimated {estimate} wpm, truth {case.truth_wpm:.1f} wpm")
        estimates.append(estimate)
        assert run["result"]["object"] == "dmse.analysis"
        assert any(s["signalKey"] == "speech_rate" for s in run["result"]["signals"])
    assert estimates == sorted(estimates) and len(set(estimates)) == len(estimates), estimates

    two = results["twoStream"]
    assert two["error"] is None, two
    assert two["latencySource"] == "two-stream"
    assert len(two["latencies"]) == len(talk.gaps), two
    for measured, truth in zip(two["latencies"], talk.gaps, strict=True):
        assert abs(measured - truth) <= 0.150, f"latency {measured:.3f}s vs {truth:.3f}s"
    mean_truth = sum(talk.gaps) / len(talk.gaps)
    body = check_network(two, appliance)
    assert abs(body["responseLatencySeconds"] - mean_truth) <= 0.150, (body, mean_truth)
    assert body["sessionRef"] == "browser-two-stream"
    assert two["result"]["object"] == "dmse.analysis"

    # A key that is not allow-listed for this origin: the API refuses, the page says why, and
    # still nothing but the numbers was sent.
    assert refused["state"] == "error" and refused["error"]["code"] == "forbidden", refused["error"]
    assert "origin is not allowed" in (refused["errorShown"] or "")
    refused_app = Appliance(appliance.base_url, appliance.foreign_key, appliance.foreign_key)
    check_network(refused, refused_app)

    screenshot = ARTIFACTS / "demo-after-analysis.png"
    assert screenshot.stat().st_size > 20_000
