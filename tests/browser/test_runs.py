"""Save a DCF run, find it in Runs (filter, sort, pages), reopen it with its inputs and results,
delete it."""

from lib import API, PHONE, check, fmt2


def save_preset_run(b, ticker, wacc=None):
    b.go("#/dcf")
    b.click("#dcf-preset")
    b.set_field("ticker", ticker)
    if wacc is not None:
        b.set_field("wacc", wacc)
    b.click("#dcf-calculate")
    b.wait_text("[data-kpi='per_share']", r"\d")
    b.click("#dcf-save")
    slot = b.wait_text(".results .alert-ok", "Run saved", "the saved confirmation")
    run_id = b.js("return document.querySelector('[data-run-id]').dataset.runId")
    check(run_id and len(run_id) == 36, f"the run id is known ({run_id})")
    return run_id, b.text("[data-kpi='per_share']"), slot


def case_save_list_reopen_delete_run(t):
    api = API.register("runs")
    b = t.browser()
    b.sign_in(api.user["username"])
    run_id, per_share, _ = save_preset_run(b, "ZZRUN", wacc="10")
    stored = api.ok("GET", f"/api/runs/{run_id}")["data"]
    check(stored["ticker"] == "ZZRUN", "the run is stored with its ticker")
    check(abs(stored["inputs"]["wacc"] - 0.10) < 1e-12, f"WACC 10 (%) was stored as 0.10 ({stored['inputs']['wacc']})")
    check(fmt2(stored["results"]["dcf"]["totals"]["per_share"]) == per_share, "the stored result is the one shown")
    # two more runs through the API, to have something to sort and filter
    for tk in ("AAA", "MMM"):
        api.ok("POST", "/api/runs", {"inputs": {"ticker": tk, "use_defaults": True}, "compute": True})

    b.go("#/runs/dcf")
    b.el(f"#runs-table tr[data-run-id='{run_id}']", "the saved run in the list")
    check("3 runs" in b.text("#page-info"), f"the pager counts 3 runs: {b.text('#page-info')}")
    b.click("#runs-table button[data-sort='ticker']")
    b.wait(lambda d: "sort_by=ticker" in d.current_url, "sorting by ticker")
    b.wait(lambda d: [e.text for e in b.els("#runs-table tbody th .ticker")] == ["ZZRUN", "MMM", "AAA"],
           "tickers in descending order")
    b.click("#runs-table button[data-sort='ticker']")
    b.wait(lambda d: [e.text for e in b.els("#runs-table tbody th .ticker")] == ["AAA", "MMM", "ZZRUN"],
           "tickers in ascending order")
    b.shot("runs")
    b.fill("#runs-filter", "zzr")
    b.wait(lambda d: [e.text for e in b.els("#runs-table tbody th .ticker")] == ["ZZRUN"], "the ticker filter")
    # pages of one
    b.fill("#runs-filter", "")
    b.wait(lambda d: len(b.els("#runs-table tbody tr")) == 3, "all three runs again")
    b.js("const s = document.getElementById('per-page'); s.value = '10'; s.dispatchEvent(new Event('change'));")
    b.wait(lambda d: "per_page=10" in d.current_url, "10 per page")

    # open it: inputs back in the form, result shown
    b.click(f"#runs-table tr[data-run-id='{run_id}'] a[data-action='open']")
    b.wait_text("#dcf-source", run_id[:8], "the workbench to show the run")
    b.wait_text("[data-kpi='per_share']", r"\d")
    check(b.field("wacc").get_attribute("value") == "10", "WACC is back in the form as 10 (%)")
    check(b.field("ticker").get_attribute("value") == "ZZRUN", "the ticker is back in the form")
    check(b.text("[data-kpi='per_share']") == per_share, "the saved per-share value is shown")

    # delete it (a second click confirms)
    b.go("#/runs/dcf")
    b.click(f"#runs-table tr[data-run-id='{run_id}'] button[data-action='delete']")
    b.wait_text(f"#runs-table tr[data-run-id='{run_id}'] button[data-action='delete']", "Confirm")
    b.click(f"#runs-table tr[data-run-id='{run_id}'] button[data-action='delete']")
    b.gone(f"#runs-table tr[data-run-id='{run_id}']", "the deleted run to leave the list")
    check(api.call("GET", f"/api/runs/{run_id}").status == 404, "the run is gone on the server")
    b.size(PHONE)
    b.shot("runs")
    check(b.no_horizontal_overflow(), "the runs page fits 390 px (the table scrolls inside its box)")


def case_run_of_another_analyst_cannot_be_deleted(t):
    admin = API.register("own")
    other = admin.add_user("analyst", "ana")
    admin.ok("POST", "/api/runs", {"inputs": {"ticker": "ADMN", "use_defaults": True}, "compute": True})
    b = t.browser()
    b.sign_in(other)
    b.go("#/runs/dcf")
    b.el("#runs-table tbody tr", "the admin's run in the analyst's list")
    check(len(b.els("#runs-table button[data-action='delete']")) == 0,
          "an analyst sees no delete button on someone else's run")
    check(len(b.els("#runs-table a[data-action='open']")) == 1, "but can open it")


CASES = [case_save_list_reopen_delete_run, case_run_of_another_analyst_cannot_be_deleted]
