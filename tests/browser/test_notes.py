"""Notes with If-Match: two browser sessions edit the same note; the second save meets a real
412, the conflict view shows both versions, and merging by hand keeps both texts."""

from lib import API, check


def editor_value(b):
    return b.field("note-content") if False else b.el("#note-content").get_attribute("value")


def type_into_editor(b, text):
    e = b.el("#note-content")
    e.click()
    b.js("const t = arguments[0]; t.setSelectionRange(t.value.length, t.value.length);", e)
    e.send_keys(text)


def case_notes_conflict_between_two_sessions(t):
    admin = API.register("nt")
    colleague = admin.add_user("analyst", "nb")
    ticker = "NOTE" + admin.tenant[-4:].upper().replace("-", "")
    ticker = "".join(c for c in ticker if c.isalnum())[:10]

    a = t.browser("alice", allow={412})
    b = t.browser("bob")
    a.sign_in(admin.user["username"])
    b.sign_in(colleague)

    # Alice writes the first version.
    a.go(f"#/notes/{ticker}")
    a.wait_text("#note-meta", "No note yet")
    type_into_editor(a, "Thesis: services margin expands.")
    a.click("#note-save")
    a.wait_text("#note-meta", "Version 1")

    # Both have version 1 open; both start editing.
    b.go(f"#/notes/{ticker}")
    b.wait_text("#note-meta", "Version 1")
    type_into_editor(a, "\nAlice: check the FX headwind.")
    a.el("#note-dirty", "Alice's unsaved-changes badge")
    type_into_editor(b, "\nBob: capex guidance raised.")
    b.click("#note-save")
    b.wait_text("#note-meta", "Version 2")

    # Alice saves second: If-Match with version 1's ETag → 412 → the conflict view.
    a.click("#note-save")
    a.el("#note-conflict .conflict", "the conflict view")
    mine = a.el("#conflict-mine").get_attribute("value")
    theirs = a.el("#conflict-theirs").get_attribute("value")
    check("Alice: check the FX headwind." in mine, f"the conflict view shows Alice's text: {mine!r}")
    check("Bob: capex guidance raised." in theirs, f"the conflict view shows Bob's saved text: {theirs!r}")
    server = admin.ok("GET", f"/api/notes/{ticker}")
    check(server["version"] == 2 and "Alice: check" not in server["content"],
          "nothing was overwritten by the refused save")
    a.shot("notes-conflict", full=True)

    # Merge by hand: both texts land in the editor; saving keeps both.
    a.click("#conflict-merge")
    a.gone("#note-conflict .conflict")
    merged = a.el("#note-content").get_attribute("value")
    check("Alice: check the FX headwind." in merged and "Bob: capex guidance raised." in merged,
          f"the editor holds both versions to merge: {merged!r}")
    a.click("#note-save")
    a.wait_text("#note-meta", "Version 3")
    final = admin.ok("GET", f"/api/notes/{ticker}")
    check(final["version"] == 3, f"the merge is version 3 ({final['version']})")
    for piece in ("Thesis: services margin expands.", "Alice: check the FX headwind.", "Bob: capex guidance raised."):
        check(piece in final["content"], f"nothing is lost: {piece!r} is in the saved note")

    # Bob, not editing, is brought up to date by the live feed.
    b.wait_text("#note-meta", "Version 3", "Bob's view to follow the new version")
    check("Alice: check the FX headwind." in b.el("#note-content").get_attribute("value"),
          "Bob's editor shows the merged note")


def case_notes_keep_mine_and_take_theirs(t):
    admin = API.register("nk")
    ticker = "KEEP"
    a = t.browser("a", allow={412})
    a.sign_in(admin.user["username"])
    a.go(f"#/notes/{ticker}")
    a.wait_text("#note-meta", "No note yet")
    type_into_editor(a, "v1 text")
    a.click("#note-save")
    a.wait_text("#note-meta", "Version 1")
    etag = admin.call("GET", f"/api/notes/{ticker}").headers.get("ETag")
    # Someone else saves behind the console's back (the API, with If-Match).
    admin.ok("POST", f"/api/notes/{ticker}", {"content": "their v2"}, headers={"If-Match": etag})
    type_into_editor(a, " + mine")
    a.click("#note-save")
    a.el("#note-conflict .conflict")
    a.click("#conflict-keep-mine")
    a.wait_text("#note-meta", "Version 3")
    check(admin.ok("GET", f"/api/notes/{ticker}")["content"] == "v1 text + mine", "keep mine saved mine")

    etag = admin.call("GET", f"/api/notes/{ticker}").headers.get("ETag")
    admin.ok("POST", f"/api/notes/{ticker}", {"content": "their v4"}, headers={"If-Match": etag})
    type_into_editor(a, " again")
    a.click("#note-save")
    a.el("#note-conflict .conflict")
    a.click("#conflict-take-theirs")
    a.gone("#note-conflict .conflict")
    check(a.el("#note-content").get_attribute("value") == "their v4", "take theirs puts their text in the editor")
    check(admin.ok("GET", f"/api/notes/{ticker}")["version"] == 4, "taking theirs saves nothing")


CASES = [case_notes_conflict_between_two_sessions, case_notes_keep_mine_and_take_theirs]
