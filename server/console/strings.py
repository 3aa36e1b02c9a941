"""Every word the console shows, in Chinese (first) and English: strings.yaml beside this file,
and each approval status's words from the approval module. A page gets its language's table
embedded, so the server's shells and the browser's scripts read from the same place."""
from __future__ import annotations

from pathlib import Path

from ..approval import STATUS_ZH
from ..yamlio import load

_PAIRS = {**load(Path(__file__).with_name("strings.yaml")),
          **{f"status.{status}": (words, status.replace("_", " ")) for status, words in STATUS_ZH.items()}}

STRINGS = {lang: {key: pair[i] for key, pair in _PAIRS.items()} for i, lang in enumerate(("zh", "en"))}
