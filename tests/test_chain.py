"""The approval chain on SQLite and PostgreSQL: a settlement goes up county → prefecture →
province, is sent back and corrected on the way, and closes its period; bulk approval; which run
is current; two runs compared, over GraphQL, in the export and on the command line."""
import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from countypay import models
from countypay.cli import app as cli


@pytest.fixture
def api(graphql_api, prefectures):
    return graphql_api(province=dict(role="supervisor", name="province office"),
                       jiaxing=dict(role="prefecture", name="Jiaxing commission", prefecture="jiaxing"),
                       huaibei=dict(role="prefecture", name="Huaibei commission", prefecture="huaibei"),
                       haiyan=dict(role="county", county_code="haiyan", name="Haiyan finance"),
                       pinghu=dict(role="county", county_code="pinghu", name="Pinghu finance"),
                       centre=dict(role="institution", county_code="haiyan", name="Centre A", institution="A"),
                       auditor=dict(role="auditor", name="audit office"))


def data(result):
    assert "errors" not in result, result["errors"]
    return result["data"]


def refused(result) -> tuple[str, str]:
    (e,) = result["errors"]
    return e["extensions"]["code"], e["message"]


RUN = """mutation($county: String!, $o: JSON) { runSettlement(input: {county: $county, policy: "haiyan",
    component: "work_equivalent", period: "2024", parameterOverrides: $o}) { run { id } } }"""
STATE = """query($id: ID!) { settlement(id: $id) { id status stage locked current nextActions levels
    supersedes { id } chain { seq level levelZh action actor reason } } }"""
ACT = {"approve": 'mutation($id: ID!) { approveSettlement(input: {id: $id}) { run { id status stage } } }',
       "send_back": 'mutation($id: ID!, $r: String!) { sendBackSettlement(input: {id: $id, reason: $r}) '
                    '{ run { id status stage } } }'}


def run(api, county="haiyan", overrides=None) -> str:
    return data(api(RUN, {"county": county, "o": overrides}, as_=county))["runSettlement"]["run"]["id"]


def state(api, id, as_="province") -> dict:
    return data(api(STATE, {"id": id}, as_=as_))["settlement"]


def act(api, action, id, as_, reason=None) -> dict:
    out = data(api(ACT[action], {"id": id, "r": reason}, as_=as_))
    return next(iter(out.values()))["run"]


SENT_BACK = "risk fund rate is 8 % from county notice 2024-12, not 10 %"


