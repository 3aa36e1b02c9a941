"""GET /export/compare/{a}-{b}.xlsx|.csv: two runs of the same county, policy, component and
period side by side (comparison.py), for a county that corrects a version sent back, or a
prefecture that checks what changed. Access is the exports' own (exports.py): a run the viewer
may not see is a 404; an institution sees its own lines.
"""
from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from .approval import STATUS_ZH, chain_of
from .comparison import NotComparable, compare
from .models import County, SettlementRun
from .policy import UNITS

HEADERS = ["对象", "项目", "单位", "结算 {a}", "结算 {b}", "差额", "变化"]
KIND_ZH = {"changed": "变化", "only_a": "仅在结算 {a}", "only_b": "仅在结算 {b}"}


def compare_runs(request: Request) -> Response:
    from .exports import Refused, _county_label, _csv, _error, _file, _plain, _sheet, _viewer, UNIT_ZH

    try:
        fmt = request.path_params["fmt"]
        if fmt not in ("xlsx", "csv"):
            raise Refused(404, "NOT_FOUND", "exports are .xlsx or .csv")
        viewer = _viewer(request)
        with Session(request.app.state.engine) as s:
            runs = []
            for key in ("a", "b"):
                run = s.get(SettlementRun, request.path_params[key])
                if run is None or not viewer.sees_runs(run.county_id):
                    raise Refused(404, "NOT_FOUND", f"no settlement {request.path_params[key]}")
                runs.append(run)
            a, b = runs
            try:
                found = compare(s, a, b, viewer.entity)
            except NotComparable as e:
                raise Refused(400, "BAD_INPUT", str(e)) from None
            county = s.get(County, a.county_id)
            states = [chain_of(s, r).status for r in runs]
    except Refused as e:
        return _error(e)
    names = {"a": a.id, "b": b.id}
    if found.changed_inputs is None:
        inputs = "不同（早期结算未保存各项输入摘要）"
    else:
        inputs = "不同：" + "、".join(found.changed_inputs) if found.changed_inputs else "相同"
    block = [("对比", f"结算 {a.id} → 结算 {b.id}"), ("县", _county_label(county)), ("政策", a.policy),
             ("组成部分", a.component), ("期间", a.period),
             *[(f"结算 {r.id}", f"{STATUS_ZH.get(st, st)}；参数版本 {r.parameter_version}；输入哈希 {r.input_hash}")
               for r, st in zip(runs, states)],
             *[(f"参数 {p.name}", f"{_plain(p.a)} → {_plain(p.b)}") for p in found.parameters],
             ("输入", inputs), ("未变化的行", str(found.unchanged))]
    headers = [h.format(**names) for h in HEADERS]
    rows = [[l.entity, l.code, UNIT_ZH.get(l.unit, l.unit), l.a, l.b, l.difference, KIND_ZH[l.kind].format(**names)]
            for l in found.lines]
    name = f"compare-{a.id}-{b.id}"
    if fmt == "csv":
        return _file(fmt, name, _csv(block, headers, rows))
    formats = ["0." + "0" * UNITS.get(l.unit, 2) for l in found.lines]
    return _file(fmt, name, _sheet("结算对比", block, headers, rows, formats, widths=(14, 24, 10, 16, 16, 16, 16)))
