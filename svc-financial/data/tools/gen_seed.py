#!/usr/bin/env python3
"""Writes svc-financial/data/seed/companies.json and prices.csv.

Statement figures below are in millions of the reporting currency (USD) as
reported in each company's annual report (Form 10-K) and are written out in
currency units. None = not known to the author of this file: it stays null.
Conventions (docs/financial.md): capital_expenditures is the positive amount
spent; free_cash_flow = operating_cash_flow - capital_expenditures;
total_debt = short- and long-term borrowings where known (see each source);
ebitda = operating income + depreciation and amortisation.

Daily prices are SYNTHETIC: a deterministic random walk (Brownian bridge in
log space) between the real published closing prices of the last trading
days of 2022 and 2023. Do not use them as market data.
Run: python3 svc-financial/data/tools/gen_seed.py (from the repository root).
"""
import datetime
import json
import math
import random

M = 1_000_000

# fields per statement (same order as the tuples below)
IS = ("total_revenue", "gross_profit", "operating_income", "net_income", "ebitda", "ebit")
BS = ("total_assets", "total_current_assets", "total_liabilities", "total_current_liabilities",
      "total_equity", "total_debt", "cash_and_equivalents", "inventory", "accounts_receivable",
      "accounts_payable")
CF = ("operating_cash_flow", "investing_cash_flow", "financing_cash_flow",
      "capital_expenditures")

