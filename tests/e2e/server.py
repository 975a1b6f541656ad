"""Start the app with ``streamlit run`` on a free port and drive it with Playwright in Debian's chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


NO_NETWORK = Path(__file__).resolve().parent / "no_network"


def no_network_env(log: Path) -> dict[str, str]:
    """Environment for a Python process (and its children) that may not reach another machine.

    Attempts are refused and listed in ``log`` (see ``no_network/sitecustomize.py``).
    """
    log.touch()
    path = os.pathsep.join(p for p in (str(NO_NETWORK), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "NO_NETWORK_LOG": str(log)}


@contextlib.contextmanager
def served_process(timeout: float = 90.0, env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen, str]]:
    """Run ``streamlit run app.py`` headless on 127.0.0.1; yield the process and its URL; stop it afterwards.

    The repository's .streamlit/config.toml applies (usage statistics off); ``env`` replaces the
    environment (e.g. :func:`no_network_env`). The server's output goes to a temporary file (a pipe
    nobody reads would block the server once full) and is quoted if it does not start.
    """
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**(env or os.environ), "PYTHONUNBUFFERED": "1"}
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"streamlit did not start on {url}:\n{log.read().decode(errors='replace')[-4000:]}")
                time.sleep(0.5)
            yield process, url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def served_app(timeout: float = 90.0, env: dict[str, str] | None = None) -> Iterator[str]:
    """:func:`served_process`, yielding only the URL."""
    with served_process(timeout, env) as (_, url):
        yield url


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 1000):
    """A Playwright page in headless Debian chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()
