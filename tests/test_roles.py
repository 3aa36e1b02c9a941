"""Every role against every query and mutation, on SQLite and PostgreSQL.

The table gives, for each operation, what each role gets: the data it sees, or the error code.
CONFLICT means the role may act but the run's state refuses (a draft awaits its county; the
chain's success paths are walked in test_chain.py). A county another token may not read looks
missing (NOT_FOUND); an institution's token, which reads only its own lines, is FORBIDDEN the rest
of its county.
"""
import threading

import pytest
from sqlalchemy import select
from sqlmodel import Session

from countypay import jobs, models
from countypay.schema import schema
from countypay.schema.types import global_id
from countypay.settle import settle

ROLES = ("anonymous", "province", "jiaxing", "huaibei", "haiyan", "other", "auditor", "centre")
"""No token; the supervisor; haiyan's prefecture; another prefecture; haiyan's county; another
county; an auditor; Centre A, an institution of haiyan."""

UA, NF, FB, CF = "UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN", "CONFLICT"
BOTH, ZJ, AH = ["anhui", "zhejiang"], ["zhejiang"], ["anhui"]
ALL_LINES = ["A", "B", "C", "D", "county"]
CHANGED = ["A", "B", "C", "county"]  # the lines a higher risk fund rate changes


def codes(nodes, key="code"):
    return sorted(n[key] for n in nodes)


def counties_of(nodes):
    return sorted({(n["county"] or {}).get("code", "-") for n in nodes})


