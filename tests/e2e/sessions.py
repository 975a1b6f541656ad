"""Concurrent browser sessions against one served app: each loads the sample cohort and computes biotypes.

Used by tests/e2e/test_concurrent_sessions.py and bench/load_sessions.py.
"""

from __future__ import annotations

import asyncio
import time

from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS

#: How long one step of a session may take (ms); many sessions on two cores queue for the CPU.
STEP_TIMEOUT_MS = 900_000
#: The steps a session times, in order.
STEPS = ("load sample", "compute biotypes")


async def without_validity_checks(page) -> None:
    """Set the run form's null cohorts and split halves to 0 and leave-one-site-out off (the checks have their own tests)."""
    for label in ("Null cohorts of the structure test (0 = not tested)", "Split-half replications (0 = off)"):
        await page.get_by_role("spinbutton", name=label).fill("0")
    sites = page.get_by_role("checkbox", name="Leave each site out in turn")
    await page.get_by_text("Leave each site out in turn").click()
    if await sites.is_checked():
        raise AssertionError("the leave-one-site-out box is still ticked")


async def one_session(browser, url: str, k: int, checks: bool = True) -> dict:
    """Load the sample and compute biotypes in a fresh browser context (no shared cookies or state).

    With ``checks`` False the run form's validity checks are turned off first (:func:`without_validity_checks`).

    Returns
    -------
    dict
        ``session`` (k), seconds per step of :data:`STEPS` reached, and ``error`` (a timeout, a
        browser failure or an exception shown in the page) when the session did not finish cleanly.
    """
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    out: dict = {"session": k}
    try:
        started = time.perf_counter()
        await page.goto(url)
        await page.get_by_role("button", name="Load sample cohort").click(timeout=STEP_TIMEOUT_MS)
        await page.get_by_text("Problems found", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
        out[STEPS[0]] = time.perf_counter() - started
        await page.get_by_role("link", name="Biotypes", exact=True).click()
        if not checks:
            await page.get_by_role("button", name="Compute biotypes").wait_for(timeout=STEP_TIMEOUT_MS)
            await without_validity_checks(page)
        clicked = time.perf_counter()
        await page.get_by_role("button", name="Compute biotypes").click(timeout=STEP_TIMEOUT_MS)
        await page.get_by_text("min_cluster_size candidates").wait_for(timeout=STEP_TIMEOUT_MS)
        if not checks:  # the form's values reached the run
            await page.get_by_text("Not tested (null_cohorts = 0)").first.wait_for(timeout=STEP_TIMEOUT_MS)
        out[STEPS[1]] = time.perf_counter() - clicked
        if await page.locator('[data-testid="stException"]').count():
            out["error"] = "an exception was shown"
    except Exception as error:  # a timeout or a browser failure is this session's error, not the caller's
        out["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
    finally:
        await context.close()
    return out


async def _open_once(browser, url: str) -> None:
    """View the app's first page once, which starts the server's background compilation."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_role("button", name="Load sample cohort").wait_for(timeout=STEP_TIMEOUT_MS)
    await context.close()


async def _drive(url: str, sessions: int, warm_for: float, checks: bool) -> tuple[list[dict], float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            if warm_for:
                await _open_once(browser, url)
                await asyncio.sleep(warm_for)
            started = time.perf_counter()
            results = await asyncio.gather(*(one_session(browser, url, k, checks) for k in range(sessions)))
            return list(results), time.perf_counter() - started
        finally:
            await browser.close()


def concurrent_sessions(url: str, sessions: int, warm_for: float = 0.0, checks: bool = True) -> tuple[list[dict], float]:
    """Run ``sessions`` sessions at once (one chromium, one context each) against the app at ``url``.

    Parameters
    ----------
    url : str
    sessions : int
    warm_for : float
        When > 0, the app is opened once first (starting the server's background numba compilation)
        and the sessions start this many seconds later.
    checks : bool
        Run with the form's default validity checks (structure test, split halves, left-out sites);
        False turns them off in each session before computing.

    Returns
    -------
    results : list of dict
        One per session, from :func:`one_session`.
    seconds : float
        From the sessions' start to the last one's end.
    """
    return asyncio.run(_drive(url, sessions, warm_for, checks))