def test_one_settlement_walks_up_the_chain_is_sent_back_corrected_and_accepted(api):
    first = run(api)
    assert state(api, first, "haiyan")["nextActions"] == ["APPROVE"]
    assert state(api, first, "jiaxing")["nextActions"] == state(api, first)["nextActions"] == []
    assert act(api, "approve", first, "haiyan") == {"id": first, "status": "APPROVED", "stage": "PREFECTURE"}
    seen = state(api, first, "jiaxing")
    assert (seen["locked"], seen["levels"], seen["nextActions"]) == (
        True, ["COUNTY", "PREFECTURE", "PROVINCE"], ["APPROVE", "SEND_BACK"])
    assert state(api, first)["nextActions"] == ["SEND_BACK"]  # the province may send back what awaits the prefecture
    assert state(api, first, "haiyan")["nextActions"] == []
    # the prefecture sends it back; the run itself stays as it was
    assert act(api, "send_back", first, "jiaxing", SENT_BACK) == {"id": first, "status": "SENT_BACK", "stage": "COUNTY"}
    # the county corrects its parameters and settles a second version
    data(api("""mutation { setParameterOverride(input: {county: "haiyan", policy: "haiyan", component: "work_equivalent",
        name: "risk_fund_rate", effective: "2024-01-01", value: "0.08", reference: "county notice 2024-12"})
        { override { name } } }""", as_="haiyan"))
    assert state(api, first, "haiyan")["nextActions"] == []  # its parameters are no longer those in force
    second = run(api)
    two = state(api, second, "haiyan")
    assert (two["supersedes"], two["current"], two["status"], two["nextActions"]) == (
        {"id": first}, True, "DRAFT", ["APPROVE"])
    assert state(api, first)["current"] is False
    compared = data(api("""query($a: ID!, $b: ID!) { compareRuns(a: $a, b: $b) { changed { entity code a b difference }
        parameters { name a b sourceA sourceB } inputsDiffer changedInputs unchanged } }""",
                        {"a": first, "b": second}, as_="jiaxing"))["compareRuns"]
    assert compared["parameters"] == [{"name": "risk_fund_rate", "a": "0.1", "b": "0.08",
                                       "sourceA": "county override", "sourceB": "county override"}]
    assert (compared["inputsDiffer"], compared["changedInputs"]) == (False, [])
    risk = {(l["entity"], l["code"]): l for l in compared["changed"]}[("county", "risk_fund.opening")]
    assert (risk["a"], risk["b"], risk["difference"]) == ("1000.00", "800.00", "-200.00")
    # up again: county, prefecture, province
    assert act(api, "approve", second, "haiyan")["stage"] == "PREFECTURE"
    assert act(api, "approve", second, "jiaxing")["stage"] == "PROVINCE"
    assert state(api, second)["nextActions"] == ["ACCEPT", "SEND_BACK"]
    assert act(api, "approve", second, "province") == {"id": second, "status": "ACCEPTED", "stage": None}
    done = state(api, second)
    assert done["nextActions"] == ["REOPEN"] and state(api, second, "jiaxing")["nextActions"] == []
    assert [(s["seq"], s["level"], s["levelZh"], s["action"], s["actor"]) for s in done["chain"]] == [
        (1, "COUNTY", "县", "APPROVE", "Haiyan finance"), (2, "PREFECTURE", "市州", "APPROVE", "Jiaxing commission"),
        (3, "PROVINCE", "省", "ACCEPT", "province office")]
    assert [(s["action"], s["reason"]) for s in state(api, first)["chain"]] == [
        ("APPROVE", ""), ("SEND_BACK", SENT_BACK)]
    # the audit trail tells the story, oldest first
    events = data(api("""{ auditEvents(county: "haiyan", first: 50) { nodes { action actor subject detail } } }""",
                      as_="auditor"))["auditEvents"]["nodes"][::-1]
    story = [(e["action"], e["actor"], e["subject"], (e["detail"] or {}).get("level"), (e["detail"] or {}).get("reason"))
             for e in events if e["action"].startswith(("SETTLEMENT", "PARAMETER")) and e["actor"] != ""]
    assert story == [
        ("SETTLEMENT_RUN", "Haiyan finance", f"run {first}", None, None),
        ("SETTLEMENT_APPROVE", "Haiyan finance", f"run {first}", "county", None),
        ("SETTLEMENT_SEND_BACK", "Jiaxing commission", f"run {first}", "prefecture", SENT_BACK),
        ("PARAMETER_OVERRIDE", "Haiyan finance", "haiyan.work_equivalent.risk_fund_rate from 2024-01-01", None,
         None),
        ("SETTLEMENT_RUN", "Haiyan finance", f"run {second}", None, None),
        ("SETTLEMENT_APPROVE", "Haiyan finance", f"run {second}", "county", None),
        ("SETTLEMENT_APPROVE", "Jiaxing commission", f"run {second}", "prefecture", None),
        ("SETTLEMENT_ACCEPT", "province office", f"run {second}", "province", None)]


def test_an_accepted_period_is_closed_until_the_province_reopens_it(api):
    first = run(api)
    for who in ("haiyan", "jiaxing", "province"):
        act(api, "approve", first, who)
    assert run(api) == first  # the same facts and parameters: the accepted run itself
    code, message = refused(api(RUN, {"county": "haiyan", "o": {"risk_fund_rate": "0.2"}}, as_="haiyan"))
    assert code == "CONFLICT" and "is closed: the province accepted run" in message and "province office" in message
    reopen = """mutation($r: String!) { reopenPeriod(input: {county: "haiyan", policy: "haiyan",
        component: "work_equivalent", period: "2024", reason: $r}) { run { id status stage nextActions } } }"""
    assert refused(api(reopen, {"r": "an audit found an error"}, as_="jiaxing"))[1] == "only the province reopens a period"
    assert refused(api(reopen, {"r": "  "}, as_="province")) == ("CONFLICT", "a reopen needs a reason")
    assert refused(api(reopen, {"r": "x"}, as_="haiyan"))[0] == "CONFLICT"
    opened = data(api(reopen, {"r": "an audit found an error"}, as_="province"))["reopenPeriod"]["run"]
    assert opened == {"id": first, "status": "REOPENED", "stage": "COUNTY", "nextActions": []}
    second = run(api, overrides={"risk_fund_rate": "0.2"})  # a new run may be stored again
    assert second != first and state(api, second)["supersedes"] == {"id": first}
    assert run(api) == first  # settled again as accepted: current again, and the county may send it up again
    assert state(api, first, "haiyan")["nextActions"] == ["APPROVE"]
    reopened = data(api('{ auditEvents(county: "haiyan", action: PERIOD_REOPEN) { nodes { actor detail } } }',
                        as_="province"))["auditEvents"]["nodes"]
    assert [(e["actor"], e["detail"]["reason"]) for e in reopened] == [("province office", "an audit found an error")]


