"""What the framework judges share: the edge values and the field-by-field comparison.

A value is compared by its type and its ``str()`` (the issue's bar): ``==`` would let
Django's model equality (primary keys only) and ``Decimal('-0.5') == Decimal('-0.5000')``
hide a difference. Two normalizations are made, both for differences that belong to a
driver and not to the data, and each is counted so the summary shows it was used:

- JSON (dict / list): compared as JSON text with sorted keys, because PostgreSQL's jsonb
  stores the keys of an object in its own order (shorter keys first). Nested types still
  count: 1 and 1.0, a 30-digit integer and a float, true and 1 all differ.
- memoryview: compared as bytes (Django returns bytea as memoryview on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from decimal import Decimal
from pathlib import Path

I64_MAX = 2**63 - 1
I64_MIN = -(2**63)
I32_MAX = 2**31 - 1
I32_MIN = -(2**31)
I16_MAX = 2**15 - 1
I16_MIN = -(2**15)
F64_MAX = 1.7976931348623157e308
F64_TINY = 1e-300
UTC = dt.timezone.utc
ALL_BYTES = bytes(range(256))
HARD_TEXT = 'He said "hi" — it\'s C:\\path\\n, a backslash \\ and\nnewlines\r\n\ttab 🎉 ü ß 漢字'
BIG_JSON = {
    "big": 123456789012345678901234567890,
    "neg": -123456789012345678901234567890,
    "float": 2.5,
    "kind": "alpha",
    "nested": {"list": [1, None, True, False, "é🎉"], "deep": {"k": "v", "empty": {}}},
}
# Values of one unique column that MariaDB's default collation (utf8mb4_general_ci,
# PAD SPACE) makes equal and PostgreSQL keeps apart: by case, and by trailing spaces.
CASE_PAIR = ("tag-00-eco", "TAG-00-ECO")
PAD_PAIR = ("pad-01", "pad-01 ")

NORMALIZED = {"json": 0, "memoryview": 0}


def typed(value) -> tuple[str, str]:
    """(type name, text) of a value as the ORM returned it."""
    if isinstance(value, memoryview):
        NORMALIZED["memoryview"] += 1
        value = bytes(value)
    if isinstance(value, (dict, list)):
        NORMALIZED["json"] += 1
        return type(value).__name__, json.dumps(value, sort_keys=True, ensure_ascii=False)
    return type(value).__qualname__, str(value)


def show(value) -> str:
    kind, text = typed(value)
    if len(text) > 120:
        text = text[:117] + "…"
    return f"{kind} {text!r}"


def show_pair(a, b) -> tuple[str, str]:
    """Both values for a failure message; long texts are cut to a window around the
    first character where they differ."""
    (ka, ta), (kb, tb) = typed(a), typed(b)
    if ka != kb or max(len(ta), len(tb)) <= 120:
        return show(a), show(b)
    i = next((n for n, (x, y) in enumerate(zip(ta, tb)) if x != y), min(len(ta), len(tb)))
    start = max(0, i - 30)

    def window(t: str) -> str:
        return ("…" if start else "") + t[start:i + 60] + ("…" if len(t) > i + 60 else "")

    return f"{ka} {window(ta)!r} (length {len(ta)})", f"{kb} {window(tb)!r} (length {len(tb)}, differs at {i})"


def compare_rows(report, what: str, source: dict, target: dict, fields: list[str]) -> None:
    """Compare two {pk: {field: value}} maps: every object present on both sides, every
    field equal by type and str(). One check per object presence and per field."""
    for pk in sorted(source, key=str):
        if pk not in target:
            report.fail("values", f"{what} pk={pk!s}: in SQLite, missing in the target")
            continue
        report.ok("values")
        for field in fields:
            a, b = source[pk][field], target[pk][field]
            if typed(a) == typed(b):
                report.ok("values")
            else:
                sa, sb = show_pair(a, b)
                report.fail("values", f"{what} pk={pk!s} field={field}: SQLite {sa} | target {sb}")
    for pk in sorted(set(target) - set(source), key=str):
        report.fail("values", f"{what} pk={pk!s}: in the target, not in SQLite")


def read_side(report, what: str, side: str, read) -> dict | None:
    """Run read() (all objects of one model on one side); a read that fails is a failed
    check naming the model and the error, and the model is skipped."""
    try:
        return read()
    except Exception as e:  # noqa: BLE001 - an unreadable value is the finding
        text = " ".join(str(e).split())[:300]
        report.fail("values", f"{what}: reading every object from {side} failed: {type(e).__name__}: {text}")
        return None


def judge_case_filter(report, folds_case: bool, exact: list, folded: list, actual: list) -> None:
    """`title = 'Widget'` on the target: the one exact match, or, where the framework's
    migrations gave the table MariaDB's default `_ci` collation (existing mode), every
    spelling (the documented difference, asserted, not hidden). The collations cutover
    writes in create mode compare as SQLite does: the exact match on both engines."""
    report.check("filters", len(exact) == 1 and len(folded) == 3,
                 f"the source should hold Widget once and three spellings of it: {exact}, {folded}")
    if folds_case:
        report.equal("filters", "title = 'Widget' on MariaDB's utf8mb4_general_ci matches every case (documented)",
                     folded, actual)
        report.note(f"MariaDB _ci: title = 'Widget' returns {len(actual)} items where SQLite returns {len(exact)} "
                    "(documented difference, asserted)")
    else:
        report.equal("filters", "title = 'Widget' (case-sensitive)", exact, actual)


def highest_ids(sqlite_path: Path) -> dict[str, int]:
    """Per table, the highest id SQLite ever handed out: sqlite_sequence (rows deleted
    since included). A new row in the target must get an id above it."""
    con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        return {name: seq for name, seq in con.execute("SELECT name, seq FROM sqlite_sequence")}
    finally:
        con.close()


def max_id(sqlite_path: Path, table: str, column: str = "id") -> int | None:
    con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        (v,) = con.execute(f'SELECT max("{column}") FROM "{table}"').fetchone()
        return v
    finally:
        con.close()


def new_uuid(n: int) -> uuid.UUID:
    """Deterministic UUIDs, so that runs are comparable."""
    return uuid.UUID(int=(0x5EED << 112) + n)


__all__ = [
    "ALL_BYTES", "BIG_JSON", "CASE_PAIR", "Decimal", "F64_MAX", "F64_TINY", "HARD_TEXT", "I16_MAX", "I16_MIN",
    "I32_MAX", "I32_MIN", "I64_MAX", "I64_MIN", "NORMALIZED", "PAD_PAIR", "UTC", "compare_rows", "highest_ids",
    "max_id", "new_uuid", "read_side", "show", "typed",
]