# operation: (GraphQL, what the caller sees, expected per role in ROLES order)
OPERATIONS = {
    "provinces": ("{ provinces { nodes { code } } }", lambda d: codes(d["provinces"]["nodes"]),
                  (UA, BOTH, ZJ, AH, ZJ, AH, BOTH, [])),
    "prefectures": ("{ prefectures { nodes { code } } }", lambda d: codes(d["prefectures"]["nodes"]),
                    (UA, ["huaibei", "jiaxing"], ["jiaxing"], ["huaibei"], ["jiaxing"], ["huaibei"],
                     ["huaibei", "jiaxing"], [])),
    "counties": ("{ counties { nodes { code } } }", lambda d: codes(d["counties"]["nodes"]),
                 (UA, ["haiyan", "other", "pinghu"], ["haiyan", "pinghu"], ["other"], ["haiyan"], ["other"],
                  ["haiyan", "other", "pinghu"], [])),
    "county": ('{ county(code: "haiyan") { code communities { code } } }', lambda d: d["county"]["code"],
               (UA, "haiyan", "haiyan", NF, "haiyan", NF, "haiyan", FB)),
    "units": ('{ units(county: "haiyan") { totalCount } }', lambda d: d["units"]["totalCount"],
              (UA, 0, 0, NF, 0, NF, 0, FB)),
    "institutions": ('{ institutions(county: "haiyan") { totalCount } }', lambda d: d["institutions"]["totalCount"],
                     (UA, 4, 4, NF, 4, NF, 4, FB)),
    "indicators": ('{ indicators(search: "visits_total") { nodes { code } } }', lambda d: codes(d["indicators"]["nodes"]),
                   (["visits_total"],) * 8),
    "indicatorValues": ('{ indicatorValues(county: "haiyan") { totalCount } }',
                        lambda d: d["indicatorValues"]["totalCount"], (UA, 4, 4, NF, 4, NF, 4, FB)),
    "policies": ('{ policies(county: "haiyan") { code } }', lambda d: codes(d["policies"]), ([["haiyan"]] * 8)),
    "settlements": ('{ settlements { nodes { county { code } } } }', lambda d: counties_of(d["settlements"]["nodes"]),
                    (UA, ["haiyan"], ["haiyan"], [], ["haiyan"], [], ["haiyan"], ["haiyan"])),
    "settlements of a county": ('{ settlements(county: "haiyan") { totalCount } }',
                                lambda d: d["settlements"]["totalCount"], (UA, 2, 2, NF, 2, NF, 2, 2)),
    "settlementJob": ('{ settlementJob(id: "$job") { state counties { nodes { county { code } } } } }',
                      lambda d: [c["county"]["code"] for c in d["settlementJob"]["counties"]["nodes"]],
                      (UA, ["haiyan"], ["haiyan"], NF, ["haiyan"], NF, ["haiyan"], NF)),
    "settlement": ('{ settlement(id: "$run") { lines { nodes { entity } } totalsByEntity { nodes { key } } '
                   'flags { entity } } }',
                   lambda d: sorted({l["entity"] for l in d["settlement"]["lines"]["nodes"]}),
                   (UA, ALL_LINES, ALL_LINES, NF, ALL_LINES, NF, ALL_LINES, ["A"])),
    "compareRuns": ('{ compareRuns(a: "$run", b: "$what_if") { changed { entity } onlyInA { entity } } }',
                    lambda d: sorted({l["entity"] for part in d["compareRuns"].values() for l in part}),
                    (UA, CHANGED, CHANGED, NF, CHANGED, NF, CHANGED, ["A"])),
    "node": ('{ node(id: "$county") { id ... on County { code } } }', lambda d: d["node"] and d["node"]["code"],
             (UA, "haiyan", "haiyan", NF, "haiyan", NF, "haiyan", NF)),
    # Relay's nodes(): an id the caller may not see comes back null; a centre sees its run only.
    "nodes": ('{ nodes(ids: ["$county", "$run"]) { id } }', lambda d: len([n for n in d["nodes"] if n]),
              (UA, 2, 2, 0, 2, 0, 2, 1)),
    "pendingApprovals": ('{ pendingApprovals(period: "2024") { nodes { id } } }',
                         lambda d: [r["id"] for r in d["pendingApprovals"]["nodes"]],
                         (UA, [], [], [], ["$run"], [], [], [])),
    "auditEvents": ('{ auditEvents(first: 500) { nodes { county { code } } } }',
                    lambda d: counties_of(d["auditEvents"]["nodes"]),
                    (UA, ["-", "haiyan", "other", "pinghu"], ["haiyan", "pinghu"], ["other"], ["haiyan"], ["other"],
                     ["-", "haiyan", "other", "pinghu"], FB)),
    "compareCounties": ('{ compareCounties(indicator: "visits_total", period: "2024") { nodes { county { code } } } }',
                        lambda d: counties_of(d["compareCounties"]["nodes"]),
                        (UA, ["haiyan", "other"], ["haiyan"], ["other"], ["haiyan"], ["other"], ["haiyan", "other"],
                         [])),
    "simulateSettlement": ('{ simulateSettlement(county: "haiyan", policy: "haiyan", component: "work_equivalent", '
                           'period: "2024", parameterOverrides: {floor_rate: "0.5"}) { latestRun { id } } }',
                           lambda d: d["simulateSettlement"]["latestRun"]["id"],
                           (UA, "$run", "$run", NF, "$run", NF, "$run", FB)),
    "parameters": ('{ policies(county: "haiyan") { components { parameters(period: "2024", county: "haiyan") } } }',
                   lambda d: d["policies"][0]["components"][0]["parameters"]["sources"]["risk_fund_rate"],
                   (UA, "county override", "county override", NF, "county override", NF, "county override", FB)),
    # mutations, in this order for every role
    "setParameterOverride": ('mutation { setParameterOverride(input: {county: "haiyan", policy: "haiyan", '
                             'component: "work_equivalent", name: "risk_fund_rate", effective: "2024-01-01", '
                             'value: "0.10", reference: "test county"}) { override { name } } }',
                             lambda d: d["setParameterOverride"]["override"]["name"],
                             (UA, FB, FB, NF, "risk_fund_rate", NF, FB, FB)),
    "runSettlement": ('mutation { runSettlement(input: {county: "haiyan", policy: "haiyan", '
                      'component: "work_equivalent", period: "2024"}) { run { id } } }',
                      lambda d: d["runSettlement"]["run"]["id"], (UA, FB, FB, NF, "$run", NF, FB, FB)),
    "approveSettlements": ('mutation { approveSettlements(input: {period: "2024"}) { runs { id } } }',
                           lambda d: [r["id"] for r in d["approveSettlements"]["runs"]],
                           (UA, [], [], [], ["$run"], [], FB, FB)),
    "approveSettlement": ('mutation { approveSettlement(input: {id: "$run"}) { run { status } } }',
                          lambda d: d["approveSettlement"]["run"]["status"], (UA, CF, CF, NF, "APPROVED", NF, FB, FB)),
    "sendBackSettlement": ('mutation { sendBackSettlement(input: {id: "$run", reason: "why"}) { run { status } } }',
                           lambda d: d["sendBackSettlement"]["run"]["status"], (UA, CF, CF, NF, CF, NF, FB, FB)),
    "reopenPeriod": ('mutation { reopenPeriod(input: {county: "haiyan", policy: "haiyan", '
                     'component: "work_equivalent", period: "2024", reason: "why"}) { run { status } } }',
                     lambda d: d["reopenPeriod"]["run"]["status"], (UA, CF, CF, NF, CF, NF, FB, FB)),
    # last: on SQLite the job goes on settling on a thread of the server
    "startSettlementJob": ('mutation { startSettlementJob(input: {period: "2024", counties: ["haiyan"]}) '
                           '{ job { counties { nodes { county { code } } } } } }',
                           lambda d: [c["county"]["code"] for c in d["startSettlementJob"]["job"]["counties"]["nodes"]],
                           (UA, ["haiyan"], ["haiyan"], NF, ["haiyan"], NF, FB, FB)),
}


