"""HMI benchmark: 20 browser clients on the synoptic while the plant model runs in real time.

The server is the real HMI (``HmiServer``: uvicorn + NiceGUI) in its own process, fed by the
simulator's plant model stepping in real time and published on change like the PLC bridge
(``tests.hmi.browser_server --plant``) on the real services (historian, alarm service, access);
the plant's values stand in for the PLC bridge. Clients are
real headless Chromium pages (one browser, one context per client) logged in on the
overview. Each page records, with a MutationObserver, the time a text first appears; the
bench changes a value (network pressure) or raises a P1 alarm (the wood boiler's fault state,
taken by the real alarm engine; put back and acknowledged after each round) through the
server's test routes and measures, per page, publication → display. Baseline in the same run: the same
rounds with a single client. CPU (percent of one core) and resident memory of the server
process are read from /proc during the 20-client phase.

Run: ``.venv/bin/python bench/hmi.py`` (about 2 minutes; needs ``chromium``).
The last line is one JSON object with ``update_latency_ms_p95``, ``alarm_display_ms_p95``,
``server_rss_mb``, ``server_cpu_percent``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port  # noqa: E402
from tests.support.browser import CHROMIUM_ARGS  # noqa: E402
from tests.support.hmi import PASSWORD  # noqa: E402

CLIENTS = 20
ROUNDS = 12
OBSERVER = """
window.__watch = []; window.__seen = {};
new MutationObserver(() => {
  if (!window.__watch.length) return;
  const t = performance.timeOrigin + performance.now();
  const text = document.body ? document.body.textContent : '';
  for (const w of window.__watch) { if (!(w in window.__seen) && text.includes(w)) window.__seen[w] = t; }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def post(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - loopback bench server
        f"{base}{path}", json.dumps(body).encode(), {"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        result: dict[str, Any] = json.loads(response.read())
        return result


def start_server(data: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hmi.browser_server", "--port", str(port), "--data", data, "--plant"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=2):  # noqa: S310
                return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("HMI server did not start") from None
            time.sleep(0.2)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_clients(browser: Any, base: str, state: dict[str, Any], n: int) -> list[Any]:
    pages = []
    for _ in range(n):
        context = browser.new_context(viewport={"width": 1366, "height": 800}, storage_state=state)
        context.add_init_script(OBSERVER)
        page = context.new_page()
        page.goto(f"{base}/")
        page.wait_for_selector("svg.synoptic")
        pages.append(page)
    return pages


def measure(pages: list[Any], base: str, path: str, body: dict[str, Any], expected: str) -> list[float]:
    """Publish through ``path`` and return, per page, ms until ``expected`` is displayed."""
    for page in pages:
        page.evaluate("w => { delete window.__seen[w]; window.__watch.push(w); }", expected)
    published_ms = post(base, path, body)["published"] * 1000
    deadline = time.monotonic() + 8
    seen: dict[int, float] = {}
    while len(seen) < len(pages) and time.monotonic() < deadline:
        for i, page in enumerate(pages):
            if i not in seen:
                t = page.evaluate("w => window.__seen[w] || null", expected)
                if t is not None:
                    seen[i] = t - published_ms
        time.sleep(0.05)
    return [seen.get(i, 8000.0) for i in range(len(pages))]


class Rounds:
    """Value changes and alarms, each with a fresh expected text."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.value_round = 0
        self.alarms = 0

    def update(self, pages: list[Any]) -> list[float]:
        self.value_round += 1
        bar = 2.5 + self.value_round / 100
        text = f"pression {bar:.2f} bar".replace(".", ",")
        return measure(pages, self.base, "/_test/values", {"values": {"network.pressure": bar}}, text)

    def alarm(self, pages: list[Any]) -> list[float]:
        """Raise CHB-DEF (P1) and measure until the P1 count reads 1; then clear it (the wood
        boiler back, the alarm acknowledged) and wait for 0, ready for the next round."""
        self.alarms += 1
        latencies = measure(pages, self.base, "/_test/alarm", {"code": "CHB-DEF"}, "◆ P1 : 1")
        measure(pages, self.base, "/_test/clear", {"code": "CHB-DEF"}, "◆ P1 : 0")
        return latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def phase(rounds: Rounds, pages: list[Any]) -> tuple[list[float], list[float]]:
    updates: list[float] = []
    alarms: list[float] = []
    for _ in range(ROUNDS):
        updates += rounds.update(pages)
        time.sleep(0.3)
        alarms += rounds.alarm(pages)
        time.sleep(0.3)
    return updates, alarms


def main() -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is needed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores (shared), "
        f"Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as data:
        proc, base = start_server(data)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                login = browser.new_page()
                login.goto(f"{base}/login")
                login.get_by_label("Identifiant").fill("admin")
                login.get_by_label("Mot de passe").fill(PASSWORD)
                login.get_by_role("button", name="Se connecter").click()
                login.wait_for_url(f"{base}/")
                state = login.context.storage_state()
                login.context.close()
                rounds = Rounds(base)

                one = open_clients(browser, base, state, 1)
                base_updates, base_alarms = phase(rounds, one)
                one[0].context.close()

                pages = open_clients(browser, base, state, CLIENTS)
                time.sleep(2)
                cpu0, wall0 = cpu_seconds(proc.pid), time.monotonic()
                updates, alarms = phase(rounds, pages)
                cpu = 100 * (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - wall0)
                rss = rss_mb(proc.pid)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(
        f"baseline, 1 client : update p95 {p95(base_updates):7.0f} ms, alarm p95 {p95(base_alarms):7.0f} ms"
    )
    print(
        f"{CLIENTS} clients        : update p95 {p95(updates):7.0f} ms"
        f" (median {statistics.median(updates):.0f}), alarm p95 {p95(alarms):7.0f} ms"
        f" (median {statistics.median(alarms):.0f})"
    )
    print(
        f"server process     : {cpu:.1f} % of one core, RSS {rss:.0f} MB (plant model + HMI in one process)"
    )
    print("goals: update < 1000 ms, alarm < 2000 ms (p95)")
    print(
        json.dumps(
            {
                "update_latency_ms_p95": round(p95(updates)),
                "alarm_display_ms_p95": round(p95(alarms)),
                "server_rss_mb": round(rss, 1),
                "server_cpu_percent": round(cpu, 1),
                "baseline_update_latency_ms_p95": round(p95(base_updates)),
                "baseline_alarm_display_ms_p95": round(p95(base_alarms)),
                "clients": CLIENTS,
            }
        )
    )


if __name__ == "__main__":
    main()
