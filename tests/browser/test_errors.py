"""Errors where they happen: a 429 counts down its Retry-After; report buttons show the API's
answer in the row; the gateway being down shows a banner, not a blank page."""

import os
import re

from lib import API, Browser, check

import lib


def case_rate_limit_shows_retry_after_countdown(t):
    api = API.register("rl")
    b = t.browser(allow={429})
    b.sign_in(api.user["username"])
    b.go("#/dcf")
    b.click("#dcf-preset")
    # Use up the heavy bucket (Monte Carlo and sensitivity) of this user through the API, then
    # ask from the page. The bucket refills one request every 6 s, so on a slow machine the
    # page's request may get through: then use it up again and ask again.
    alert = None
    for _attempt in range(5):
        for _ in range(40):
            r = api.call("POST", "/api/dcf/sensitivity", {"inputs": {"use_defaults": True}, "grid": {"size": 2}})
            if r.status == 429:
                break
        check(r.status == 429, f"the heavy bucket is exhausted ({r.status})")
        btn = b.click("#mc-run")
        b.wait(lambda d: btn.get_attribute("aria-busy") is None, "the Monte Carlo answer")
        found = [e for e in b.els("#mc-card .alert") if "Rate limit exceeded" in e.text]
        if found:
            alert = found[0]
            break
    check(alert is not None, "the page's Monte Carlo request was refused with 429")
    b.wait_text("#mc-card .countdown", r"Try again in \d+ s", "the Retry-After countdown")
    first = int(re.search(r"(\d+) s", b.text("#mc-card .countdown")).group(1))
    check(first >= 1, "the countdown starts at the Retry-After seconds")
    # read atomically in the page: while the countdown runs, the refused button stays disabled
    text, disabled = b.js("return [document.querySelector('#mc-card .countdown').textContent,"
                          " document.getElementById('mc-run').disabled]")
    check(disabled or "try again now" in text, f"the button waits for the countdown ({text!r}, disabled={disabled})")
    b.wait(lambda d: int(re.search(r"(\d+) s", b.text("#mc-card .countdown")).group(1)) < first
           if re.search(r"(\d+) s", b.text("#mc-card .countdown")) else True, "the countdown to tick")
    check("Limit" in alert.text or "Too many requests" in alert.text, f"the API's message is shown: {alert.text}")
    b.js("document.getElementById('mc-card').scrollIntoView()")
    b.shot("rate-limited")


def case_report_buttons_answer_in_place(t):
    api = API.register("rep")
    run = api.ok("POST", "/api/runs", {"inputs": {"ticker": "RPT", "use_defaults": True}, "compute": True})
    b = t.browser(allow={404, 501, 503})
    b.sign_in(api.user["username"])
    b.go("#/runs/dcf")
    row = f"#runs-table tr[data-run-id='{run['run_id']}']"
    b.click(f"{row} button[data-report='pdf']")
    # Either the reports service answers (a download) or its error is shown in this row.
    msg = b.wait_text(f"{row} .row-slot .alert", r"report|Report", "the report's answer in the row")
    probe = api.call("GET", f"/api/reports/dcf?run_id={run['run_id']}&format=pdf")
    if probe.status == 200:
        check("downloaded" in msg.text, f"a download is confirmed: {msg.text}")
    else:
        check(str(probe.status) in msg.text, f"the API's status {probe.status} is named: {msg.text}")


def case_gateway_down_shows_a_banner(t):
    down = os.environ.get("CONSOLE_DOWN_URL")
    if not down:
        raise lib.Skip("CONSOLE_DOWN_URL (a console in front of a dead gateway) is not set")
    saved = lib.CONSOLE_URL
    lib.CONSOLE_URL = down.rstrip("/")
    try:
        b = t.browser(allow={503})
        b.open("#/login")
        b.fill("#login-form [name='username']", "someone")
        b.fill("#login-form [name='password']", "Whatever-it-is-1")
        b.click("#login-form button[type='submit']")
        banner = b.wait_text("#banner", "gateway is not answering", "the down banner")
        check(banner.is_displayed(), "the banner is visible")
        b.wait_text("#login-form .alert-error", "Service unavailable", "the error at the form as well")
        b.shot("gateway-down")
    finally:
        lib.CONSOLE_URL = saved


CASES = [case_rate_limit_shows_retry_after_countdown, case_report_buttons_answer_in_place,
         case_gateway_down_shows_a_banner]
_ = Browser
