"""Load: N concurrent browser sessions against one server on loopback, each loading the sample and computing biotypes.

    python bench/load_sessions.py [--sessions 10] [--warm]

Starts ``streamlit run app.py`` on 127.0.0.1 (the repository's .streamlit/config.toml applies),
then opens N pages of Debian's chromium at once (Playwright, one browser, one context per session,
so no cookies or state are shared). Each session clicks **Load sample cohort**, waits for the
report, opens **Biotypes**, clicks **Compute biotypes** and waits for the result. With ``--warm``
the sessions start only after the server's background numba compilation has had 90 s to finish.
Prints per-step latency percentiles over the sessions, the sessions that failed (a timeout or an
exception shown in the page) and the peak resident memory of the server and its worker processes.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(ROOT))
from process_memory import TreeMemory  # noqa: E402

from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

TIMEOUT_MS = 900_000


def start_server() -> tuple[subprocess.Popen, str]:
    """A headless server on a free loopback port, once its health check answers."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server did not start")


async def one_session(browser, url: str, k: int) -> dict:
    """Load the sample and compute biotypes in a fresh browser context; step → seconds, or an error."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    out: dict = {"session": k}
    try:
        started = time.perf_counter()
        await page.goto(url)
        await page.get_by_role("button", name="Load sample cohort").click(timeout=TIMEOUT_MS)
        await page.get_by_text("Problems found", exact=True).wait_for(timeout=TIMEOUT_MS)
        out["load sample"] = time.perf_counter() - started
        await page.get_by_role("link", name="Biotypes", exact=True).click()
        clicked = time.perf_counter()
        await page.get_by_role("button", name="Compute biotypes").click(timeout=TIMEOUT_MS)
        await page.get_by_text("min_cluster_size candidates").wait_for(timeout=TIMEOUT_MS)
        out["compute biotypes"] = time.perf_counter() - clicked
        if await page.locator('[data-testid="stException"]').count():
            out["error"] = "an exception was shown"
    except Exception as error:  # a timeout or a browser failure is this session's error, not the bench's
        out["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
    finally:
        await context.close()
    return out


async def drive(url: str, sessions: int) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            return await asyncio.gather(*(one_session(browser, url, k) for k in range(sessions)))
        finally:
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--warm", action="store_true", help="let the background compilation finish first (90 s)")
    args = parser.parse_args()
    process, url = start_server()
    try:
        with TreeMemory(process.pid, interval=0.5) as memory:
            if args.warm:
                time.sleep(90)
            started = time.perf_counter()
            results = asyncio.run(drive(url, args.sessions))
            wall = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=20)
    failed = [r for r in results if "error" in r]
    print(f"{args.sessions} concurrent sessions ({'warm' if args.warm else 'cold'} server), {wall:.0f} s in all")
    for step in ("load sample", "compute biotypes"):
        values = np.array([r[step] for r in results if step in r])
        if len(values):
            p50, p90 = np.percentile(values, [50, 90])
            print(f"{step:<18} n={len(values):>3}  median {p50:6.1f} s  p90 {p90:6.1f} s  max {values.max():6.1f} s")
    print(f"sessions with an error: {len(failed)}")
    for r in failed:
        print(f"  session {r['session']}: {r['error']}")
    print(f"peak memory of the server and its workers: {memory.peak_gb:.2f} GB")


if __name__ == "__main__":
    main()
