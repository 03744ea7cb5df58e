"""The live feed: events caused by another session appear in the panel as they happen."""

from lib import API, PHONE, check


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


CASES = [case_live_feed_shows_another_sessions_event]
