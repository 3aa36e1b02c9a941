"""Spreadsheet exports on SQLite and PostgreSQL: content, exact money, and the API's access rules."""
import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from countypay.exports import _sheet, explain
from countypay.policy import trace
from countypay.settle import line_values

DATA = Path(__file__).parent / "data"


@pytest.fixture
def api(graphql_api):
    """Haiyan's and the other county's bundles, Haiyan's work equivalents settled for 2024."""
    api = graphql_api("haiyan-bundle", "other-bundle", supervisor=dict(role="supervisor"),
                      haiyan=dict(role="county", county_code="haiyan"), other=dict(role="county", county_code="other"))
    api.run_id = api.settle("haiyan", "haiyan", "work_equivalent", "2024")
    return api


def sheet_rows(body: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def table(rows, first_header="对象"):
    """The header block as a dict and the table rows as dicts by header."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    block = {r[0]: r[1] for r in rows[:start] if r and r[0]}
    headers = rows[start]
    return block, [dict(zip(headers, r)) for r in rows[start + 1:] if r and r[0] is not None]


def test_settlement_xlsx_has_header_block_lines_and_exact_money(api):
    r = api.get(f"/export/settlements/{api.run_id}.xlsx", as_="haiyan")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f'settlement-{api.run_id}.xlsx' in r.headers["content-disposition"]
    block, lines = table(sheet_rows(r.content))
    assert block["县"].endswith("(haiyan)") and "(haiyan)" in block["政策"]
    assert "(work_equivalent)" in block["组成部分"]
    assert block["期间"] == "2024" and block["状态"] == "草稿" and len(block["输入哈希"]) == 64
    assert list(lines[0]) == ["对象", "对象名称", "项目", "项目名称", "单位", "金额/数值", "精确值", "计算说明"]
    by = {(l["对象"], l["项目"]): l for l in lines}
    paid = by[("B", "paid")]
    assert paid["对象名称"] == "乙卫生院" and paid["项目名称"] == "实际拨付" and paid["单位"] == "元"
    assert paid["精确值"] == "2222.22" and paid["计算说明"].startswith("§3.1 step 6：paid =")
    price = by[("county", "price")]
    assert price["对象名称"] == "海盐县" and price["项目名称"] == "当量价格" and price["单位"] == "元/当量"
    assert "输入：D = 9000.00" in price["计算说明"]
    assert by[("A", "equivalents.2024-01")]["项目名称"] == "月度工作当量"  # a patterned code finds its spec
    # the figures stay numbers, exact in the file, shown with thousands separators; the exact text beside
    ws = load_workbook(io.BytesIO(r.content))["结算明细"]
    cells = {(row[0].value, row[2].value): row for row in ws.iter_rows()}
    assert cells[("B", "paid")][5].number_format == "#,##0.00" and cells[("B", "paid")][5].data_type == "n"
    assert cells[("county", "price")][5].number_format == "#,##0.0000"
    assert cells[("B", "paid")][6].data_type == "s"
    xml = zipfile.ZipFile(io.BytesIO(r.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>2222.22</v>" in xml
    header = next(row[0].row for row in ws.iter_rows() if row[0].value == "对象")
    assert ws.auto_filter.ref == f"A{header}:H{ws.max_row}" and ws.freeze_panes == f"A{header + 1}"
    explanations = " ".join(row[7].value or "" for row in ws.iter_rows(min_row=header + 1))
    assert "参数：cap_rate = 无" in explanations
    assert not {"True", "False", "None"} & set(explanations.replace("：", " ").replace("；", " ").split())


def test_settlement_xlsx_totals_per_entity_and_per_line(api):
    r = api.get(f"/export/settlements/{api.run_id}.xlsx", as_="haiyan")
    ws = load_workbook(io.BytesIO(r.content))["汇总"]
    rows = list(ws.iter_rows())
    header = next(i for i, row in enumerate(rows) if row[0].value == "对象")
    titles = [c.value for c in rows[header]]
    assert titles[:2] == ["对象", "对象名称"] and "实际拨付 (paid)" in titles and "当量价格 (price)" in titles
    by_entity = {row[0].value: row for row in rows[header + 1:]}
    paid, price = titles.index("实际拨付 (paid)"), titles.index("当量价格 (price)")
    assert by_entity["B"][1].value == "乙卫生院" and str(by_entity["B"][paid].value) == "2222.22"
    assert by_entity["county"][price].value == 5 and by_entity["county"][price].number_format == "#,##0.0000"
    total = by_entity["合计"]
    # Σ paid over the institutions is the fund less the risk fund's closing balance, to the fen
    assert total[paid].value == 10000 and total[paid].number_format == "#,##0.00"
    assert total[titles.index("标化工作当量 (equivalents)")].value == 1800
    assert total[price].value is None  # prices do not add up
    assert ws.auto_filter.ref == f"A{header + 1}:{ws.cell(1, len(titles)).column_letter}{len(rows) - 1}"


def test_ratio_lines_show_as_percent_and_flags_as_yes_no():
    from countypay.exports import number_format

    assert number_format("ratio") == "0.00%" and number_format("yuan") == "#,##0.00"
    assert number_format("yuan/equivalent") == "#,##0.0000" and number_format("count") == "#,##0"
    assert number_format("flag") == '"是";"是";"否"'


def test_every_line_a_plugin_declares_has_a_chinese_name():
    from countypay.host import registry

    missing = [(p.code, c.code, spec.code) for p in registry().policies.values() for c in p.components
               for spec in c.lines if not spec.name_zh or not spec.name_en]
    assert not missing, missing


def test_a_line_code_finds_its_spec_by_pattern():
    from countypay.exports import spec_for
    from countypay.policy import LineSpec

    specs = [LineSpec("county", "budget", "", name_zh="县"), LineSpec("institution", "budget", "", name_zh="机构"),
             LineSpec("task", "planned.<year>", "", name_zh="年"), LineSpec("county", "planned.<source>", "", name_zh="源"),
             LineSpec("task", "planned.<year>.<source>", "", name_zh="年源"),
             LineSpec("unit", "<g>.advance.month<MM>", "", name_zh="月"), LineSpec("county", "standard.<g>", "", name_zh="标准")]
    name = lambda entity, code: (spec_for(specs, entity, code) or LineSpec("", "", "", name_zh="—")).name_zh  # noqa: E731
    assert name("county", "budget") == "县" and name("T01", "budget") == "机构"
    assert name("county", "planned.province") == "源" and name("task1", "planned.2024") == "年"
    assert name("county", "planned.2024.province") == "年源" and name("U01", "general.advance.month03") == "月"
    assert name("county", "standard.employee.le60") == "标准" and name("U01", "general.advance.month3") == "—"


def test_settlement_csv_parses_with_the_same_content(api):
    r = api.get(f"/export/settlements/{api.run_id}.csv", as_="supervisor")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    block, lines = table(csv_rows(r.content))
    assert block["期间"] == "2024" and block["结算编号"] == str(api.run_id)
    assert list(lines[0]) == ["对象", "对象名称", "项目", "项目名称", "单位", "金额/数值", "精确值", "计算说明"]
    values = {(l["对象"], l["项目"]): l["金额/数值"] for l in lines}
    assert values[("B", "paid")] == "2222.22" and values[("county", "price")] == "5.0000"
    assert all(l["金额/数值"] == l["精确值"] for l in lines)
    assert {(l["对象名称"], l["项目名称"]) for l in lines if (l["对象"], l["项目"]) == ("B", "paid")} == {("乙卫生院", "实际拨付")}
    with Session(api.engine) as s:
        stored = line_values(s, api.run_id)
    assert {k: Decimal(v) for k, v in values.items()} == stored and all(
        str(stored[k]) == v for k, v in values.items())  # every line, digit for digit


def test_indicator_values_with_attainment(api):
    r = api.get("/export/indicator-values.xlsx", as_="supervisor", county="other", indicator="visits_total")
    assert r.status_code == 200, r.text
    block, rows = table(sheet_rows(r.content))
    assert block["县"].endswith("(other)") and block["指标"] == "visits_total"
    assert [(x["对象"], x["期间"], x["数值"]) for x in rows] == [("U01", "2024", 900), ("U02", "2024", 700)]
    assert {x["达到目标"] for x in rows} <= {"是", "否", "—"} and rows[0]["指标名称"]
    r = api.get("/export/indicator-values.csv", as_="other", county="other", period="2024")
    _, rows = table(csv_rows(r.content))
    assert ("U01", "visits_total", "900") in {(x["对象"], x["指标代码"], x["数值"]) for x in rows}


def test_a_county_token_cannot_export_another_county(api):
    assert api.get(f"/export/settlements/{api.run_id}.xlsx", as_="other").status_code == 404
    assert api.get(f"/export/settlements/{api.run_id + 999}.xlsx", as_="other").status_code == 404
    r = api.get("/export/indicator-values.csv", as_="haiyan", county="other")
    assert r.status_code == 404 and r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert api.get("/export/indicator-values.csv", as_="haiyan", county="nowhere").status_code == 404


def test_anonymous_callers_get_401(api):
    for path in (f"/export/settlements/{api.run_id}.csv", "/export/indicator-values.xlsx?county=other"):
        r = api.get(path)
        assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert api.get(f"/export/settlements/{api.run_id}.csv", as_=None).status_code == 401


def test_bad_export_requests(api):
    assert api.get(f"/export/settlements/{api.run_id}.pdf", as_="haiyan").status_code == 404
    assert api.get("/export/indicator-values.csv", as_="haiyan").status_code == 400
    assert api.get("/export/indicator-values.csv", as_="haiyan", county="haiyan", period="soon").status_code == 400


def test_trace_is_explained_in_one_line_of_words():
    assert explain(trace("§3.1 step 1", "D = F − R0", {"F": "10000.00", "R0": "1E+3"}, {"cap": None},
                         exact="999.5")) == \
        "§3.1 step 1：D = F − R0。输入：F = 10000.00；R0 = 1000。参数：cap = 无。结果：exact = 999.5"
    assert explain(trace("§3.1", "F")) == "§3.1：F"
    said = explain(trace("§4.1 step 1", "B ≤ funding when cap_by_funding", {"tiers": ["county", "village"]},
                         {"cap_by_funding": True, "direction": "higher", "roles": {"gp": 1}, "hops": []},
                         capped=False))
    assert said == ("§4.1 step 1：B ≤ funding when cap_by_funding。输入：tiers = 县级、村级。"
                    "参数：cap_by_funding = 是；direction = 越高越好；roles = gp 1；hops = 无。结果：capped = 否")


def test_stored_text_never_becomes_a_spreadsheet_formula():
    body = _sheet("t", [("县", "=1+1")], ["对象"], [['=HYPERLINK("x")']], None, (10,))
    cells = [c for row in load_workbook(io.BytesIO(body)).active.iter_rows() for c in row if c.value]
    assert {c.value: c.data_type for c in cells}["=1+1"] == "s"
    assert {c.value: c.data_type for c in cells}['=HYPERLINK("x")'] == "s"


def test_csv_cells_a_spreadsheet_would_run_are_escaped(graphql_api, tmp_path):
    """Names and value texts that start like a formula are written with a leading apostrophe in
    every CSV the server writes (OWASP's advice); numbers, negative ones too, stay numbers."""
    import shutil
    bundle = tmp_path / "hostile"
    shutil.copytree(DATA / "haiyan-bundle", bundle)
    (bundle / "counties.csv").write_text('code,province,name_zh,name_en,population\n'
                                         'haiyan,zhejiang,"=HYPERLINK(""http://x"",""a"")",Haiyan,400\n')
    (bundle / "indicators.csv").write_text("code,name_zh,name_en,unit,entity,period_kind\n"
                                           "note,+cmd|' /C calc'!A0,Note,text,institution,year\n")
    (bundle / "indicator_values.csv").write_text("county,indicator,entity,period,value,text\n"
                                                 "haiyan,note,A,2024,,-2+3\nhaiyan,note,B,2024,,@SUM(1)\n"
                                                 "haiyan,performance_score,A,2024,100,\n")
    api = graphql_api(bundle, supervisor=dict(role="supervisor"))
    run_id = api.settle("haiyan", "haiyan", "work_equivalent", "2024")
    for path in (f"/export/settlements/{run_id}.csv", "/export/indicator-values.csv?county=haiyan"):
        text = api.get(path, as_="supervisor").content.decode("utf-8-sig")
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], cells
        assert any(c.startswith("'=HYPERLINK(") for c in cells)
    assert "'+cmd|' /C calc'!A0" in cells and "'-2+3" in cells and "'@SUM(1)" in cells
    assert not [c for c in cells if c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit()]
