"""Settlement jobs over GraphQL, on SQLite and PostgreSQL: startSettlementJob returns the job at
once (SQLite settles it on a thread of the server, PostgreSQL queues it for workers) and
settlementJob follows it to its runs or its counties' errors. Which role may do what is in
test_roles.py's table; the rules of scope are here."""
import threading

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from countypay import jobs, models
from countypay.auth import create_token
from countypay.schema.types import parse_global_id
from countypay.settle import latest_run

START = """mutation Start($input: StartSettlementJobInput!) {
  startSettlementJob(input: $input) { job { id state total pending counties { nodes { county { code } } } } }
}"""
JOB = """query Job($id: ID!) {
  settlementJob(id: $id) {
    id period state total done failed pending createdBy
    counties { nodes { county { code } state lines error worker finishedAt runs { id policy component } } }
  }
}"""


@pytest.fixture
def world(graphql_api):
    """Haiyan (one component to settle) and a county with none, a token of each county, a
    supervisor and an auditor; ask(query, role, variables) answers data, or the errors' codes."""
    api = graphql_api("haiyan-bundle", "other-bundle", province=dict(role="supervisor", name="province office"),
                      haiyan=dict(role="county", county_code="haiyan", name="haiyan team"),
                      other=dict(role="county", county_code="other", name="other team"), auditor=dict(role="auditor"))

    def ask(query: str, role: str, variables: dict | None = None):
        body = api(query, variables, as_=role if role in api.tokens else None)
        return [e["extensions"]["code"] for e in body["errors"]] if body.get("errors") else body["data"]

    ask.tokens = api.tokens
    yield ask
    join_threads()


def job_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("countypay settlement job")]


def join_threads() -> None:
    for thread in job_threads():
        thread.join(timeout=120)
        assert not thread.is_alive(), thread.name


def number(global_id: str) -> int:
    kind, key = parse_global_id(global_id)
    assert kind == "SettlementJob"
    return key


def test_a_county_token_settles_its_county_as_a_job_and_follows_it_to_its_runs(engine, world):
    started = world(START, "haiyan", {"input": {"period": "2024"}})["startSettlementJob"]["job"]
    assert [c["county"]["code"] for c in started["counties"]["nodes"]] == ["haiyan"] and started["total"] == 1
    if engine.dialect.name == "sqlite":  # a thread of the server settles it
        join_threads()
    else:  # queued: nothing is settled until a `countypay worker` takes it
        assert (started["state"], started["pending"]) == ("QUEUED", 1) and job_threads() == []
        assert world(JOB, "haiyan", {"id": started["id"]})["settlementJob"]["state"] == "QUEUED"
        assert jobs.work(engine, number(started["id"])) == 1
    job = world(JOB, "haiyan", {"id": started["id"]})["settlementJob"]
    with Session(engine) as s:
        haiyan = s.exec(select(models.County).where(models.County.code == "haiyan")).scalars().one()
        run = latest_run(s, haiyan.id, "haiyan", "work_equivalent", "2024")
        lines = s.execute(select(func.count()).select_from(models.SettlementLine)
                          .where(models.SettlementLine.run_id == run.id)).scalar_one()
    assert (job["state"], job["period"], job["done"], job["failed"], job["pending"]) == ("DONE", "2024", 1, 0, 0)
    assert job["createdBy"] == "haiyan team"
    [county] = job["counties"]["nodes"]
    assert county["runs"] == [{"id": str(run.id), "policy": "haiyan", "component": "work_equivalent"}]
    assert county["state"] == "DONE" and county["lines"] == lines > 0 and county["error"] is None
    assert county["worker"] and county["finishedAt"]
    # the number `countypay settle` prints names it too, and node() refetches it
    assert world(JOB, "haiyan", {"id": str(number(started["id"]))})["settlementJob"]["id"] == started["id"]
    node = world("query N($id: ID!) { node(id: $id) { id ... on SettlementJob { state } } }", "haiyan",
                 {"id": started["id"]})["node"]
    assert node == {"id": started["id"], "state": "DONE"}


