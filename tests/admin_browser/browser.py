"""The Python end of driver.mjs: one Chromium per test, steered a command at a time."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.browser.test_capture_browser import CHROMIUM, REPO

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "driver.mjs"
NODE_MODULES = REPO / "tests" / "browser" / "node_modules"
ARTIFACTS = REPO / "tests" / "artifacts" / "admin-console"


def require_tools() -> None:
    missing = [] if Path(CHROMIUM).exists() else [CHROMIUM]
    missing += [f"tests/browser/node_modules/{name}" for name in ("playwright-core", "axe-core")
                if not (NODE_MODULES / name).is_dir()]
    if missing:
        pytest.fail(f"browser test needs {', '.join(missing)}: run scripts/install-browser-deps")


class Browser:
    def __init__(self, base_url: str, work: Path, out: Path) -> None:
        require_tools()
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        config = work / "driver.json"
        config.write_text(json.dumps({"chromium": CHROMIUM, "baseUrl": base_url, "outDir": str(out)}))
        self.stderr = (work / "driver.stderr").open("w+")
        self.proc = subprocess.Popen(["node", str(DRIVER), str(config)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True, cwd=HERE)

    def __call__(self, op: str, **args: Any) -> dict[str, Any]:
        """Run one command; a failed one fails the test with the browser's own message."""
        reply = self.send(op, **args)
        if not reply["ok"]:
            self.screenshot(f"failed-{op}")
            pytest.fail(f"browser {op} {args}: {reply['error']}")
        return reply

    def send(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.stderr.seek(0)
            pytest.fail(f"the browser driver stopped:\n{self.stderr.read()[-4000:]}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def screenshot(self, name: str, *, full_page: bool = False, selector: str | None = None) -> None:
        self.send("screenshot", name=name, fullPage=full_page, selector=selector)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"op": "close"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.stderr.close()
