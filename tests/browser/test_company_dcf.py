"""Company search and financials, "value this company", the DCF workbench against the API:
the per-share value shown equals /api/dcf/calculate's for the inputs in the form; Monte Carlo
histogram with p10/median/p90; the sensitivity heatmap with the base case outlined."""

from lib import API, Keys, PHONE, check, fmt2

READ_FORM = """
const out = {};
for (const el of document.querySelectorAll(arguments[0] + ' [name]')) {
  const v = el.value.trim();
  if (v === '') continue;
  const group = el.closest('.input-group');
  const unit = group ? group.querySelector('.unit').textContent : '';
  if (el.tagName === 'SELECT' || el.name === 'ticker' || el.name === 'seedStr') { out[el.name] = v; continue; }
  const n = Number(v.replace(/,/g, ''));
  out[el.name] = unit === '%' && arguments[1] ? n / 100 : n;
}
return out;"""


def dcf_inputs_of_form(b):
    v = b.js(READ_FORM, "#dcf-form", True)
    sens = b.js(READ_FORM, "#sens-card", True)
    v.update({k: sens[k] for k in ("waccMin", "waccMax", "tgMin", "tgMax") if k in sens})
    if v.get("tvMethod") != "multiple":
        v.pop("tvMultipleVal", None)
    v.pop("ticker", None)
    return v, int(sens.get("gridSize", 11))


def wait_calculated(b):
    b.wait_text("[data-kpi='per_share']", r"\d", "the value per share")
    b.el("#sens-heatmap canvas[data-rendered='true']", "the sensitivity heatmap")


def case_company_and_value_it(t):
    api = API.register("co")
    b = t.browser()
    b.sign_in(api.user["username"])
    b.el("#company-search", "the company search")
    b.fill("#company-search", "micro")
    b.click("#company-results a[data-ticker='MSFT']", "MSFT in the search results")
    b.wait_text("#company-name", "Microsoft")
    b.el("#price-chart[data-rendered='true']", "the price chart")
    b.wait_ink("#price-chart", 150, "the price line (Chart.js, the console's blue)", rgb=(47, 111, 219), min_alpha=200)
    rows = b.els("table.statement tbody tr")
    check(len(rows) >= 5, f"the income statement has its lines ({len(rows)})")
    fiscal = b.els("table.statement thead th.num")
    check(len(fiscal) >= 3, f"at least three fiscal years are shown ({len(fiscal)})")
    b.shot("company", full=True)

    b.click("#value-company")
    b.wait_text("#dcf-source", "MSFT", "the workbench to take MSFT's inputs")
    wait_calculated(b)
    inputs, _ = dcf_inputs_of_form(b)
    check(inputs["revenue"] > 1000, f"revenue is in millions ({inputs['revenue']})")
    check(0 < inputs["wacc"] < 0.3, f"WACC is shown as percent and sent as a fraction ({inputs['wacc']})")
    res = api.ok("POST", "/api/dcf/calculate", {"inputs": inputs})["data"]
    shown = b.text("[data-kpi='per_share']")
    check(shown == fmt2(res["totals"]["per_share"]),
          f"per share shown {shown} = /api/dcf/calculate's {res['totals']['per_share']:.4f}")
    ev = b.text("[data-kpi='ev']")
    dp = 0 if abs(res["totals"]["ev"]) >= 10000 else 1  # millions: no decimals above 10,000
    check(ev.replace(",", "").replace("\u2212", "-") == f"{res['totals']['ev']:.{dp}f}",
          f"EV shown {ev} = the API's {res['totals']['ev']:.{dp}f}")
    years = len(res["series"]["rev"]) - 1
    cols = b.els("#dcf-table thead th.num")
    check(len(cols) == years + 1, f"the yearly table has the base year and {years} years ({len(cols)})")
    b.el("#dcf-chart[data-rendered='true']", "the yearly chart")
    b.shot("dcf", full=True)
    b.size(PHONE)
    b.js("window.scrollTo(0, 0)")
    b.shot("dcf")
    check(b.no_horizontal_overflow(), "the workbench fits 390 px")
    b.go("#/company/AAPL")
    b.wait_text("#company-name", "Apple")
    b.el("#price-chart[data-rendered='true']")
    b.shot("company")
    check(b.no_horizontal_overflow(), "the company page fits 390 px")


