"""Helpers of the browser suite: a headless Chromium per session (Debian's chromium and
chromium-driver, driven by Debian's python3-selenium), the platform's API over plain HTTP for
setting things up and checking what the console shows, explicit waits, screenshots, and the
check that fails a case on any browser console error or CSP violation.

Nothing here waits a fixed time: every wait is WebDriverWait on a condition, with a generous
timeout (BROWSER_TIMEOUT, default 45 s), so a slow machine only makes the suite slower.
"""

import json
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import (
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

CONSOLE_URL = os.environ.get("CONSOLE_URL", "http://127.0.0.1:8000").rstrip("/")
SHOTS = os.environ.get("BROWSER_SHOTS", os.path.join(tempfile.gettempdir(), "valor-browser-shots"))
TIMEOUT = float(os.environ.get("BROWSER_TIMEOUT", "45"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# Against a TLS edge with its own (self-signed) certificate: the CA file the API client trusts;
# Chromium then accepts the edge's certificate too.
BROWSER_CA = os.environ.get("BROWSER_CA", "")
PASSWORD = "Correct-Horse-9-battery"

DESKTOP = (1280, 800)
PHONE = (390, 844)

__all__ = [
    "API", "Browser", "By", "Keys", "CONSOLE_URL", "DESKTOP", "PHONE", "PASSWORD", "Failure", "Skip",
    "unique", "check", "fmt2", "fmt1", "pct1",
]


class Failure(AssertionError):
    pass


class Skip(Exception):
    """A case that cannot run here (and says why); counted neither passed nor failed."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def fmt2(v):
    """The console's number format with 2 decimals (1,234.56; minus as U+2212)."""
    s = f"{abs(v):,.2f}"
    return ("\u2212" + s) if v < 0 and s.strip("0.,") else s


def fmt1(v):
    s = f"{abs(v):,.1f}"
    return ("\u2212" + s) if v < 0 and s.strip("0.,") else s


def pct1(v):
    return fmt1(v * 100) + "%"


# ---- the API -------------------------------------------------------------------------------


class ApiAnswer:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers


class API:
    """The platform's API through the console's nginx (same origin as the browser)."""

    def __init__(self, token=None, tenant=None):
        self.token = token
        self.tenant = tenant
        self.user = None
        self.refresh_token = None

    def call(self, method, path, body=None, headers=None, token=None, tenant=None):
        h = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        tok = token if token is not None else self.token
        ten = tenant if tenant is not None else self.tenant
        if tok:
            h["Authorization"] = f"Bearer {tok}"
        if ten:
            h["X-Tenant-ID"] = ten
        h.update(headers or {})
        req = urllib.request.Request(CONSOLE_URL + path, data=data, method=method, headers=h)
        ctx = None
        if BROWSER_CA:
            import ssl
            ctx = ssl.create_default_context(cafile=BROWSER_CA)
            ctx.check_hostname = False
        try:
            with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
                raw = r.read()
                return ApiAnswer(r.status, _json(raw), dict(r.headers))
        except urllib.error.HTTPError as e:
            raw = e.read()
            return ApiAnswer(e.code, _json(raw), dict(e.headers))

    def ok(self, method, path, body=None, **kw):
        a = self.call(method, path, body, **kw)
        check(200 <= a.status < 300, f"{method} {path} answered {a.status}: {a.body}")
        return a.body

    @classmethod
    def register(cls, prefix="u"):
        name = unique(prefix)
        api = cls()
        b = api.ok("POST", "/api/auth/register",
                   {"username": name, "email": f"{name}@example.com", "password": PASSWORD})
        api.token = b["access_token"]
        api.refresh_token = b["refresh_token"]
        api.user = b["user"]
        api.tenant = b["user"]["tenant"]
        return api

    @classmethod
    def login(cls, username, password=PASSWORD):
        api = cls()
        b = api.ok("POST", "/api/auth/login", {"username": username, "password": password})
        api.token = b["access_token"]
        api.refresh_token = b["refresh_token"]
        api.user = b["user"]
        api.tenant = b["user"]["tenant"]
        return api

    def add_user(self, role, prefix="m"):
        name = unique(prefix)
        self.ok("POST", "/api/auth/users", {"username": name, "email": f"{name}@example.com",
                                           "password": PASSWORD, "role": role})
        return name


def _json(raw):
    try:
        return json.loads(raw.decode() or "null")
    except ValueError:
        return raw.decode(errors="replace")


# ---- the browser ----------------------------------------------------------------------------

_NETWORK_STATUS = re.compile(r"^(\S+) - Failed to load resource: the server responded with a status of (\d+)")


class Browser:
    """One headless Chromium with a fresh profile. allow: API statuses this case expects to
    see failing in the network log (a 412 of a notes conflict, a 401 of a wrong password; a
    401 also covers the live feed's upgrade refused for a revoked session)."""

    def __init__(self, name, size=DESKTOP, allow=(), ws_failures=False):
        self.name = name
        self.allow = set(allow)
        self.ws_failures = ws_failures
        self.profile = tempfile.mkdtemp(prefix="valor-chromium-")
        self.downloads = tempfile.mkdtemp(prefix="valor-downloads-")
        self.logs = []
        o = webdriver.ChromeOptions()
        o.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars",
                  f"--user-data-dir={self.profile}", f"--window-size={size[0]},{size[1]}"):
            o.add_argument(a)
        if BROWSER_CA:
            o.add_argument("--ignore-certificate-errors")
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
        self.d.set_page_load_timeout(TIMEOUT)
        self.d.set_script_timeout(TIMEOUT)
        self.size(size)
        try:
            self.d.execute_cdp_cmd("Browser.setDownloadBehavior",
                                   {"behavior": "allow", "downloadPath": self.downloads})
        except WebDriverException:
            pass

    # -- life cycle ---------------------------------------------------------------------------

    def size(self, size):
        w, h = size
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600})
        self.viewport = size

    def close(self):
        try:
            self.collect()
        finally:
            try:
                self.d.quit()
            finally:
                shutil.rmtree(self.profile, ignore_errors=True)
                shutil.rmtree(self.downloads, ignore_errors=True)

    def collect(self):
        try:
            self.logs.extend(self.d.get_log("browser"))
        except WebDriverException:
            pass

    def problems(self):
        """Console errors, warnings of the page's own code and CSP violations."""
        self.collect()
        bad = []
        for e in self.logs:
            msg = e.get("message", "")
            level = e.get("level", "")
            source = e.get("source", "")
            if "Content Security Policy" in msg or "Content-Security-Policy" in msg:
                bad.append(f"CSP: {msg}")
                continue
            if source == "network":
                if self.ws_failures and "WebSocket connection to" in msg:
                    continue
                # the feed's upgrade refused with 401 (a revoked session): the same
                # expected status as a 401 of the API, when the case expects one
                if (401 in self.allow and "WebSocket connection to" in msg and "/api/ws" in msg
                        and "HTTP Authentication failed" in msg):
                    continue
                m = _NETWORK_STATUS.match(msg)
                if m and "/api/" in m.group(1) and int(m.group(2)) in self.allow:
                    continue
                bad.append(f"network: {msg}")
                continue
            if level == "SEVERE" or (level == "WARNING" and source in ("console-api", "javascript", "security")):
                bad.append(f"{source or level}: {msg}")
        return bad

    # -- navigation and waits ------------------------------------------------------------------

    def open(self, hash_path=""):
        self.d.get(f"{CONSOLE_URL}/{hash_path}")
        try:
            self.wait(lambda d: d.execute_script("return document.documentElement.dataset.ready") == "true",
                      "the console to start", timeout=TIMEOUT / 3)
        except Failure:
            # Chromium sometimes aborts the first loads of a fresh profile with
            # net::ERR_NETWORK_CHANGED (a network interface appeared on the machine): that is the
            # browser's environment, not the console, so it is retried once and not counted.
            self.collect()
            changed = [e for e in self.logs if "ERR_NETWORK_CHANGED" in e.get("message", "")]
            if not changed:
                raise
            self.logs = [e for e in self.logs if e not in changed]
            self.d.get(f"{CONSOLE_URL}/{hash_path}")
            self.wait(lambda d: d.execute_script("return document.documentElement.dataset.ready") == "true",
                      "the console to start (after a retry)")

    def go(self, hash_path):
        self.d.execute_script("window.location.hash = arguments[0]", hash_path)

    def wait(self, cond, what, timeout=None):
        def safe(d):
            try:
                return cond(d)
            except (StaleElementReferenceException, WebDriverException) as e:
                if "no such window" in str(e):
                    raise
                return False
        try:
            return WebDriverWait(self.d, timeout or TIMEOUT, poll_frequency=0.1).until(safe)
        except TimeoutException:
            raise Failure(f"[{self.name}] timed out waiting for {what} (url {self.d.current_url})") from None

    def el(self, css, what=None, visible=True):
        def find(d):
            for e in d.find_elements(By.CSS_SELECTOR, css):
                if not visible or e.is_displayed():
                    return e
            return False
        return self.wait(find, what or css)

    def els(self, css):
        return [e for e in self.d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]

    def gone(self, css, what=None):
        self.wait(lambda d: not any(e.is_displayed() for e in d.find_elements(By.CSS_SELECTOR, css)),
                  what or f"{css} to disappear")

    def text(self, css, what=None):
        return self.el(css, what).text

    def wait_text(self, css, pattern, what=None):
        rx = re.compile(pattern)

        def cond(d):
            for e in d.find_elements(By.CSS_SELECTOR, css):
                if e.is_displayed() and rx.search(e.text):
                    return e
            return False
        return self.wait(cond, what or f"{css} to show /{pattern}/")

    def click(self, css, what=None):
        e = self.wait(lambda d: next((x for x in d.find_elements(By.CSS_SELECTOR, css)
                                      if x.is_displayed() and x.is_enabled()), False),
                      what or f"{css} to be clickable")
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", e)
        e.click()
        return e

    def button(self, label, scope="body"):
        """A visible, enabled button or link with exactly this text."""
        def find(d):
            for e in d.find_elements(By.CSS_SELECTOR, f"{scope} button, {scope} a.btn"):
                if e.is_displayed() and e.is_enabled() and e.text.strip() == label:
                    return e
            return False
        e = self.wait(find, f"button “{label}”")
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", e)
        return e

    def fill(self, css, value):
        e = self.el(css)
        e.send_keys(Keys.CONTROL, "a")
        e.send_keys(Keys.DELETE)
        e.send_keys(value)
        return e

    def field(self, name, scope="body"):
        return self.el(f"{scope} [name='{name}']")

    def set_field(self, name, value, scope="body"):
        e = self.field(name, scope)
        e.send_keys(Keys.CONTROL, "a")
        e.send_keys(Keys.DELETE)
        e.send_keys(str(value))
        return e

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def session(self):
        raw = self.js("return sessionStorage.getItem('valor.session')")
        return json.loads(raw) if raw else None

    def canvas_ink(self, css, rgb=None, tol=40, min_alpha=60):
        """Pixels of a canvas drawn in a colour: near `rgb` when given, else any saturated
        colour (so grid lines and grey labels do not count). A sample of every 4th pixel."""
        return self.js("""
            const [sel, rgb, tol, minA] = arguments;
            const c = document.querySelector(sel);
            if (!c || !c.width || !c.height) return 0;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 16) {
              const r = d[i], g = d[i + 1], b = d[i + 2], a = d[i + 3];
              if (a < minA) continue;
              if (rgb) {
                if (Math.abs(r - rgb[0]) <= tol && Math.abs(g - rgb[1]) <= tol && Math.abs(b - rgb[2]) <= tol) n++;
              } else if (Math.max(r, g, b) - Math.min(r, g, b) > 40) {
                n++;
              }
            }
            return n;""", css, rgb, tol, min_alpha)

    def wait_ink(self, css, at_least, what, **kw):
        """Waits until a canvas has at least `at_least` pixels of ink (charts animate in)."""
        return self.wait(lambda d: self.canvas_ink(css, **kw) >= at_least, what)

    def no_horizontal_overflow(self):
        return self.js("return document.documentElement.scrollWidth <= window.innerWidth + 1")

    # -- screenshots -----------------------------------------------------------------------------

    def shot(self, name, full=False):
        os.makedirs(SHOTS, exist_ok=True)
        w, h = self.viewport
        suffix = "" if w >= 600 else "-390"
        path = os.path.join(SHOTS, f"{name}{suffix}.png")
        # Let fonts and the last animation frame settle: wait for a double rAF, not a timer.
        self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "document.fonts.ready.then(() => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));")
        if full:
            import base64
            self.js("window.scrollTo(0, 0); document.querySelectorAll('.inputs-card').forEach((c) => { c.scrollTop = 0; });")
            m = self.d.execute_cdp_cmd("Page.getLayoutMetrics", {})
            hgt = int(m["cssContentSize"]["height"])
            data = self.d.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": w, "height": max(h, hgt), "scale": 1}})
            with open(path.replace(".png", "-full.png"), "wb") as f:
                f.write(base64.b64decode(data["data"]))
        self.d.save_screenshot(path)
        return path

    # -- the console's flows ------------------------------------------------------------------------

    def sign_in(self, username, password=PASSWORD):
        self.open("#/login")
        self.fill("#login-form [name='username']", username)
        self.fill("#login-form [name='password']", password)
        self.click("#login-form button[type='submit']")
        self.signed_in()

    def signed_in(self):
        self.el("#topbar .user-name", "the signed-in top bar", visible=False)
        self.wait(lambda d: d.find_element(By.ID, "topbar").is_displayed(), "the top bar")

    def live(self):
        self.wait(lambda d: d.find_element(By.ID, "live-dot").get_attribute("data-status") == "live",
                  "the live feed to connect")


def now():
    return time.monotonic()
