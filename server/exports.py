"""Spreadsheet exports of settlements and indicator values (xlsx and CSV), for county finance staff.

Access is the API's: the viewer `Guard` names (from the Authorization header, or from the
console's sign-in cookie, so that a link opened in a signed-in browser downloads); a county another
viewer may not read looks the same as one that does not exist (404), and anonymous callers get 401.
Figures stay exact: Decimal cells (written digit for digit) with a fixed number format, and plain
decimal strings in CSV.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Optional

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import Viewer
from .host import registry
from .attainment import Goals
from .exports_compare import compare_runs
from .models import County, Indicator, IndicatorValue, SettlementRun
from .period import Period
from .policy import UNITS
from .settle import run_lines

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_ZH = {"yuan": "元", "yuan/equivalent": "元/当量", "equivalent": "当量"}
STATUS_ZH = {"draft": "草稿", "approved": "已审批"}
DIRECTION_ZH = {"higher": "越高越好", "lower": "越低越好"}
LINE_HEADERS = ["对象", "项目", "单位", "金额/数值", "计算说明"]
VALUE_HEADERS = ["对象", "指标代码", "指标名称", "期间", "数值", "文字值", "单位",
                 "基准值", "方向", "达到基准", "目标值", "达到目标"]


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message


def _error(e: Refused) -> JSONResponse:
    return JSONResponse({"errors": [{"message": e.message, "extensions": {"code": e.code}}]}, status_code=e.status)


def _viewer(request: Request) -> Viewer:
    viewer = request.state.viewer
    if viewer.role == "anonymous":
        raise Refused(401, "UNAUTHENTICATED", "a token is needed to export county data: sign in at /signin "
                                              "(the console's cookie), or send Authorization: Bearer …")
    return viewer


def _plain(value: Any) -> str:
    """A trace value as people read it: exact decimals without exponents, nested values spelled out."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return format(number, "f") if number.is_finite() else value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return str(value)


def explain(trace: Any) -> str:
    """A trace as one readable line: the step and formula, then each input, parameter and
    finding used."""
    if not isinstance(trace, dict):
        return _plain(trace)
    used = "; ".join(f"{k} = {_plain(v)}" for part in ("inputs", "parameters", "result")
                     for k, v in (trace.get(part) or {}).items())
    head = ": ".join(x for x in (trace.get("step"), trace.get("formula")) if x)
    return f"{head} ({used})" if head and used else head or used


def _yes_no(value: Optional[bool]) -> str:
    return "—" if value is None else ("是" if value else "否")


