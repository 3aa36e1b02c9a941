"""Bundles made of what the installed plugins contribute: the rows of the `countypay_demo` and
`countypay_synth` hooks (hookspecs.py), checked against the bundle's tables and written as one
CSV file per table, the format `countypay load` imports (so the import checks every row).

Plugins are asked in name order. Rows of the tables that belong to no county (provinces,
prefectures, indicators, service items) may come from several plugins: the first row of each
code is kept.
Money and other numbers are written as their exact text; nothing passes through a float.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ..hookspecs import DemoData, Rows
from ..host import PluginError, registry
from ..importer.geometry import FILE as GEOMETRY
from ..load import TABLES

SEED = 20240101  # the demo's random seed: any fixed number; the same number gives the same bundle
YEAR = 2024  # the year the demo settles
COLUMNS = {t.name: list(t.row.model_fields) for t in TABLES}
SHARED = {t.name: t.key for t in TABLES if "county" not in t.row.model_fields}
"""The tables that belong to no county, by their key."""


def contributions(hook: str, **arguments: Any) -> list[tuple[str, Any]]:
    """(plugin name, what it returned) for every installed plugin that implements `hook` and
    returns something, in name order. A plugin that fails is named."""
    caller = getattr(registry().pm.hook, hook)
    found = []
    for impl in sorted(caller.get_hookimpls(), key=lambda impl: impl.plugin_name):
        result = call(impl.plugin_name, hook, impl.function, *[arguments[a] for a in impl.argnames])
        if result is not None:
            found.append((impl.plugin_name, result))
    return found


def call(plugin: str, what: str, function, *args: Any) -> Any:
    """A plugin's function called; any failure is the plugin's, and says so."""
    try:
        return function(*args)
    except Exception as e:
        raise PluginError(f"plugin {plugin!r}: {what} failed: {type(e).__name__}: {e}") from e


def demo_data(seed: int = SEED, year: int = YEAR) -> list[tuple[str, DemoData]]:
    """What every installed plugin contributes to the demo."""
    return contributions("countypay_demo", seed=seed, year=year)


class Bundle:
    """Rows per table, kept in the order given and written in the column order of the import's
    row models."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {name: [] for name in COLUMNS}
        self.features: list[dict] = []  # the map's features (geometry.geojson)
        self.held: set[tuple] = set()  # (table, key) of the rows of shared tables taken so far

    def add(self, rows: Rows, plugin: str) -> None:
        """Take a plugin's rows, naming the plugin if a table or column is not a bundle's."""
        for table, items in rows.tables.items():
            if table not in COLUMNS:
                raise PluginError(f"plugin {plugin!r}: no bundle table {table!r} (tables: {', '.join(COLUMNS)})")
            for row in items:
                unknown = set(row) - set(COLUMNS[table])
                if unknown:
                    raise PluginError(f"plugin {plugin!r}: the {table} table has no column "
                                      f"{', '.join(sorted(unknown))} (columns: {', '.join(COLUMNS[table])})")
                if table in SHARED:
                    key = (table, *(row.get(k) for k in SHARED[table]))
                    if key in self.held:
                        continue
                    self.held.add(key)
                self.rows[table].append(row)
        self.features += rows.features

    def clear(self) -> None:
        """Drop the rows written, remembering the shared ones (so a later county repeats none)."""
        self.rows = {name: [] for name in COLUMNS}
        self.features = []

    def write(self, folder: Path, append: bool = False) -> list[Path]:
        """Write one CSV per table that has rows, and the map's features as geometry.geojson;
        `append` adds them to the files an earlier write began, so a large bundle is written a
        county at a time."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for table, rows in self.rows.items():
            if not rows:
                continue
            path = folder / f"{table}.csv"
            fresh = not (append and path.exists())
            with open(path, "w" if fresh else "a", encoding="utf-8", newline="") as f:
                out = csv.writer(f, lineterminator="\n")
                if fresh:
                    out.writerow(COLUMNS[table])
                out.writerows([cell(row.get(c)) for c in COLUMNS[table]] for row in rows)
            written.append(path)
        if self.features:  # one FeatureCollection: appending reads the features written before
            path = folder / GEOMETRY
            before = json.loads(path.read_text(encoding="utf-8"))["features"] if append and path.exists() else []
            path.write_text(json.dumps({"type": "FeatureCollection", "features": before + self.features},
                                       ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            written.append(path)
        return written


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def write_bundle(folder: Path, seed: int = SEED, year: int = YEAR) -> list[Path]:
    """Write the whole demo bundle (every installed plugin's part) into `folder`."""
    bundle = Bundle()
    for plugin, data in demo_data(seed, year):
        bundle.add(data.rows, plugin)
    return bundle.write(Path(folder))