COMPANIES = [
    dict(ticker="AAPL", name="Apple Inc.", sector="Technology",
         industry="Consumer Electronics", shares=15_552_752_000, beta=1.29,
         source="Apple Inc. Form 10-K FY2021-FY2023 (fiscal years ending late September), "
                "figures as reported; shares outstanding from the FY2023 10-K cover page",
         years={
             "2023-09-30": ((383285, 169148, 114301, 96995, 125820, 114301),
                            (352583, 143566, 290437, 145308, 62146, 111088, 29965, 6331, 29508, 62611),
                            (110543, 3705, -108488, 10959)),
             "2022-09-24": ((394328, 170782, 119437, 99803, 130541, 119437),
                            (352755, 135405, 302083, 153982, 50672, 120069, 23646, 4946, 28184, 64115),
                            (122151, -22354, -110749, 10708)),
             "2021-09-25": ((365817, 152836, 108949, 94680, 120233, 108949),
                            (351002, 134836, 287912, 125481, 63090, 124719, 34940, 6580, 26278, 54763),
                            (104038, -14545, -93353, 11085)),
         }),
    dict(ticker="MSFT", name="Microsoft Corporation", sector="Technology",
         industry="Software - Infrastructure", shares=7_429_763_722, beta=0.90,
         source="Microsoft Corporation Form 10-K FY2021-FY2023 (fiscal years ending June 30), "
                "figures as reported; shares outstanding from the FY2023 10-K cover page",
         years={
             "2023-06-30": ((211915, 146052, 88523, 72361, 102384, 88523),
                            (411976, 184257, 205753, 104149, 206223, 47237, 34704, 2500, 48688, 18095),
                            (87582, -22680, -43935, 28107)),
             "2022-06-30": ((198270, 135620, 83383, 72738, 97843, 83383),
                            (364840, 169684, 198298, 95082, 166542, 49781, 13931, 3742, 44261, 19000),
                            (89035, -30311, -58876, 23886)),
             "2021-06-30": ((168088, 115856, 69916, 61271, 81602, 69916),
                            (333779, 184406, 191791, 88657, 141988, 58146, 14224, 2636, 38043, 15163),
                            (76740, -27577, -48486, 20622)),
         }),
    dict(ticker="IBM", name="International Business Machines Corporation", sector="Technology",
         industry="Information Technology Services", shares=914_000_000, beta=0.71,
         source="IBM Form 10-K FY2021-FY2023, figures as reported; ebit = income from "
                "continuing operations before taxes + interest expense; shares outstanding "
                "approximate (rounded to millions)",
         years={
             "2023-12-31": ((61860, 34300, None, 7502, None, 10297),
                            (135241, 32908, 112628, 34122, 22613, 56548, 13068, 1161, 7214, 4132),
                            (13931, -7070, -5948, None)),
             "2022-12-31": ((60530, 32687, None, 1639, None, 2372),
                            (127243, 29118, 105222, 31505, 22021, 50948, 7886, None, None, None),
                            (10435, -4202, -4958, None)),
             "2021-12-31": ((57350, 31486, None, 5743, None, 5992),
                            (132001, 29539, 113005, 33619, 18996, 51675, 6650, None, None, None),
                            (12796, None, None, None)),
         }),
    dict(ticker="GOOGL", name="Alphabet Inc.", sector="Communication Services",
         industry="Internet Content & Information", shares=12_460_000_000, beta=1.05,
         source="Alphabet Inc. Form 10-K FY2021-FY2023, figures as reported; total_debt = "
                "long-term debt; shares = Class A + B + C, approximate (rounded to 10 millions)",
         years={
             "2023-12-31": ((307394, 174062, 84293, 73795, 96239, 84293),
                            (402392, 171530, 119013, 81814, 283379, 13253, 24048, None, 47964, 7493),
                            (101746, -27063, -72093, 32251)),
             "2022-12-31": ((282836, 156633, 74842, 59972, 88317, 74842),
                            (365264, 164795, 109120, 69300, 256144, 14701, 21879, None, 40258, 5128),
                            (91495, -20298, -69757, 31485)),
             "2021-12-31": ((257637, 146698, 78714, 76033, 91155, 78714),
                            (359268, 188143, 107633, 64254, 251635, 14817, 20945, None, 39304, 6037),
                            (91652, -35523, -61362, 24640)),
         }),
    dict(ticker="AMZN", name="Amazon.com, Inc.", sector="Consumer Cyclical",
         industry="Internet Retail", shares=10_380_000_000, beta=1.15,
         source="Amazon.com, Inc. Form 10-K FY2021-FY2023, figures as reported; total_debt = "
                "long-term debt line of the balance sheet; shares outstanding approximate "
                "(rounded to 10 millions)",
         years={
             "2023-12-31": ((574785, 270046, 36852, 30425, 85515, 36852),
                            (527854, 172351, 325979, 164917, 201875, 58314, 73387, 33318, 52253, 84981),
                            (84946, -49833, -15879, 52729)),
             "2022-12-31": ((513983, 225152, 12248, -2722, 54169, 12248),
                            (462675, 146791, 316632, 155393, 146043, 67150, 53888, 34405, 42360, 79600),
                            (46752, -37601, 9718, 63645)),
             "2021-12-31": ((469822, 197478, 24879, 33364, 59175, 24879),
                            (420549, 161580, 282304, 142266, 138245, 48744, 36220, 32640, 32891, 78664),
                            (46327, -58154, 6291, 61053)),
         }),
    dict(ticker="JPM", name="JPMorgan Chase & Co.", sector="Financial Services",
         industry="Banks - Diversified", shares=2_874_000_000, beta=1.10,
         source="JPMorgan Chase & Co. Form 10-K FY2021-FY2023, figures as reported; "
                "total_revenue = total net revenue; ebit = income before income tax expense "
                "(a bank's interest is operating); total_debt = long-term debt; cash = cash and "
                "due from banks; banks report no current assets/liabilities; shares approximate",
         years={
             "2023-12-31": ((158104, None, None, 49552, None, 61612),
                            (3875393, None, 3547515, None, 327878, 391825, 29066, None, None, None),
                            (12974, None, None, None)),
             "2022-12-31": ((128695, None, None, 37676, None, 46166),
                            (3665743, None, 3373411, None, 292332, 295865, 27697, None, None, None),
                            (107119, None, None, None)),
             "2021-12-31": ((121649, None, None, 48334, None, 59562),
                            (3743567, None, 3449440, None, 294127, 301005, 26438, None, None, None),
                            (78084, None, None, None)),
         }),
    dict(ticker="JNJ", name="Johnson & Johnson", sector="Healthcare",
         industry="Drug Manufacturers - General", shares=2_407_000_000, beta=0.55,
         source="Johnson & Johnson Form 10-K FY2021-FY2023, figures as reported; FY2022 "
                "sales as restated in the FY2023 10-K after the Kenvue separation, FY2021 as "
                "originally reported; net_income includes discontinued operations; shares "
                "outstanding approximate",
         years={
             "2023-12-31": ((85159, 58606, None, 35153, None, None),
                            (167558, 53495, 98784, 46282, 68774, 29332, 21859, 11181, 14873, 9632),
                            (22791, None, None, None)),
             "2022-12-31": ((79990, None, None, 17941, None, None),
                            (187378, None, None, None, 76804, None, 14127, None, None, None),
                            (21194, None, None, 4009)),
             "2021-12-31": ((93775, None, None, 20878, None, None),
                            (182018, None, None, None, 74023, None, 14487, None, None, None),
                            (23410, None, None, 3652)),
         }),
    dict(ticker="XOM", name="Exxon Mobil Corporation", sector="Energy",
         industry="Oil & Gas Integrated", shares=3_970_000_000, beta=0.90,
         source="Exxon Mobil Corporation Form 10-K FY2021-FY2023, figures as reported; "
                "total_revenue = sales and other operating revenue; net_income attributable "
                "to ExxonMobil; shares outstanding approximate",
         years={
             "2023-12-31": ((334697, None, None, 36010, None, None),
                            (376317, 96609, 163779, 65316, 212538, 41573, 31539, None, 38015, None),
                            (55369, -19274, -34297, 21919)),
             "2022-12-31": ((398675, None, None, 55740, None, None),
                            (369067, None, None, None, None, 41193, 29640, None, None, None),
                            (76797, -14742, -39114, 18407)),
             "2021-12-31": ((276692, None, None, 23040, None, None),
                            (338923, None, None, None, None, 47704, 6802, None, None, None),
                            (48129, -10235, -35423, 12076)),
         }),
    dict(ticker="KO", name="The Coca-Cola Company", sector="Consumer Defensive",
         industry="Beverages - Non-Alcoholic", shares=4_324_000_000, beta=0.59,
         source="The Coca-Cola Company Form 10-K FY2021-FY2023, figures as reported; "
                "total_revenue = net operating revenues; total_equity includes noncontrolling "
                "interests; total_debt = long-term debt; shares outstanding approximate",
         years={
             "2023-12-31": ((45754, 27234, 11311, 10714, 12439, 11311),
                            (97703, 26732, None, 23571, 27480, 35547, 9366, 4424, 3410, 15485),
                            (11599, None, None, 1852)),
             "2022-12-31": ((43004, 25004, 10909, 9542, None, 10909),
                            (92763, 22591, None, 19724, 25826, 36377, 9519, 4233, 3487, 15749),
                            (11018, None, None, 1484)),
             "2021-12-31": ((38655, 23298, 10308, 9771, None, 10308),
                            (94354, 22545, None, 19950, 24860, 38116, 9684, 3414, 3512, 14619),
                            (12625, None, None, 1367)),
         }),
    dict(ticker="NVDA", name="NVIDIA Corporation", sector="Technology",
         industry="Semiconductors", shares=2_464_000_000, beta=1.70,
         source="NVIDIA Corporation Form 10-K FY2022-FY2024 (fiscal years ending late January), "
                "figures as reported; shares outstanding approximate, before the June 2024 "
                "10-for-1 split",
         years={
             "2024-01-28": ((60922, 44301, 32972, 29760, 34480, 32972),
                            (65728, 44345, 22750, 10631, 42978, 9709, 7280, 5282, 9999, 2699),
                            (28090, -10566, -13633, 1069)),
             "2023-01-29": ((26974, 15356, 4224, 4368, 5768, 4224),
                            (41182, 23073, 19081, 6563, 22101, 10953, 3389, 5159, 3827, 1193),
                            (5641, 7375, -11617, 1833)),
             "2022-01-30": ((26914, 17475, 10041, 9752, 11215, 10041),
                            (44187, 28829, 17575, 4335, 26612, 10946, 1990, 2605, 4650, 1783),
                            (9108, -9830, 1865, 976)),
         }),
]

