#!/usr/bin/python3
"""The console's browser suite: headless Chromium (Debian chromium + chromium-driver) driven by
Debian's python3-selenium, against a running console (CONSOLE_URL, its nginx in front of the
gateway).

    CONSOLE_URL=http://127.0.0.1:8000 /usr/bin/python3 tests/browser/run.py [NAME-PATTERN]

Run it with Debian's interpreter (/usr/bin/python3): the python3 on PATH may not see Debian's
python3-selenium. Each case opens its own browsers with fresh profiles and fails on any browser
console error or CSP violation as well as on its own checks. Screenshots go to BROWSER_SHOTS.
Prints "ok   - name" or "FAIL - name: why" per case, then "browser: N passed, N failed".
The cases register their own users, so the auth rate limit must allow that (scripts/test.sh
sets RATE_LIMIT_AUTH for its stack).
"""

import os
import sys
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib  # noqa: E402
import test_auth  # noqa: E402
import test_company_dcf  # noqa: E402
import test_runs  # noqa: E402
import test_deals  # noqa: E402
import test_notes  # noqa: E402
import test_admin  # noqa: E402
import test_feed  # noqa: E402
import test_errors  # noqa: E402

MODULES = [test_auth, test_company_dcf, test_runs, test_deals, test_notes, test_admin, test_feed, test_errors]


class Case:
    def __init__(self, name):
        self.name = name
        self.browsers = []

    def browser(self, label="main", size=lib.DESKTOP, allow=(), ws_failures=False):
        b = lib.Browser(f"{self.name}/{label}", size=size, allow=allow, ws_failures=ws_failures)
        self.browsers.append(b)
        return b

    def finish(self):
        problems = []
        for b in self.browsers:
            try:
                for p in b.problems():
                    problems.append(f"[{b.name}] {p}")
            finally:
                b.close()
        return problems


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else ""
    os.makedirs(lib.SHOTS, exist_ok=True)
    passed = failed = skipped = 0
    print(f"browser suite against {lib.CONSOLE_URL} (screenshots in {lib.SHOTS})", flush=True)
    for mod in MODULES:
        for fn in mod.CASES:
            name = fn.__name__.replace("case_", "")
            if pattern and pattern not in name:
                continue
            t = Case(name)
            start = time.monotonic()
            err = None
            try:
                fn(t)
            except lib.Skip as e:
                t.finish()
                skipped += 1
                print(f"skip - {name}: {e}", flush=True)
                continue
            except lib.Failure as e:
                err = str(e)
            except Exception as e:  # a crash of the case is a failure with its trace
                err = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=6)}"
            try:
                problems = t.finish()
            except Exception as e:
                problems = [f"closing the browser failed: {e}"]
            if err is None and problems:
                err = "browser console errors or CSP violations:\n    " + "\n    ".join(problems[:12])
            elif err and problems:
                err += "\n    and in the browser console:\n    " + "\n    ".join(problems[:8])
            took = time.monotonic() - start
            if err is None:
                passed += 1
                print(f"ok   - {name} ({took:.1f} s)", flush=True)
            else:
                failed += 1
                print(f"FAIL - {name}: {err}", flush=True)
    print(f"browser: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