def _sheet(title: str, block: list[tuple[str, str]], headers: list[str], rows: list[list[Any]],
           formats: Optional[list[str]], widths: Iterable[int]) -> bytes:
    """An xlsx: the header block (label, value), a blank row, then the table; Decimal cells keep
    every digit and get the row's number format (formats[i] for rows[i]); text is never a formula."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for label, value in block:
        ws.append([label, value])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        if ws.cell(ws.max_row, 2).data_type == "f":
            ws.cell(ws.max_row, 2).data_type = "s"
    ws.append([])
    ws.append(headers)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for i, row in enumerate(rows):
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, Decimal) and formats:
                cell.number_format = formats[i]
            elif cell.data_type == "f":  # a stored text that starts with "="
                cell.data_type = "s"
    for column, width in zip("ABCDEFGHIJKL", widths):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = ws.cell(len(block) + 3, 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as written: text that it would take for a formula (a
    leading =, +, -, @, tab or carriage return) gets a leading apostrophe, as OWASP advises.
    Numbers stay numbers: a negative amount is data, not a formula."""
    if value is None:
        return ""
    if isinstance(value, (Decimal, int)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv(block: list[tuple[str, str]], headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    """CSV in UTF-8 with a BOM, so that Excel reads the Chinese right; every text cell escaped."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    for row in (*block, (), headers, *rows):
        w.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _file(fmt: str, name: str, body: bytes) -> Response:
    media = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _county_label(county: County) -> str:
    return f"{county.name_zh} ({county.code})"


def settlement(request: Request) -> Response:
    """GET /export/settlements/{id}.xlsx|.csv: a run's header block and its lines."""
    try:
        fmt = request.path_params["fmt"]
        if fmt not in ("xlsx", "csv"):
            raise Refused(404, "NOT_FOUND", "exports are .xlsx or .csv")
        viewer = _viewer(request)
        run_id = request.path_params["id"]
        with Session(request.app.state.engine) as s:
            run = s.get(SettlementRun, run_id)
            if run is None or not viewer.may_read(run.county_id):
                raise Refused(404, "NOT_FOUND", f"no settlement {run_id}")
            county = s.get(County, run.county_id)
            lines = run_lines(s, run.id)
    except Refused as e:
        return _error(e)
    policy, component = run.policy, run.component
    try:
        pol = registry().policy(run.policy)
        policy = f"{pol.name_zh} ({pol.code})"
        component = f"{pol.component(run.component).name_zh} ({run.component})"
    except KeyError:  # a run of a plugin no longer installed still exports
        pass
    block = [("结算编号", str(run.id)), ("县", _county_label(county)), ("政策", policy), ("组成部分", component),
             ("期间", run.period), ("状态", STATUS_ZH.get(run.status, run.status)), ("参数版本", run.parameter_version),
             ("输入哈希", run.input_hash)]
    if run.approved_by:
        block.append(("审批人", run.approved_by))
    rows = [[l.entity, l.code, UNIT_ZH.get(l.unit, l.unit), l.value, explain(l.trace)] for l in lines]
    if fmt == "csv":
        return _file(fmt, f"settlement-{run.id}", _csv(block, LINE_HEADERS, rows))
    formats = ["0." + "0" * UNITS.get(l.unit, 2) for l in lines]
    body = _sheet("结算明细", block, LINE_HEADERS, rows, formats, widths=(14, 24, 10, 16, 90))
    return _file(fmt, f"settlement-{run.id}", body)


def indicator_values(request: Request) -> Response:
    """GET /export/indicator-values.xlsx|.csv?county=C[&indicator=I][&period=P], with attainment."""
    fmt = request.path_params["fmt"]
    q = request.query_params
    try:
        if fmt not in ("xlsx", "csv"):
            raise Refused(404, "NOT_FOUND", "exports are .xlsx or .csv")
        viewer = _viewer(request)
        code = q.get("county")
        if not code:
            raise Refused(400, "BAD_INPUT", "name a county: ?county=CODE")
        period = q.get("period")
        if period:
            try:
                period = str(Period.parse(period))
            except ValueError as e:
                raise Refused(400, "BAD_INPUT", str(e)) from None
        with Session(request.app.state.engine) as s:
            county = s.exec(select(County).where(County.code == code)).scalars().first()
            if county is None or not viewer.may_read(county.id):
                raise Refused(404, "NOT_FOUND", f"no county {code!r}")
            V, I = IndicatorValue, Indicator
            stmt = select(V, I).join(I, I.id == V.indicator_id).where(V.county_id == county.id)
            if q.get("indicator"):
                stmt = stmt.where(I.code == q["indicator"])
            if period:
                stmt = stmt.where(V.period == period)
            found = s.execute(stmt.order_by(I.code, V.entity, V.period)).all()
            goals = Goals(s)
            rows = []
            for v, ind in found:
                st = goals.standing(ind, county.id, v.period, v.value)
                rows.append([v.entity, ind.code, ind.name_zh, v.period, v.value, v.text, ind.unit, st.benchmark,
                             DIRECTION_ZH.get(ind.direction or "", "—"), _yes_no(st.meets_benchmark),
                             st.target, _yes_no(st.meets_target)])
    except Refused as e:
        return _error(e)
    block = [("县", _county_label(county)), ("指标", q.get("indicator") or "全部"), ("期间", period or "全部")]
    name = f"indicator-values-{county.code}"
    if fmt == "csv":
        return _file(fmt, name, _csv(block, VALUE_HEADERS, rows))
    body = _sheet("指标值", block, VALUE_HEADERS, rows, None, widths=(12, 24, 28, 10, 12, 10, 10, 10, 10, 10, 10, 10))
    return _file(fmt, name, body)


routes = [
    Route("/export/settlements/{id:int}.{fmt}", settlement),
    Route("/export/indicator-values.{fmt}", indicator_values),
    Route("/export/compare/{a:int}-{b:int}.{fmt}", compare_runs),
]