# Real closing prices of the last trading days of 2022 and 2023 (NVDA before
# its 2024 split; AAPL, AMZN, GOOGL after their 2020/2022 splits).
ANCHORS = {
    "AAPL": (129.93, 192.53), "MSFT": (239.82, 376.04), "IBM": (140.89, 163.55),
    "GOOGL": (88.23, 139.69), "AMZN": (84.00, 151.94), "JPM": (134.10, 170.10),
    "JNJ": (176.65, 156.74), "XOM": (110.30, 99.98), "KO": (63.61, 58.93),
    "NVDA": (146.14, 495.22),
}
VOLUME = {"AAPL": 60e6, "MSFT": 27e6, "IBM": 4.5e6, "GOOGL": 30e6, "AMZN": 55e6,
          "JPM": 10e6, "JNJ": 7e6, "XOM": 17e6, "KO": 13e6, "NVDA": 47e6}
HOLIDAYS_2023 = {"2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29",
                 "2023-06-19", "2023-07-04", "2023-09-04", "2023-11-23", "2023-12-25"}


def scaled(fields, values):
    return {f: (None if v is None else v * M) for f, v in zip(fields, values)}


def company(c):
    dates = sorted(c["years"], reverse=True)
    inc, bal, cfl = [], [], []
    for d in dates:
        i, b, f = c["years"][d]
        inc.append(dict(fiscal_date=d, **scaled(IS, i)))
        bal.append(dict(fiscal_date=d, **scaled(BS, b)))
        cf = dict(fiscal_date=d, **scaled(CF, f))
        ocf, capex = cf["operating_cash_flow"], cf["capital_expenditures"]
        cf["free_cash_flow"] = ocf - capex if ocf is not None and capex is not None else None
        cfl.append(cf)
    latest_i, latest_b = inc[0], bal[0]
    rev, prev = latest_i["total_revenue"], inc[1]["total_revenue"]
    ebit = latest_i["ebit"] if latest_i["ebit"] is not None else latest_i["operating_income"]
    ni = latest_i["net_income"]
    ratio = lambda a, b: round(a / b, 4) if a is not None and b else None
    return {
        "ticker": c["ticker"], "company_name": c["name"], "sector": c["sector"],
        "industry": c["industry"], "currency": "USD", "market_cap": None,
        "revenue": rev, "ebit": ebit, "net_income": ni,
        "shares_outstanding": c["shares"], "beta": c["beta"],
        "total_debt": latest_b["total_debt"], "cash": latest_b["cash_and_equivalents"],
        "pe_ratio": None, "pb_ratio": None,
        "profit_margin": ratio(ni, rev), "operating_margin": ratio(ebit, rev),
        "return_on_equity": ratio(ni, latest_b["total_equity"]),
        "return_on_assets": ratio(ni, latest_b["total_assets"]),
        "revenue_growth": ratio(rev - prev, prev) if prev else None,
        "income_statements": inc, "balance_sheets": bal, "cash_flows": cfl,
        "source": c["source"] + ". beta: approximate 5-year monthly beta as published by "
                  "market-data sites in early 2024 (not from the 10-K); margins, returns and "
                  "growth derived from the latest fiscal year; market_cap, pe_ratio and "
                  "pb_ratio unknown (null).",
    }


