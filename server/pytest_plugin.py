"""pytest plugin: every `*.case.yaml` file that pytest is pointed at runs as a test."""
from __future__ import annotations

import pytest

from . import cases


def pytest_collect_file(file_path, parent):
    if file_path.name.endswith(".case.yaml"):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        yield CaseItem.from_parent(self, name=self.path.name.removesuffix(".case.yaml"))


class CaseDiffers(Exception):
    pass


class CaseItem(pytest.Item):
    def runtest(self) -> None:
        result = cases.run(cases.load(self.path))
        if not result.ok:
            raise CaseDiffers("\n".join(result.differences))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (CaseDiffers, cases.InvalidCase)):
            return f"{self.path}:\n{excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"case: {self.name}"
