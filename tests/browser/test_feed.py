"""The live feed: events caused by another session appear in the panel as they happen; the
feed reconnects by itself when its connection drops."""

import os
import shlex
import subprocess

from lib import API, PHONE, Skip, check


def case_live_feed_shows_another_sessions_event(t):
    admin = API.register("feed")
    colleague = API.login(admin.add_user("analyst", "fc"))
    b = t.browser()
    b.sign_in(admin.user["username"])
    b.live()
    b.click("#live-toggle")
    b.el("#feed-panel .feed-list", "the live feed panel")
    # another session (the colleague, through the API) saves a run and a note
    colleague.ok("POST", "/api/runs", {"inputs": {"ticker": "LIVE", "use_defaults": True}, "compute": True})
    item = b.wait_text("#feed-panel .feed-item[data-type='run.created']", "LIVE", "the run.created event")
    check("DCF run saved" in item.text, f"the event is named for people: {item.text}")
    colleague.ok("POST", "/api/notes/LIVE", {"content": "from the API"})
    b.wait_text("#feed-panel .feed-item[data-type='note.updated']", "LIVE", "the note.updated event")
    b.shot("feed")
    b.click("#feed-panel .feed-head button")
    b.gone("#feed-panel .feed-list")
    # closed, new events count up on the toggle
    colleague.ok("POST", "/api/lbo/runs", {"inputs": {"companyName": "Feed LBO"}, "compute": True})
    b.wait_text("#live-count", r"^[1-9]", "the unread counter")
    b.size(PHONE)
    b.click("#live-toggle")
    b.wait_text("#feed-panel .feed-item[data-type='lbo_run.created']", "Feed LBO")
    b.shot("feed")



def case_live_feed_reconnects_by_itself(t):
    restart = os.environ.get("CONSOLE_RESTART")
    if not restart:
        raise Skip("CONSOLE_RESTART (a command that restarts the console's nginx) is not set")
    admin = API.register("recon")
    # the connection attempts made while nginx is down fail in the browser's log: expected here
    b = t.browser(allow={502, 503}, ws_failures=True)
    b.sign_in(admin.user["username"])
    b.live()
    dot = b.el("#live-dot", visible=False)
    before = int(dot.get_attribute("data-connects"))
    # stop + start on the same port: the open websocket is cut, the console must open a new one
    r = subprocess.run(shlex.split(restart), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    check(r.returncode == 0, f"restarting the console's nginx failed: {r.stdout[-500:]}")
    b.wait(lambda d: int(dot.get_attribute("data-connects")) > before
           and dot.get_attribute("data-status") == "live", "the feed to connect again by itself")
    admin.ok("POST", "/api/runs", {"inputs": {"ticker": "RECO", "use_defaults": True}, "compute": True})
    b.click("#live-toggle")
    b.wait_text("#feed-panel .feed-item", "RECO", "an event on the new connection")


CASES = [case_live_feed_shows_another_sessions_event, case_live_feed_reconnects_by_itself]