def test_a_what_if_stored_by_mistake_no_longer_blocks_approval(api):
    """Settling again with the parameters in force makes their run current again: it can be
    approved, and simulations compare with it."""
    first = run(api)
    what_if = run(api, overrides={"risk_fund_rate": "0.2"})
    assert state(api, what_if)["supersedes"] == {"id": first}
    code, message = refused(api(ACT["approve"], {"id": what_if}, as_="haiyan"))
    assert code == "CONFLICT" and "parameters that are not in force (risk_fund_rate)" in message
    assert run(api) == first
    assert [state(api, i)["current"] for i in (first, what_if)] == [True, False]
    simulated = data(api("""{ simulateSettlement(county: "haiyan", policy: "haiyan", component: "work_equivalent",
        period: "2024", parameterOverrides: {floor_rate: "0.5"}) { latestRun { id } } }""", as_="haiyan"))
    assert simulated["simulateSettlement"]["latestRun"] == {"id": first}
    assert act(api, "approve", first, "haiyan")["status"] == "APPROVED"
    code, message = refused(api(ACT["approve"], {"id": what_if}, as_="haiyan"))
    assert code == "CONFLICT" and f"run {what_if} is not the current run" in message
    runs = data(api('{ settlements(county: "haiyan") { totalCount } current: settlements(current: true) { nodes { id } } '
                    'approved: settlements(status: APPROVED) { nodes { id } } }', as_="province"))
    assert runs["settlements"]["totalCount"] == 2  # simulating stored nothing
    assert {"id": first} in runs["current"]["nodes"] and {"id": what_if} not in runs["current"]["nodes"]
    assert runs["approved"]["nodes"] == [{"id": first}]
    current_again = data(api('{ auditEvents(county: "haiyan", action: SETTLEMENT_CURRENT) { nodes { subject detail } } }',
                             as_="haiyan"))["auditEvents"]["nodes"]
    assert [(e["subject"], e["detail"]["instead_of"]) for e in current_again] == [(f"run {first}", int(what_if))]


BULK = """mutation($p: String) { approveSettlements(input: {period: "2024", prefecture: $p})
    { runs { id county { code } status stage } } }"""
PENDING = '{ pendingApprovals(period: "2024") { nodes { id county { code } } } }'


def bulk(result) -> list:
    return data(result)["approveSettlements"]["runs"]


def pending(result) -> list:
    return data(result)["pendingApprovals"]["nodes"]


def test_bulk_approval_of_a_prefectures_and_a_provinces_pending_runs(api):
    ids = {county: run(api, county) for county in ("haiyan", "pinghu")}
    assert pending(api(PENDING, as_="jiaxing")) == []
    assert [r["id"] for r in pending(api(PENDING, as_="haiyan"))] == [ids["haiyan"]]
    for county, id in ids.items():
        act(api, "approve", id, county)
    assert sorted(r["county"]["code"] for r in pending(api(PENDING, as_="jiaxing"))) == ["haiyan", "pinghu"]
    assert pending(api(PENDING, as_="huaibei")) == []
    assert pending(api(PENDING, as_="auditor")) == []
    approved = bulk(api(BULK, as_="jiaxing"))
    assert sorted((r["county"]["code"], r["status"], r["stage"]) for r in approved) == [
        ("haiyan", "APPROVED", "PROVINCE"), ("pinghu", "APPROVED", "PROVINCE")]
    assert bulk(api(BULK, as_="jiaxing")) == []  # nothing left
    assert refused(api(BULK, {"p": "huaibei"}, as_="jiaxing"))[0] == "NOT_FOUND"
    assert bulk(api(BULK, {"p": "huaibei"}, as_="province")) == []
    accepted = bulk(api(BULK, {"p": "jiaxing"}, as_="province"))
    assert sorted((r["county"]["code"], r["status"], r["stage"]) for r in accepted) == [
        ("haiyan", "ACCEPTED", None), ("pinghu", "ACCEPTED", None)]
    for county in ids:
        assert refused(api(RUN, {"county": county, "o": {"risk_fund_rate": "0.2"}}, as_=county))[0] == "CONFLICT"


def test_bulk_approval_is_all_or_nothing(api):
    good = run(api, "pinghu")
    run(api, "pinghu", overrides={"risk_fund_rate": "0.2"})  # current, but not on the parameters in force
    code, message = refused(api(BULK, as_="pinghu"))
    assert code == "CONFLICT" and "not in force" in message
    assert state(api, good)["status"] == "DRAFT"
    assert run(api, "pinghu") == good
    assert [r["id"] for r in bulk(api(BULK, as_="pinghu"))] == [good]