def trading_days():
    d = datetime.date(2022, 12, 30)
    out = [d]
    d = datetime.date(2023, 1, 1)
    while d.year == 2023:
        if d.weekday() < 5 and d.isoformat() not in HOLIDAYS_2023:
            out.append(d)
        d += datetime.timedelta(days=1)
    return out


def prices(out):
    days = trading_days()
    n = len(days) - 1
    out.write("# source: synthetic daily series anchored on reported year-end closes "
              "(2022-12-30 and 2023-12-29); generated by svc-financial/data/tools/gen_seed.py; "
              "not market data\n")
    out.write("ticker,date,open,high,low,close,volume\n")
    for t, (p0, p1) in ANCHORS.items():
        rnd = random.Random("valor-" + t)
        # Brownian bridge in log space from log p0 to log p1
        steps = [rnd.gauss(0, 0.014) for _ in range(n)]
        walk = [0.0]
        for s in steps:
            walk.append(walk[-1] + s)
        logs = [math.log(p0) + (math.log(p1) - math.log(p0)) * i / n + walk[i] - walk[-1] * i / n
                for i in range(n + 1)]
        prev = p0
        for i, d in enumerate(days):
            close = round(math.exp(logs[i]), 2)
            if i == 0 or i == n:
                close = p0 if i == 0 else p1
            opn = round(prev * math.exp(rnd.gauss(0, 0.004)), 2)
            high = round(max(opn, close) * (1 + abs(rnd.gauss(0, 0.006))), 2)
            low = round(min(opn, close) * (1 - abs(rnd.gauss(0, 0.006))), 2)
            vol = int(VOLUME[t] * math.exp(rnd.gauss(0, 0.25)))
            out.write(f"{t},{d.isoformat()},{opn:.2f},{high:.2f},{low:.2f},{close:.2f},{vol}\n")
            prev = close


if __name__ == "__main__":
    with open("svc-financial/data/seed/companies.json", "w") as f:
        json.dump([company(c) for c in COMPANIES], f, indent=1)
        f.write("\n")
    with open("svc-financial/data/seed/prices.csv", "w") as f:
        prices(f)
