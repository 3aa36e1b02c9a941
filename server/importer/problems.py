"""What is wrong with a bundle: each problem names its file, row, field and reason; the first
MAX_ERRORS are kept whole and every one is counted, so an operator learns exactly how many."""
from __future__ import annotations

from typing import Optional

from ..errors import InputError

MAX_ERRORS = 50
EXAMPLES = 3  # rows shown of a group of problems


def shown(field: str) -> str:
    """A column name fit to print: quoted when blank or holding what a terminal cannot show."""
    return field if field and field.isprintable() else repr(field)


class Problem(str):
    """One problem: `file`, `row` (None for the whole file or one of its columns), `field` and
    `reason`. It is a str, its message (`file row N, field F: reason`, `file, column C: reason`),
    so it prints and compares as the import's messages always have."""

    file: str
    row: Optional[int]
    field: Optional[str]
    reason: str

    def __new__(cls, file: str, row: Optional[int], field: Optional[str], reason: str) -> "Problem":
        where = file if row is None else f"{file} row {row}"
        if field is not None:
            where += f", {'column' if row is None else 'field'} {shown(field)}"
        self = super().__new__(cls, f"{where}: {reason}")
        self.file, self.row, self.field, self.reason = file, row, field, reason
        return self


class Group:
    """The problems of one file and field: how many, and the reason when they all share one."""

    def __init__(self, reason: str):
        self.count, self.reason = 0, reason

    def add(self, reason: str) -> None:
        self.count += 1
        if reason != self.reason:
            self.reason = None


class Problems:
    """The problems of one import, in the order found."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.groups: dict[tuple[str, Optional[str]], Group] = {}

    def add(self, file: str, row: Optional[int], field: Optional[str], reason: str) -> None:
        self.groups.setdefault((file, field), Group(reason)).add(reason)
        if len(self.kept) < MAX_ERRORS:
            self.kept.append(Problem(file, row, field, reason))

    def extend(self, problems: list[Problem]) -> None:
        for p in problems:
            self.add(p.file, p.row, p.field, p.reason)

    def __bool__(self) -> bool:
        return bool(self.groups)

    def refused(self, where: str) -> "ImportFailed":
        return ImportFailed(where, self.kept, self.groups)


class ImportFailed(InputError):
    """The import was refused; nothing was written. `problems` holds the first MAX_ERRORS,
    `total` counts them all and `groups` counts them by file and field."""

    def __init__(self, where: str, problems: list[Problem], groups: dict | None = None):
        super().__init__(where, problems)
        if groups is None:
            found = Problems()
            found.extend(problems)
            groups = found.groups
        self.groups = groups
        self.total = sum(g.count for g in groups.values())

    def summary(self) -> list[str]:
        """The problems as an operator reads them: by file and field, each group once with its
        count and a few of its rows, so a mistake on every row reads as one line."""
        lines = []
        keys = list(dict.fromkeys([(p.file, p.field) for p in self.problems] + list(self.groups)))
        for key in keys:
            group, found = self.groups[key], [p for p in self.problems if (p.file, p.field) == key]
            if group.count == 1 and found:
                lines.append(str(found[0]))
                continue
            file, field = key
            head = file if field is None else f"{file}, field {shown(field)}"
            rows = [str(p.row) for p in found[:EXAMPLES] if p.row is not None]
            more = group.count - len(rows)
            if group.reason is not None:
                which = (f"rows {', '.join(rows)}" + (f" and {more} more" if more else "")) if rows else \
                    f"{group.count} row" + ("s" if group.count > 1 else "")
                lines.append(f"{head}: {group.reason} ({which})")
                continue
            lines.append(f"{head}: {group.count} problems")
            lines += [f"  row {p.row}: {p.reason}" for p in found[:EXAMPLES] if p.row is not None]
            if more:
                lines.append(f"  … and {more} more")
        return lines