def test_the_request_returns_at_once_and_only_sqlite_settles_in_the_server(engine, world, monkeypatch):
    release, real = threading.Event(), jobs.work

    def held(*args, **kwargs):  # the settlement waits until the answer is in
        assert release.wait(60)
        return real(*args, **kwargs)
    monkeypatch.setattr(jobs, "work", held)
    started = world(START, "province", {"input": {"period": "2024"}})["startSettlementJob"]["job"]
    assert started["state"] == "QUEUED" and [c["county"]["code"] for c in started["counties"]["nodes"]] == ["haiyan", "other"]
    assert len(job_threads()) == (1 if engine.dialect.name == "sqlite" else 0)
    release.set()
    join_threads()
    job = world(JOB, "province", {"id": started["id"]})["settlementJob"]
    if engine.dialect.name == "sqlite":
        assert (job["state"], job["done"]) == ("DONE", 2)
        assert [len(c["runs"]) for c in job["counties"]["nodes"]] == [1, 0]  # the other county has nothing to settle
    else:
        assert (job["state"], job["pending"]) == ("QUEUED", 2)


def test_a_failing_county_is_reported_beside_the_settled_one(engine, world):
    with Session(engine) as s:
        job = jobs.start(s, "2024", ["haiyan", "other"], user="test")
        broken = s.exec(select(models.SettleJobCounty).where(models.SettleJobCounty.job_id == job.id,
                                                             models.SettleJobCounty.county == "other")).scalars().one()
        broken.settles = [["haiyan", "no_such_component"]]
        s.commit()
        job_id = job.id
    assert jobs.work(engine, job_id) == 2
    job = world(JOB, "province", {"id": str(job_id)})["settlementJob"]
    assert (job["state"], job["done"], job["failed"], job["pending"]) == ("FAILED", 1, 1, 0)
    haiyan, other = job["counties"]["nodes"]
    assert haiyan["state"] == "DONE" and len(haiyan["runs"]) == 1 and haiyan["error"] is None
    assert other["state"] == "FAILED" and other["runs"] == [] and "no_such_component" in other["error"]


def test_who_may_start_and_read_which_job(engine, world):
    ask = lambda role, **input: world(START, role, {"input": {"period": "2024", **input}})  # noqa: E731
    assert ask("haiyan", counties=["other"]) == ["NOT_FOUND"]  # a county it may not read looks missing
    assert ask("haiyan", counties=["nowhere"]) == ["NOT_FOUND"]
    assert ask("haiyan", counties=[]) == ["BAD_INPUT"]
    assert ask("auditor") == ["FORBIDDEN"] and ask("anonymous") == ["UNAUTHENTICATED"]
    with Session(engine) as s:  # a prefecture of no county settles nothing, not the province
        province_id = s.exec(select(models.Province.id)).scalars().first()
        s.add(models.Prefecture(code="empty", province_id=province_id, name_zh="空"))
        s.flush()
        world.tokens["empty"] = create_token(s, "prefecture", prefecture="empty")[1]
        s.commit()
    assert ask("empty") == ["NOT_FOUND"]
    own = ask("haiyan", counties=["haiyan", "haiyan"])["startSettlementJob"]["job"]
    assert own["total"] == 1
    province = ask("province")["startSettlementJob"]["job"]
    assert province["total"] == 2
    join_threads()
    # a job is read by a token that may read every county of it; to the others it is missing
    assert world(JOB, "haiyan", {"id": province["id"]}) == ["NOT_FOUND"]
    assert world(JOB, "other", {"id": own["id"]}) == ["NOT_FOUND"]
    assert world(JOB, "auditor", {"id": own["id"]})["settlementJob"]["id"] == own["id"]
    assert world(JOB, "anonymous", {"id": own["id"]}) == ["UNAUTHENTICATED"]
    for garbage in ("999", "U2V0dGxlbWVudEpvYjp4", "County:1", "99999999999"):
        assert world(JOB, "province", {"id": garbage}) == ["NOT_FOUND"], garbage
