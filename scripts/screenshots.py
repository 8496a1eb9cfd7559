"""Take the README's and docs/hmi.md's screenshots from the real demo, after a scenario.

What ``make screenshots`` runs. It starts ``chaufferie demo`` exactly as a newcomer would
(simulator and whole system on 127.0.0.1, free ports, a data folder in a temporary
directory), runs a simulator scenario (``--scenario``, ``--speed``), waits until the HMI shows
what the scenario is about (``--wait-for``, e.g. the plant mode « relève fioul ») and lets
the plant run on for ``--after-s`` seconds so the trends show its dynamics. It logs in with
the administrator account the demo printed. The quiet hour before the fault runs fast; once
the synoptic shows the fault (``--slow-at``) the simulator is set back to real time from the
commissioning page (``--then-speed``), so the plant and the supervisor's timers, which run on
the wall clock, agree while the oil boiler takes over. Then it photographs every page at
desktop (1366×800) and phone (360×740) size in headless Chromium into
``docs/screenshots/hmi-<page>-<size>.png``, and stops the demo as Ctrl-C would.

    .venv/bin/python scripts/screenshots.py [--scenario wood-fault] [--speed 10] [--out DIR]

Needs Chromium (``/usr/bin/chromium`` or ``--chromium PATH``) and Playwright (the test extra).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from chaufferie.hmi.pages.frame import NAV

REPO = Path(__file__).resolve().parents[1]
PAGES = {key.removeprefix("nav."): path for path, key, _ in NAV}  # every page, as the menu lists them
SIZES = {"desktop": {"width": 1366, "height": 800}, "phone": {"width": 360, "height": 740}}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
CHART_DRAWN = (
    "() => { const c = document.querySelector('.nicegui-echart canvas'); return c && c.width > 100; }"
)
ADMIN = re.compile(r"^\s*admin\s+mot de passe / password: (\S+)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    """``chaufferie demo`` in its own process group; its output is echoed and searched."""

    def __init__(self, args: argparse.Namespace, data_dir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [
            *(sys.executable, "-m", "chaufferie.cli", "demo", "--host", "127.0.0.1"),
            *("--port", str(self.port), "--data-dir", str(data_dir)),
            *("--scenario", args.scenario, "--speed", str(args.speed)),
        ]
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, process_group=0
        )
        self.lines: list[str] = []
        threading.Thread(target=self._echo, daemon=True).start()

    def _echo(self) -> None:
        for line in self.proc.stdout or ():
            self.lines.append(line.rstrip("\n"))
            print(f"  demo | {line}", end="", flush=True)

    def admin_password(self, timeout_s: float = 120.0) -> str:
        """The administrator's password, printed once by the demo's first run."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in self.lines:
                found = ADMIN.match(line)
                if found:
                    return found.group(1)
            if self.proc.poll() is not None:
                raise RuntimeError(f"the demo exited with code {self.proc.returncode}")
            time.sleep(0.2)
        raise RuntimeError("the demo printed no administrator account")

    def wait_for_hmi(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/login", timeout=2):  # noqa: S310 - loopback
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the demo's HMI did not answer") from None
                time.sleep(0.5)

    def stop(self) -> None:
        """Ctrl-C, as a terminal sends it; killed if it is not gone within a minute."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def log_in(browser: Any, base: str, password: str, viewport: dict[str, int]) -> Any:
    """A page logged in as the demo's administrator, in a French browser in France."""
    context = browser.new_context(viewport=viewport, locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.goto(f"{base}/login?next=/")
    page.get_by_label("Identifiant").fill("admin")
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/")
    return page


def set_speed(page: Any, base: str, factor: float) -> None:
    """Set the simulator's speed from the HMI's commissioning page, as an engineer would."""
    page.goto(f"{base}/commissioning")
    wanted = f"×{factor:g}"
    for choice in ("×10", wanted) if wanted == "×1" else (wanted,):  # the list shows ×1 at first
        page.get_by_role("combobox", name="Accélération du temps").click()
        page.get_by_role("option", name=choice, exact=True).click()
        page.wait_for_timeout(1000)
    page.goto(f"{base}/")


def play(page: Any, base: str, args: argparse.Namespace) -> None:
    """Let the scenario reach its story, slowing the plant to real time once it starts."""
    minutes = args.wait_max_min * 60_000
    started = time.monotonic()
    if args.slow_at:
        print(f"waiting for « {args.slow_at} », then speed ×{args.then_speed:g}", flush=True)
        page.get_by_text(args.slow_at, exact=True).first.wait_for(timeout=minutes)
        set_speed(page, base, args.then_speed)
    print(f"waiting for « {args.wait_for} »", flush=True)
    page.get_by_text(args.wait_for).first.wait_for(timeout=minutes)
    print(f"seen after {time.monotonic() - started:.0f} s; {args.after_s:g} s more", flush=True)
    time.sleep(args.after_s)


def shoot(page: Any, base: str, out: Path, size: str) -> list[Path]:
    shots = []
    for name, route in PAGES.items():
        page.goto(f"{base}{route}")
        page.wait_for_load_state("networkidle")
        if name == "trends":
            page.wait_for_function(CHART_DRAWN, timeout=20_000)
        page.wait_for_timeout(1500)  # let the charts finish their entry animation
        path = out / f"hmi-{name}-{size}.png"
        page.screenshot(path=str(path), full_page=False)
        shots.append(path)
    return shots


def run(args: argparse.Namespace) -> int:
    from playwright.sync_api import sync_playwright

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chaufferie-screenshots-") as tmp:
        demo = Demo(args, Path(tmp) / "demo")
        try:
            password = demo.admin_password()
            demo.wait_for_hmi()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                play(log_in(browser, demo.base, password, SIZES["desktop"]), demo.base, args)
                shots = []
                for size, viewport in SIZES.items():
                    shots += shoot(log_in(browser, demo.base, password, viewport), demo.base, out, size)
                browser.close()
        finally:
            demo.stop()
    for path in shots:
        print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}  {path.stat().st_size:,} B")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenario", default="wood-fault", help="simulator scenario (default wood-fault)")
    parser.add_argument("--speed", type=float, default=10.0, help="simulator speed (model s per wall s)")
    parser.add_argument(
        "--slow-at", default="DÉFAUT", help="synoptic text after which to slow down ('' never)"
    )
    parser.add_argument("--then-speed", type=float, default=1.0, help="speed from then on (1, 10, 60, 600)")
    parser.add_argument("--wait-for", default="relève fioul", help="text the HMI must show before the shots")
    parser.add_argument("--wait-max-min", type=float, default=20.0, help="give up after this many minutes")
    parser.add_argument("--after-s", type=float, default=240.0, help="seconds to run on once it is shown")
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"), help="where the PNGs go")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
