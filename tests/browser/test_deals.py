"""LBO and M&A: calculate on the server, results shown as the API computes them, save a run,
find and reopen it in Runs, save and load a scenario."""

from lib import API, PHONE, check, fmt1, pct1

READ = """
const out = {};
for (const el of document.querySelectorAll(arguments[0] + ' [name]')) {
  const v = el.value.trim();
  if (v === '') continue;
  const unit = el.closest('.input-group') ? el.closest('.input-group').querySelector('.unit').textContent : '';
  out[el.name] = {v, unit};
}
return out;"""


def lbo_inputs(b):
    out = {}
    for k, f in b.js(READ, "#lbo-form").items():
        v, unit = f["v"], f["unit"]
        if k == "companyName":
            out[k] = v
        elif k == "exitMultiples":
            out[k] = [float(x) for x in v.split(",")]
        elif k == "targetIrrs":
            out[k] = [float(x) / 100 for x in v.split(",")]
        else:
            n = float(v.replace(",", ""))
            out[k] = n / 100 if unit == "%" else n
    return out


def case_lbo_calculate_and_save(t):
    api = API.register("lbo")
    b = t.browser()
    b.sign_in(api.user["username"])
    b.go("#/lbo")
    name = "Browser Buyout Co"
    b.set_field("companyName", name)
    b.set_field("purchasePrice", "1200")
    b.click("#lbo-calculate")
    b.wait_text("[data-kpi='avg_irr']", r"\d")
    res = api.ok("POST", "/api/lbo/calculate", {"inputs": lbo_inputs(b)})["data"]
    check(b.text("[data-kpi='avg_irr']") == pct1(res["metrics"]["avg_irr"]),
          f"average IRR shown {b.text('[data-kpi=avg_irr]')} = the API's {res['metrics']['avg_irr']:.4f}")
    check(b.text("[data-kpi='final_debt']") == fmt1(res["metrics"]["final_debt"]), "final debt as the API's")
    b.el("#lbo-chart[data-rendered='true']", "the debt schedule chart")
    b.wait_ink("#lbo-chart", 400, "the debt bars", rgb=(29, 59, 114))
    check(len(b.els("#lbo-exits table tbody tr")) == len(res["exit_scenarios"]), "every exit scenario is listed")
    b.shot("lbo", full=True)

    b.click("#lbo-save")
    b.wait_text(".results .alert-ok", "saved")
    run_id = b.js("return document.querySelector('[data-run-id]').dataset.runId")
    stored = api.ok("GET", f"/api/lbo/runs/{run_id}")["data"]
    check(stored["company_name"] == name, "the LBO run is stored under the company's name")
    check(stored["results"] is not None, "with its results")

    # a scenario: save under a name, change the form, load it back
    b.fill(".scenario-name", "Base case")
    b.button("Save scenario").click()
    b.wait_text(".scenario-bar .alert-ok", "saved")
    b.set_field("purchasePrice", "999")
    b.button("Load").click()
    b.wait(lambda d: b.field("purchasePrice").get_attribute("value") == "1200", "the scenario's price back")

    b.go("#/runs/lbo")
    b.el(f"#runs-table tr[data-run-id='{run_id}']", "the LBO run in Runs")
    b.click(f"#runs-table tr[data-run-id='{run_id}'] a[data-action='open']")
    b.wait(lambda d: b.field("companyName").get_attribute("value") == name, "the run's inputs back in the form")
    b.wait_text("[data-kpi='avg_irr']", r"\d")
    b.size(PHONE)
    b.js("window.scrollTo(0, 0)")
    b.shot("lbo")
    check(b.no_horizontal_overflow(), "the LBO page fits 390 px")


def case_ma_calculate_and_save(t):
    api = API.register("ma")
    b = t.browser()
    b.sign_in(api.user["username"])
    b.go("#/ma")
    deal = "Project Browser"
    b.set_field("deal_name", deal)
    b.click("#ma-calculate")
    b.wait_text("[data-kpi='accretion']", r"\d")
    inputs = {
        "acquirerRevenue": 1000, "acquirerEBITDA": 150, "acquirerShares": 100, "acquirerNetDebt": 200,
        "acquirerSharePrice": 15, "targetRevenue": 500, "targetEBITDA": 75, "targetShares": 50,
        "targetNetDebt": 100, "purchasePrice": 600, "dealStructure": {"cash": 60, "stock": 40},
        "synergies": {"annual": 25, "duration": 5, "discountRate": 0.10}, "taxRate": 0.35}
    res = api.ok("POST", "/api/ma/calculate", {"inputs": inputs})["data"]
    shown = b.text("[data-kpi='accretion']")
    check(shown == pct1(res["accretion_dilution"]["accretion"]), f"accretion shown {shown} = the API's")
    cells = b.els("#ma-per-year thead th.num")
    check(len(cells) == 6, f"five synergy years and the first year after them ({len(cells)})")
    b.el("#ma-chart[data-rendered='true']", "the accretion chart")
    b.shot("ma", full=True)

    # the split: typing the cash share fills the stock share
    b.set_field("dealStructure_cash", "70")
    b.field("dealStructure_stock").click()
    b.wait(lambda d: b.field("dealStructure_stock").get_attribute("value") == "30", "stock = 100 − cash")

    b.click("#ma-save")
    b.wait_text(".results .alert-ok", "saved")
    run_id = b.js("return document.querySelector('[data-run-id]').dataset.runId")
    stored = api.ok("GET", f"/api/ma/runs/{run_id}")["data"]
    check(stored["deal_name"] == deal and stored["inputs"]["dealStructure"]["cash"] == 70,
          f"the M&A run is stored with the form's structure: {stored['inputs'].get('dealStructure')}")
    b.go("#/runs/ma")
    b.el(f"#runs-table tr[data-run-id='{run_id}']", "the M&A run in Runs")
    b.click(f"#runs-table tr[data-run-id='{run_id}'] a[data-action='open']")
    b.wait(lambda d: b.field("deal_name").get_attribute("value") == deal, "the deal back in the form")
    b.wait(lambda d: b.field("dealStructure_cash").get_attribute("value") == "70", "the cash share back")


def case_ma_error_names_the_field(t):
    api = API.register("mae")
    b = t.browser(allow={400})
    b.sign_in(api.user["username"])
    b.go("#/ma")
    b.set_field("dealStructure_cash", "120")  # out of 0–100: the stock share is left as it is
    b.click("#ma-calculate")
    e = b.wait_text(".field[data-field='dealStructure_cash'] .field-error", "100%")
    check("Deal structure must equal 100%" in e.text, f"the API's message at the structure: {e.text}")
    b.set_field("dealStructure_cash", "60")
    b.set_field("targetEBITDA", "")
    b.click("#ma-calculate")
    b.wait_text(".field[data-field='targetEBITDA'] .field-error", "required")


CASES = [case_lbo_calculate_and_save, case_ma_calculate_and_save, case_ma_error_names_the_field]