def case_percent_inputs_are_fractions_and_errors_name_the_field(t):
    api = API.register("pf")
    b = t.browser(allow={400})
    b.sign_in(api.user["username"])
    b.go("#/dcf")
    b.click("#dcf-preset")
    b.click("#dcf-calculate")
    wait_calculated(b)
    check(b.text("[data-kpi='per_share']") == "10.64", "the preset values at 10.64 per share (engines.md §1)")
    check(b.field("wacc").get_attribute("value") == "9", "WACC 0.09 is shown as 9 (%)")
    b.set_field("wacc", "40")
    b.click("#dcf-calculate")
    err = b.wait_text(".field[data-field='wacc'] .field-error", "wacc")
    check("between 0.03 and 0.25" in err.text, f"the API's message names wacc: {err.text}")
    b.wait_text("#dcf-kpis ~ * .alert-error, .results .alert-error", "wacc", "the error above the results")
    b.set_field("wacc", "9")
    b.set_field("years", "7.5")
    b.click("#dcf-calculate")
    b.wait_text(".field[data-field='years'] .field-error", "whole number")


def case_monte_carlo_histogram(t):
    api = API.register("mc")
    b = t.browser()
    b.sign_in(api.user["username"])
    b.go("#/dcf")
    b.click("#dcf-preset")
    b.set_field("trials", "2000")
    b.set_field("seedStr", "browser-suite")
    b.click("#mc-run")
    b.el("#mc-histogram[data-rendered='true']", "the Monte Carlo histogram")
    b.wait_ink("#mc-histogram", 400, "the histogram's bars", rgb=(47, 111, 219))
    b.wait_ink("#mc-histogram", 20, "the P10 marker (red)", rgb=(194, 59, 50), min_alpha=200)
    b.wait_ink("#mc-histogram", 20, "the P90 marker (green)", rgb=(30, 138, 76), min_alpha=200)
    inputs, _ = dcf_inputs_of_form(b)
    mc = api.ok("POST", "/api/dcf/monte-carlo", {"inputs": inputs, "mc_settings": {
        "trials": 2000, "volPP": 2, "s2cVolPct": 5, "corrGM": 0.3, "seedStr": "browser-suite"}})["data"]
    st = mc["stats"]
    for key, name in (("mc_p10", "p10"), ("mc_median", "median"), ("mc_p90", "p90")):
        shown = b.text(f"[data-kpi='{key}']")
        check(shown == fmt2(st[name]), f"{name} shown {shown} = the API's {st[name]:.4f} (same seed)")
    b.js("document.getElementById('mc-card').scrollIntoView()")
    b.shot("dcf-monte-carlo")


def case_sensitivity_heatmap(t):
    api = API.register("hm")
    b = t.browser()
    b.sign_in(api.user["username"])
    b.go("#/dcf")
    b.click("#dcf-preset")
    b.click("#dcf-calculate")
    wait_calculated(b)
    hm = b.el("#sens-heatmap canvas")
    rows, cols = int(hm.get_attribute("data-rows")), int(hm.get_attribute("data-cols"))
    check(rows == 11 and cols == 11, f"an 11 × 11 grid ({rows} × {cols})")
    br, bc = int(hm.get_attribute("data-base-row")), int(hm.get_attribute("data-base-col"))
    check((br, bc) == (4, 6), f"the base case (WACC 9%, g 2.5%) is cell (4, 6), got ({br}, {bc})")
    b.wait_ink("#sens-heatmap canvas", 1500, "the heatmap's coloured cells")
    b.wait_ink("#sens-heatmap canvas", 10, "the base case's outline", rgb=(17, 24, 39), tol=5, min_alpha=250)
    inputs, size = dcf_inputs_of_form(b)
    grid = api.ok("POST", "/api/dcf/sensitivity", {"inputs": inputs, "grid": {"size": size}})["data"]
    # keyboard: focus the heatmap and read a cell
    hm.click()
    hm.send_keys(Keys.ARROW_LEFT)
    read = b.text(".heatmap-readout")
    expect = fmt2(grid["per_share"][4][5])
    check(expect in read, f"the keyboard readout shows the cell left of the base ({expect}): {read}")
    b.js("document.getElementById('sens-card').scrollIntoView()")
    b.shot("dcf-heatmap")
    b.click("#sens-table-toggle")
    base = b.el(".sens-table td.is-base")
    check(base.text == fmt2(grid["per_share"][4][6]), f"the table's base cell {base.text} = the API's")


CASES = [case_company_and_value_it, case_percent_inputs_are_fractions_and_errors_name_the_field,
         case_monte_carlo_histogram, case_sensitivity_heatmap]
