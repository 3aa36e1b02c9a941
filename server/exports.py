"""Spreadsheet exports of settlements and indicator values (xlsx and CSV), for county finance staff.

Access is the API's: the viewer `Guard` names (from the Authorization header, or from the
console's sign-in cookie, so that a link opened in a signed-in browser downloads); a county another
viewer may not read looks the same as one that does not exist (404), and anonymous callers get 401.
Figures stay exact: Decimal cells (written digit for digit) with a number format for the eye
(thousands separators, percent for ratios), the exact figure as text beside them, and plain
decimal strings in CSV. A settlement's sheet opens ready to use: Chinese names of its entities and
lines, an autofilter, the explanation of each line in words, and a second sheet with one row per
entity and a total per line.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Optional

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .approval import ACTION_ZH, LEVEL_ZH, STATUS_ZH, chain_of
from .auth import Viewer
from .host import registry
from .attainment import Goals
from .exports_compare import compare_runs
from .models import (Community, County, Indicator, IndicatorValue, Institution, ProjectTask, SettlementRun,
                     Team, Unit)
from .period import Period
from .policy import UNITS, LineSpec
from .settle import run_lines

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_ZH = {"yuan": "元", "yuan/equivalent": "元/当量", "equivalent": "当量", "ratio": "比率", "score": "分",
           "index": "指数", "flag": "是/否", "day": "天", "month": "月", "rank": "名次", "points": "积分", "count": "个"}
DIRECTION_ZH = {"higher": "越高越好", "lower": "越低越好"}
HOP_ZH = {"province_to_prefecture": "省级拨付市级", "prefecture_to_county": "市级拨付县级",
          "county_to_hospital": "县级拨付医共体"}
WORDS_ZH = {
    **DIRECTION_ZH, **HOP_ZH,
    "county": "县级", "township": "乡镇级", "village": "村级",
    "county_hospital": "县级医院", "township_health_centre": "乡镇卫生院", "community_health_centre": "社区卫生服务中心",
    "community_health_station": "社区卫生服务站", "village_clinic": "村卫生室",
    "public_health_institution": "专业公共卫生机构", "private": "民营医疗机构",
    "unit_head": "单元长", "instructor": "指导员", "village_doctor": "村医", "administrator": "管理员",
    "commissioner": "卫健专干", "gp": "全科医生", "nurse": "护士", "public_health": "公共卫生人员", "cdc": "疾控人员",
    "specialist": "专科医生", "other": "其他",
    "central": "中央", "provincial": "省级", "prefecture": "市级", "elderly_checkup": "老年人健康体检",
    "earn": "获得", "redeem": "兑换", "filial": "孝心兑换",
    "all_or_nothing": "达标得满分", "proportional": "按比例得分",
}
"""Codes a trace holds as values, in words (parameter and input names stay as the formula writes them)."""
LINE_HEADERS = ["对象", "对象名称", "项目", "项目名称", "单位", "金额/数值", "精确值", "计算说明"]
VALUE_HEADERS = ["对象", "指标代码", "指标名称", "期间", "数值", "文字值", "单位",
                 "基准值", "方向", "达到基准", "目标值", "达到目标"]
ADDITIVE = {"yuan", "equivalent", "count", "points", "flag", "day"}
"""Units whose figures add up over entities (a total of ratios, scores, ranks or prices means nothing)."""
MAX_ID = 2**31 - 1  # the largest number a row can have (PostgreSQL's integer)


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message


def _error(e: Refused) -> JSONResponse:
    return JSONResponse({"errors": [{"message": e.message, "extensions": {"code": e.code}}]}, status_code=e.status)


def known_ids(endpoint, *names: str):
    """The endpoint, answering 404 for an id in the path beyond any row's number (the database
    would refuse to compare it) before it runs."""
    def checked(request: Request) -> Response:
        for name in names:
            if request.path_params[name] > MAX_ID:
                return _error(Refused(404, "NOT_FOUND", f"no settlement {request.path_params[name]}"))
        return endpoint(request)
    return checked


def _viewer(request: Request) -> Viewer:
    viewer = request.state.viewer
    if viewer.role == "anonymous":
        raise Refused(401, "UNAUTHENTICATED", "a token is needed to export county data: sign in at /signin "
                                              "(the console's cookie), or send Authorization: Bearer …")
    return viewer


def _plain(value: Any, nested: bool = False) -> str:
    """A trace value in words: exact decimals without exponents, yes and no for booleans, 无 for
    nothing, known codes in Chinese, lists and records spelled out."""
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return WORDS_ZH.get(value, value)
        return format(number, "f") if number.is_finite() else value
    if isinstance(value, dict):
        inner = "，".join(f"{k} {_plain(v, True)}" for k, v in value.items()) or "无"
        return f"（{inner}）" if nested else inner
    if isinstance(value, list):
        return "、".join(_plain(v, True) for v in value) or "无"
    return str(value)


TRACE_PARTS = (("inputs", "输入"), ("parameters", "参数"), ("result", "结果"))


def explain(trace: Any) -> str:
    """A trace as one line of words: the step and formula, then each input, parameter and
    finding used, e.g. `§3.1 step 1：R0 = F × risk_fund_rate。输入：F = 10000.00。参数：risk_fund_rate = 0.05`."""
    if not isinstance(trace, dict):
        return _plain(trace)
    parts = ["：".join(str(x) for x in (trace.get("step"), trace.get("formula")) if x)]
    for key, label in TRACE_PARTS:
        items = trace.get(key) or {}
        if isinstance(items, dict) and items:
            parts.append(f"{label}：" + "；".join(f"{k} = {_plain(v)}" for k, v in items.items()))
    return "。".join(p for p in parts if p)


def _yes_no(value: Optional[bool]) -> str:
    return "—" if value is None else ("是" if value else "否")


def number_format(unit: str) -> str:
    """How a figure of the unit shows: thousands separators, its decimals, percent for a ratio,
    是/否 for a flag; the cell keeps the exact number."""
    if unit == "ratio":
        return "0.00%"
    if unit == "flag":
        return '"是";"是";"否"'
    places = UNITS.get(unit, 2)
    return "#,##0" + ("." + "0" * places if places else "")


def _table(ws: Worksheet, block: list[tuple[str, str]], headers: list[str], rows: list[list[Any]],
           formats: Optional[list[str]], widths: Iterable[int], filtered: bool = True) -> None:
    """Fill a worksheet: the header block (label, value), a blank row, then the table with an
    autofilter and the panes frozen under its headers. Decimal cells keep every digit and get the
    row's number format (formats[i] for rows[i], or one format per column when given a dict);
    text is never a formula."""
    bold = Font(bold=True)
    for label, value in block:
        _row(ws, [label, value], None).font = bold
    if block:
        ws.append([])
    top = _row(ws, headers, None).row
    for column in range(1, len(headers) + 1):
        ws.cell(top, column).font = bold
    for i, row in enumerate(rows):
        _row(ws, row, (formats if isinstance(formats, dict) else {c: formats[i] for c in range(len(row))})
             if formats else None)
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    if filtered and headers:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(headers))}{max(top + len(rows), top + 1)}"
    ws.freeze_panes = ws.cell(top + 1, 1)


def _row(ws: Worksheet, values: list[Any], formats: Optional[dict[int, str]]):
    """Append a row and return its first cell: a Decimal gets its column's format, a text that
    starts with "=" stays text. Cells are reached by number: openpyxl's row access scans the
    whole sheet, which made a sheet of 9,000 lines take minutes."""
    ws.append(values)
    r = ws._current_row  # the row append wrote (max_row would scan every cell)
    for column, value in enumerate(values):
        if isinstance(value, Decimal) and formats and column in formats:
            ws.cell(r, column + 1).number_format = formats[column]
        elif isinstance(value, str) and value.startswith("="):
            ws.cell(r, column + 1).data_type = "s"
    return ws.cell(r, 1)


def _sheet(title: str, block: list[tuple[str, str]], headers: list[str], rows: list[list[Any]],
           formats: Optional[list[str]], widths: Iterable[int]) -> bytes:
    """An xlsx of one table (see _table)."""
    wb = Workbook()
    wb.active.title = title
    _table(wb.active, block, headers, rows, formats, widths)
    return _saved(wb)


def _saved(wb: Workbook) -> bytes:
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


def spec_for(specs: Iterable[LineSpec], entity: str, code: str) -> Optional[LineSpec]:
    """The spec a line comes from: a county line's among the county's specs first, any other
    line's among the rest; a spec whose placeholders stand for dot-free parts before one whose
    placeholder spans dots (`standard.<g>` of `standard.employee.le60`)."""
    specs = list(specs)
    own = [s for s in specs if (s.entity == "county") == (entity == "county")]
    for dotted in (False, True):
        for group in (own, specs):
            for spec in group:
                if spec.matches(code, dotted):
                    return spec
    return None


def entity_names(session: Session, county: County) -> dict[str, dict[str, str]]:
    """The county's entities by kind (a LineSpec's entity), code → Chinese name."""
    names = {"county": {"county": county.name_zh}, "hop": HOP_ZH}
    for kind, model in (("institution", Institution), ("unit", Unit), ("community", Community), ("team", Team),
                        ("task", ProjectTask)):
        names[kind] = {code: name for code, name in session.execute(
            select(model.code, model.name_zh).where(model.county_id == county.id)) if name}
    names["grid"] = names["unit"]  # a grid is a unit
    return names


def _name_of(names: dict[str, dict[str, str]], kind: Optional[str], entity: str) -> str:
    """The entity's name as its kind's table has it, else as any table has it (a community's
    surplus is declared a county line), else none."""
    for table in (kind, "county", "community", "institution", "unit", "team", "task"):
        if entity in names.get(table or "", {}):
            return names[table][entity]
    return ""


def settlement(request: Request) -> Response:
    """GET /export/settlements/{id}.xlsx|.csv: a run's header block and its lines (with the
    xlsx, a second sheet of totals)."""
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
            names = entity_names(s, county)
            chain = chain_of(s, run)
    except Refused as e:
        return _error(e)
    policy, component, specs = run.policy, run.component, ()
    try:
        pol = registry().policy(run.policy)
        comp = pol.component(run.component)
        policy, component, specs = f"{pol.name_zh} ({pol.code})", f"{comp.name_zh} ({run.component})", comp.lines
    except KeyError:  # a run of a plugin no longer installed still exports
        pass
    stage = "已验收，期间关闭" if chain.stage is None else \
        f"待{LEVEL_ZH[chain.stage]}审批" if chain.current else "已被新版本取代"
    block = [("结算编号", str(run.id)), ("县", _county_label(county)), ("政策", policy), ("组成部分", component),
             ("期间", run.period), ("状态", STATUS_ZH.get(chain.status, chain.status)), ("审批环节", stage),
             ("参数版本", run.parameter_version), ("输入哈希", run.input_hash)]
    if run.approved_by:
        block.append(("审批人", run.approved_by))
    if chain.steps:  # the chain's last step: who did what, when and why
        last = chain.steps[-1]
        block.append(("最近一步", f"{LEVEL_ZH[last.level]}{ACTION_ZH[last.action]}：{last.actor}，"
                                 f"{last.at:%Y-%m-%d %H:%M} (UTC)"))
        if last.reason:
            block.append(("理由", last.reason))
    found = [(l, spec_for(specs, l.entity, l.code)) for l in lines]
    rows = [[l.entity, _name_of(names, spec.entity if spec else None, l.entity), l.code,
             spec.name_zh if spec and spec.name_zh else "", UNIT_ZH.get(l.unit, l.unit), l.value, str(l.value),
             explain(l.trace)] for l, spec in found]
    if fmt == "csv":
        return _file(fmt, f"settlement-{run.id}", _csv(block, LINE_HEADERS, rows))
    wb = Workbook()
    wb.active.title = "结算明细"
    _table(wb.active, block, LINE_HEADERS, rows, [number_format(l.unit) for l in lines],
           widths=(14, 22, 24, 22, 8, 18, 18, 100))
    _totals(wb.create_sheet("汇总"), found, rows)
    return _file(fmt, f"settlement-{run.id}", _saved(wb))


PIVOT_COLUMNS = 40  # more line codes than this, and the lines of one pattern share a column


def _totals(ws: Worksheet, found: list, rows: list[list[Any]]) -> None:
    """One row per entity with its figures, one column per line code, and a last row of totals
    per line over the entities (the county's own lines, already totals, left out). When a run has
    more codes than PIVOT_COLUMNS, the lines of one pattern (the twelve monthly advances, a
    village clinic's part each) are summed into one column when their unit adds up, and left to
    the detail sheet when it does not."""
    columns: dict[str, dict] = {}  # key -> {title, unit}
    table: dict[str, dict[str, Decimal]] = defaultdict(dict)  # entity -> key -> figure
    labels: dict[str, str] = {}
    collapse = len({line.code for line, _ in found}) > PIVOT_COLUMNS
    for (line, spec), row in zip(found, rows):
        patterned = collapse and spec is not None and "<" in spec.code
        if patterned and line.unit not in ADDITIVE:
            continue  # a ratio or score per year, source or indicator: in the detail sheet only
        key = spec.code if patterned else line.code
        if key not in columns:
            name = spec.name_zh if spec and spec.name_zh else ""
            columns[key] = {"title": f"{name} ({key})" if name else key, "unit": line.unit}
        figures = table[line.entity]
        figures[key] = figures.get(key, Decimal(0)) + line.value if patterned else line.value
        labels[line.entity] = row[1]
    keys = list(columns)
    headers = ["对象", "对象名称", *(columns[k]["title"] for k in keys)]
    body = [[entity, labels[entity], *(table[entity].get(k) for k in keys)] for entity in table]
    totals = ["合计", "各对象（不含县级汇总行）"]
    for k in keys:
        if columns[k]["unit"] in ADDITIVE:
            figures = [f[k] for e, f in table.items() if e != "county" and k in f]
            totals.append(sum(figures, Decimal(0)) if figures else None)
        else:
            totals.append(None)
    formats = {i: number_format(columns[k]["unit"]) for i, k in enumerate(keys, start=2)}
    note = "每行一个对象，每列一个项目" + ("；同一模式的项目（如各月预拨）合为一列" if collapse else "") + \
        "；末行为各项目合计（可加总的单位）"
    _table(ws, [("说明", note)], headers, body, formats, widths=(14, 22, *(18 for _ in keys)))
    first = _row(ws, totals, formats)
    for column in range(1, len(totals) + 1):
        ws.cell(first.row, column).font = Font(bold=True)


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
        if any("\x00" in v for v in q.values()):
            raise Refused(400, "BAD_INPUT", "a parameter holds a NUL byte (%00), which no code holds")
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
    Route("/export/settlements/{id:int}.{fmt}", known_ids(settlement, "id")),
    Route("/export/indicator-values.{fmt}", indicator_values),
    Route("/export/compare/{a:int}-{b:int}.{fmt}", known_ids(compare_runs, "a", "b")),
]