def test_the_table_covers_every_query_and_mutation():
    fields = {*schema._schema.query_type.fields, *schema._schema.mutation_type.fields}
    assert fields <= {name.split(" ")[0] for name in OPERATIONS}, fields - set(OPERATIONS)


@pytest.fixture
def world(engine, prefectures, graphql_api):
    with Session(engine) as s:
        run = settle(s, "haiyan", "haiyan", "work_equivalent", "2024", user="haiyan team")
        what_if = settle(s, "haiyan", "haiyan", "work_equivalent", "2024", {"risk_fund_rate": "0.2"})
        settle(s, "haiyan", "haiyan", "work_equivalent", "2024")  # the first run current again
        job = jobs.start(s, "2024", ["haiyan"], user="haiyan team")
        s.commit()
        haiyan = s.exec(select(models.County.id).where(models.County.code == "haiyan")).scalars().one()
        ids = {"$run": str(run.id), "$what_if": str(what_if.id), "$county": global_id("County", haiyan),
               "$job": global_id("SettlementJob", job.id)}
    jobs.work(engine, job.id)  # settles nothing new: the run stored is current already
    api = graphql_api(province=dict(role="supervisor"), jiaxing=dict(role="prefecture", prefecture="jiaxing"),
                      huaibei=dict(role="prefecture", prefecture="huaibei"),
                      haiyan=dict(role="county", county_code="haiyan"), other=dict(role="county", county_code="other"),
                      auditor=dict(role="auditor"),
                      centre=dict(role="institution", county_code="haiyan", institution="A"))

    def ask(query: str, role: str) -> dict:
        for name, value in ids.items():
            query = query.replace(name, value)
        return api(query, as_=role if role in api.tokens else None)

    ask.ids = ids
    yield ask
    for thread in threading.enumerate():  # a job started on SQLite: let it finish before the store goes
        if thread.name.startswith("countypay settlement job"):
            thread.join(timeout=60)


@pytest.mark.parametrize("role", ROLES)
def test_what_each_role_may_read_and_do(world, role):
    column = ROLES.index(role)
    got, want = {}, {}
    for name, (query, seen, expected) in OPERATIONS.items():
        result = world(query, role)
        if result.get("errors"):
            got[name] = [e["extensions"]["code"] for e in result["errors"]][0]
        else:
            got[name] = seen(result["data"])
        value = expected[column]
        want[name] = [world.ids.get(v, v) for v in value] if isinstance(value, list) else world.ids.get(value, value)
    assert got == want