def test_a_province_that_skips_the_prefecture_says_so(api, db_url):
    invoke = lambda *a: CliRunner().invoke(cli, [*a, "--db", db_url])  # noqa: E731
    assert "zhejiang: county → prefecture → province" in invoke("levels", "zhejiang").output
    bad = invoke("levels", "zhejiang", "province,county")
    assert bad.exit_code == 1 and "the chain starts with the county" in bad.output
    done = invoke("levels", "zhejiang", "county,province", "--user", "provincial office")
    assert done.exit_code == 0 and "zhejiang: county → province" in done.output
    first = run(api)
    assert act(api, "approve", first, "haiyan")["stage"] == "PROVINCE"
    assert state(api, first, "jiaxing")["nextActions"] == []
    assert state(api, first)["nextActions"] == ["ACCEPT", "SEND_BACK"]
    provinces = data(api('{ provinces { nodes { code approvalLevels prefectures { code nameZh } } } }',
                         as_="province"))["provinces"]["nodes"]
    assert {p["code"]: (p["approvalLevels"], p["prefectures"]) for p in provinces} == {
        "anhui": (["COUNTY", "PREFECTURE", "PROVINCE"], [{"code": "huaibei", "nameZh": "淮北市"}]),
        "zhejiang": (["COUNTY", "PROVINCE"], [{"code": "jiaxing", "nameZh": "嘉兴市"}])}
    event = data(api('{ auditEvents(action: APPROVAL_LEVELS) { nodes { actor detail } } }',
                     as_="auditor"))["auditEvents"]["nodes"]
    assert [(e["actor"], e["detail"]["levels"]) for e in event] == [("provincial office", "county,province")]


def test_a_county_without_a_prefecture_skips_that_level(api):
    with Session(api.engine) as s:
        county = s.exec(select(models.County).where(models.County.code == "pinghu")).scalars().one()
        county.prefecture_id = None  # governed by the province directly (省直管县)
        s.add(county)
        s.commit()
    first = run(api, "pinghu")
    assert act(api, "approve", first, "pinghu")["stage"] == "PROVINCE"
    assert state(api, first)["levels"] == ["COUNTY", "PROVINCE"]


def test_the_hierarchy_over_graphql(api):
    d = data(api("""{ prefectures { nodes { code nameZh province { code }
        counties { nodes { code prefecture { code } } } } } }""", as_="province"))
    assert d["prefectures"]["nodes"] == [
        {"code": "huaibei", "nameZh": "淮北市", "province": {"code": "anhui"},
         "counties": {"nodes": [{"code": "other", "prefecture": {"code": "huaibei"}}]}},
        {"code": "jiaxing", "nameZh": "嘉兴市", "province": {"code": "zhejiang"},
         "counties": {"nodes": [{"code": "haiyan", "prefecture": {"code": "jiaxing"}},
                                {"code": "pinghu", "prefecture": {"code": "jiaxing"}}]}}]
    mine = data(api('{ prefectures { nodes { code } } counties { nodes { code } } }', as_="jiaxing"))
    assert mine == {"prefectures": {"nodes": [{"code": "jiaxing"}]},
                    "counties": {"nodes": [{"code": "haiyan"}, {"code": "pinghu"}]}}
    of = data(api('{ prefectures(province: "zhejiang") { nodes { code } } }', as_="province"))
    assert of == {"prefectures": {"nodes": [{"code": "jiaxing"}]}}


def test_two_runs_compared_in_the_export(api):
    first = run(api)
    second = run(api, overrides={"risk_fund_rate": "0.2"})
    r = api.get(f"/export/compare/{first}-{second}.csv", as_="jiaxing")
    assert r.status_code == 200 and r.headers["content-disposition"] == \
        f'attachment; filename="compare-{first}-{second}.csv"'
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    block = {row[0]: row[1] for row in rows if len(row) == 2}
    assert block["参数 risk_fund_rate"] == "0.1 → 0.2" and block["输入"] == "相同"
    table = rows[next(i for i, row in enumerate(rows) if row[:1] == ["对象"]):]
    assert table[0] == ["对象", "项目", "单位", f"结算 {first}", f"结算 {second}", "差额", "变化"]
    assert ["county", "risk_fund.opening", "元", "1000.00", "2000.00", "1000.00", "变化"] in table
    sheet = api.get(f"/export/compare/{first}-{second}.xlsx", as_="province")
    cells = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert any(row[:2] == ("county", "risk_fund.opening") and row[3:6] == (1000, 2000, 1000) for row in cells)
    own = api.get(f"/export/compare/{first}-{second}.csv", as_="centre")
    entities = {row[0] for row in csv.reader(io.StringIO(own.content.decode("utf-8-sig")))
                if len(row) == 7 and row[0] != "对象"}
    assert entities == {"A"}
    assert api.get(f"/export/compare/{first}-{second}.csv").status_code == 401
    assert api.get(f"/export/compare/{first}-{second}.csv", as_="huaibei").status_code == 404
    other = run(api, "pinghu")
    assert api.get(f"/export/compare/{first}-{other}.csv", as_="province").status_code == 400
    assert refused(api('{ compareRuns(a: "%s", b: "%s") { unchanged } }' % (first, other), as_="province"))[0] \
        == "BAD_INPUT"


