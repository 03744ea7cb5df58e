"""Admin: an admin adds a viewer in the console; the viewer's console has no write controls
anywhere and no Admin page; an analyst sees no Admin either."""

from lib import API, PASSWORD, PHONE, check, unique

WRITE = "[data-write]"


def case_admin_creates_viewer_without_write_controls(t):
    admin = API.register("adm")
    admin.ok("POST", "/api/runs", {"inputs": {"ticker": "VIEW", "use_defaults": True}, "compute": True})
    admin.ok("POST", "/api/lbo/runs", {"inputs": {"companyName": "Viewer LBO"}, "compute": True})
    admin.ok("POST", "/api/notes/VIEW", {"content": "Read me."})
    a = t.browser("admin")
    a.sign_in(admin.user["username"])
    a.click("a[data-nav='admin']")
    a.el("#users-table", "the users table")
    a.el("#audit-table tbody tr", "the audit trail")
    name = unique("viewer")
    a.fill("#user-form [name='username']", name)
    a.fill("#user-form [name='email']", f"{name}@example.com")
    a.fill("#user-form [name='password']", PASSWORD)
    a.js("const s = document.querySelector(\"#user-form [name='role']\"); s.value = 'viewer';")
    a.click("#user-create")
    a.wait_text("#user-form .alert-ok", f"{name} was added as viewer")
    a.el(f"#users-table tr[data-user='{name}']", "the viewer in the users table")
    check(a.el(f"select[data-user-role='{name}']").get_attribute("value") == "viewer", "listed as a viewer")
    a.shot("admin", full=True)

    v = t.browser("viewer")
    v.sign_in(name)
    check(v.el("#topbar [data-role]").get_attribute("data-role") == "viewer", "the viewer is signed in as viewer")
    check(not v.els("a[data-nav='admin']"), "a viewer has no Admin in the navigation")
    pages = [("#/dcf", "#dcf-calculate"), ("#/lbo", "#lbo-calculate"), ("#/ma", "#ma-calculate"),
             ("#/runs/dcf", "#runs-table"), ("#/runs/lbo", "#runs-table"), ("#/notes/VIEW", "#note-content"),
             ("#/company/AAPL", "#company-name")]
    for hash_path, ready in pages:
        v.go(hash_path)
        v.el(ready, f"{hash_path} for the viewer")
        writes = [e.text for e in v.els(WRITE)]
        check(not writes, f"{hash_path}: no write controls for a viewer, found {writes}")
        for label in ("Save run", "Save scenario", "Delete", "Save note"):
            check(not [e for e in v.els("button") if e.text.strip() == label], f"{hash_path}: no “{label}” button")
        if ready == "#note-content":
            check(v.el(ready).get_attribute("readonly") is not None, "the note is read-only for a viewer")
    v.go("#/runs/dcf")
    v.el("#runs-table a[data-action='open']", "viewers still open runs")
    v.go("#/dcf")
    v.click("#dcf-preset")
    v.click("#dcf-calculate")
    v.wait_text("[data-kpi='per_share']", r"\d", "viewers may still calculate")
    v.shot("viewer-dcf")
    v.go("#/admin")
    v.wait_text("main h1", "Page not found", "the admin page is not served to a viewer")

    # the admin deactivates the viewer: the status follows
    a.click(f"button[data-user-toggle='{name}']")
    a.wait_text(f"#users-table tr[data-user='{name}']", "deactivated")
    a.size(PHONE)
    a.shot("admin")
    check(a.no_horizontal_overflow(), "the admin page fits 390 px")


def case_analyst_has_no_admin(t):
    admin = API.register("adm2")
    analyst = admin.add_user("analyst", "an")
    b = t.browser()
    b.sign_in(analyst)
    check(not b.els("a[data-nav='admin']"), "an analyst has no Admin in the navigation")
    b.go("#/dcf")
    b.el("#dcf-save", "an analyst has Save run")


CASES = [case_admin_creates_viewer_without_write_controls, case_analyst_has_no_admin]