def test_the_settlement_export_says_where_the_run_stands_in_the_chain(api):
    def block(id) -> dict:
        r = api.get(f"/export/settlements/{id}.csv", as_="province")
        assert r.status_code == 200, r.text
        return {row[0]: row[1] for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) if len(row) == 2}

    first = run(api)
    assert {k: v for k, v in block(first).items() if k in ("状态", "审批环节", "最近一步")} == {
        "状态": "草稿", "审批环节": "待县审批"}
    act(api, "approve", first, "haiyan")
    act(api, "send_back", first, "jiaxing", SENT_BACK)
    sent_back = block(first)
    assert (sent_back["状态"], sent_back["审批环节"], sent_back["理由"]) == ("已退回", "待县审批", SENT_BACK)
    assert re.fullmatch(r"市州退回：Jiaxing commission，\d{4}-\d\d-\d\d \d\d:\d\d \(UTC\)", sent_back["最近一步"])
    second = run(api, overrides={"risk_fund_rate": "0.08"})
    assert block(first)["审批环节"] == "已被新版本取代" and block(second)["审批环节"] == "待县审批"


def test_the_console_names_every_status_and_role_in_both_languages():
    from countypay import approval, auth
    from countypay.console.strings import STRINGS
    keys = [f"status.{s}" for s in approval.STATUSES] + [f"role.{r}" for r in auth.ROLES]
    assert {lang: [k for k in keys if not words.get(k)] for lang, words in STRINGS.items()} == {"zh": [], "en": []}


def test_the_chain_on_the_command_line(api, db_url):
    invoke = lambda *a: CliRunner().invoke(cli, [*a, "--db", db_url])  # noqa: E731
    first = run(api)
    done = invoke("approve", first, "--user", "Head of finance")
    assert done.exit_code == 0 and f"run {first} approved by Head of finance (county); it awaits the prefecture" \
        in done.output
    back = invoke("send-back", first, "--user", "Jiaxing", "--reason", "wrong fund")
    assert back.exit_code == 0 and "sent back by Jiaxing (prefecture): wrong fund" in back.output
    for level in ("county", "prefecture"):
        assert invoke("approve", first, "--user", "someone", "--level", level).exit_code == 0
    accepted = invoke("approve", first, "--user", "Province")
    assert accepted.exit_code == 0 and "accepted by Province (province); its period is closed" in accepted.output
    closed = invoke("settle", "--county", "haiyan", "--policy", "haiyan", "--component", "work_equivalent",
                    "--period", "2024")
    assert closed.exit_code == 0  # the same facts and parameters: the accepted run, shown
    shown = invoke("chain", first)
    assert shown.exit_code == 0 and "accepted" in shown.output and "wrong fund" in shown.output
    again = invoke("approve", first, "--user", "Province", "--level", "county")
    assert again.exit_code == 1 and "is accepted: the period of haiyan haiyan.work_equivalent 2024 is closed" \
        in again.output
    opened = invoke("reopen", "--county", "haiyan", "--policy", "haiyan", "--component", "work_equivalent",
                    "--period", "2024", "--user", "Province", "--reason", "audit")
    assert opened.exit_code == 0 and f"reopened by Province (province); run {first} awaits the county" in opened.output
    tokens = invoke("token", "create", "--role", "institution", "--county", "haiyan", "--institution", "B")
    assert tokens.exit_code == 0 and "(institution of B of haiyan)" in tokens.output
    assert invoke("token", "create", "--role", "institution", "--county", "haiyan", "--institution", "Z").exit_code == 1
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in invoke("token", "list").output.splitlines()
            if re.match(r"│ \d", line)]
    assert {(r[1], r[2]) for r in rows} >= {("prefecture", "jiaxing"), ("institution", "haiyan/A"),
                                           ("institution", "haiyan/B"), ("auditor", "")}
