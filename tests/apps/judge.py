#!/usr/bin/env python3
"""The frameworks judge cutover: an application built on SQLite by its own migrations
and ORM is moved to PostgreSQL or MariaDB, in existing mode (issue 15) or in create mode
(issue 16), then read back through the same ORM.

    judge.py FRAMEWORK ENGINE --cutover BIN --db NAME --workdir DIR [--mode MODE]
             [--server URL] [--keep] [--without-override TABLE.COLUMN]
             [--extra-override TABLE.COLUMN=TYPE]

FRAMEWORK is django or sqlalchemy, ENGINE postgres or mariadb. NAME is a scratch
database on the server, dropped first and, when every check passed, at the end.

Scenarios:

- ``full`` (both engines): the source is built and filled with edge values; the target
  is created empty and built by the framework's migrations; ``cutover migrate
  --schema existing --truncate`` fills it and ``cutover verify`` proves it; then the
  ORM judges: every object field by field (type and str()), logging in, a new row of
  every model (an id above every old one, deleted ones included), and filters. Then
  the same migrate again into the loaded target (a second rehearsal), and verify.
  On PostgreSQL the source holds values of a unique column that differ only by case
  or by trailing spaces: PostgreSQL compares exactly, so they load and are judged.
- ``lossy`` (where a framework's column type cannot hold a value SQLite held, e.g.
  SQLAlchemy's Interval on MariaDB, a DATETIME without fractions, and a duration with
  microseconds): cutover must stop and name the table and column, never round.
- ``refused`` (MariaDB only, first): the same source with those values. MariaDB's
  default collation (utf8mb4_general_ci, PAD SPACE) makes them duplicates, so cutover
  must refuse with exit code 2 before it empties anything, naming the table, the
  column and the values; the rows the framework's migrations put in the target must
  still be there. The ``full`` scenario then runs on a source without them.

With ``--mode create``, one scenario:

- ``create`` (both engines): the same source (with the values that differ only by case
  or trailing spaces: cutover's own collations compare as SQLite does, so they load on
  MariaDB too) is moved by ``cutover migrate`` in create mode into an EMPTY database:
  cutover writes the DDL, from the framework it detects and a cutover.toml holding only
  the overrides the docs tell a user to add for what the SQLite file cannot say
  (``App.create_overrides``). Then ``cutover verify``; the framework's own check of the
  created schema (Django: ``migrate --check`` and ``check``; Alembic: ``alembic check``)
  and of the names a later migration looks up (Django: AlterField dropping a unique
  constraint, a foreign key, an index; Alembic: the constraint names the SQLite file
  holds); and the ORM judges as in ``full``: values, login, filters (here exact on both
  engines, as on SQLite), inserts. For diagnosis only (the tests never use them):
  ``--without-override T.C`` leaves one documented override out, to see what else fails
  while cutover refuses it; ``--extra-override T.C=TYPE`` adds one, to try a workaround.

Prints one line per failed check (framework object, key, field, both values), then a
summary per category, and exits 1 on any failure (2 on a usage error).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
DEFAULT_SERVERS = {
    "postgres": os.environ.get("CUTOVER_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"),
    "mariadb": os.environ.get("CUTOVER_TEST_MARIADB", "mariadb://root@127.0.0.1:3306/mysql"),
}
# How many failures of one category are printed in full; the rest are counted.
SHOWN_PER_CATEGORY = 25
CATEGORIES = ["setup", "lint", "cutover", "refusal", "verify", "schema", "names", "values", "login", "inserts",
              "filters", "rerun"]


class Report:
    """Checks passed and failed, per category, with a message for every failure."""

    def __init__(self) -> None:
        self.passed: dict[str, int] = {}
        self.failed: dict[str, list[str]] = {}
        self.notes: list[str] = []
        self.scenario = ""

    def ok(self, category: str) -> None:
        self.passed[category] = self.passed.get(category, 0) + 1

    def fail(self, category: str, message: str) -> None:
        where = f"[{self.scenario}] " if self.scenario else ""
        self.failed.setdefault(category, []).append(where + message)
        shown = len(self.failed[category])
        if shown <= SHOWN_PER_CATEGORY:
            print(f"FAIL {category}: {where}{message}", flush=True)
        elif shown == SHOWN_PER_CATEGORY + 1:
            print(f"FAIL {category}: … further failures of this category are only counted", flush=True)

    def check(self, category: str, condition: bool, message: str) -> bool:
        if condition:
            self.ok(category)
        else:
            self.fail(category, message)
        return condition

    def equal(self, category: str, what: str, expected, actual) -> bool:
        """Pass when equal; the message shows both sides."""
        return self.check(category, expected == actual, f"{what}: expected {expected!r}, got {actual!r}")

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def failures(self) -> int:
        return sum(len(v) for v in self.failed.values())

    def summary(self, title: str) -> str:
        lines = [f"== {title}"]
        for cat in CATEGORIES + sorted((set(self.passed) | set(self.failed)) - set(CATEGORIES)):
            p, f = self.passed.get(cat, 0), len(self.failed.get(cat, []))
            if p or f:
                lines.append(f"  {cat:<9} {p:>5} passed {f:>5} failed")
        total_p = sum(self.passed.values())
        lines.append(f"  {'total':<9} {total_p:>5} passed {self.failures:>5} failed")
        for n in self.notes:
            lines.append(f"  note: {n}")
        lines.append(f"{total_p} passed, {self.failures} failed")
        return "\n".join(lines)


class Server:
    """One PostgreSQL or MariaDB server, from a URL; creates and drops scratch databases."""

    def __init__(self, engine: str, url: str) -> None:
        self.engine = engine
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (5432 if engine == "postgres" else 3306)
        self.user = unquote(parts.username or ("postgres" if engine == "postgres" else "root"))
        self.password = unquote(parts.password or "")
        self.query = parts.query

    def url(self, database: str) -> str:
        """The cutover target URL of a database on this server."""
        auth = self.user + (f":{self.password}" if self.password else "")
        scheme = "postgres" if self.engine == "postgres" else "mariadb"
        return urlunsplit((scheme, f"{auth}@{self.host}:{self.port}", f"/{database}", self.query, ""))

    def shown_url(self, database: str) -> str:
        return self.url(database).replace(f":{self.password}@", ":***@") if self.password else self.url(database)

    def _admin(self, statements: list[str]) -> None:
        if self.engine == "postgres":
            import psycopg

            with psycopg.connect(
                host=self.host, port=self.port, user=self.user, password=self.password or None,
                dbname="postgres", autocommit=True, connect_timeout=10,
            ) as conn:
                for s in statements:
                    conn.execute(s)
        else:
            import pymysql

            conn = pymysql.connect(
                host=self.host, port=self.port, user=self.user, password=self.password, connect_timeout=10,
                autocommit=True,
            )
            try:
                with conn.cursor() as cur:
                    for s in statements:
                        cur.execute(s)
            finally:
                conn.close()

    def recreate(self, database: str) -> None:
        """Drop and create an empty database, as a new application's would be: MariaDB
        with the server's default utf8mb4 collation (utf8mb4_general_ci on 10.11)."""
        if self.engine == "postgres":
            self._admin([f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"'])
        else:
            self._admin([f"DROP DATABASE IF EXISTS `{database}`", f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4"])

    def snapshot(self, database: str) -> dict[str, tuple[int, str]]:
        """Every table of a database: its row count and a digest of its rows (in any
        order), to tell whether a refused run changed anything."""
        tables: dict[str, list[str]] = {}
        if self.engine == "postgres":
            import psycopg

            with psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password or None,
                                 dbname=database, autocommit=True, connect_timeout=10) as conn:
                names = [n for (n,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
                for n in names:
                    tables[n] = [repr(row) for row in conn.execute(f'SELECT * FROM "{n}"')]
        else:
            import pymysql

            conn = pymysql.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                                   database=database, connect_timeout=10, autocommit=True)
            try:
                with conn.cursor() as cur:
                    cur.execute("SHOW TABLES")
                    for (n,) in cur.fetchall():
                        cur.execute(f"SELECT * FROM `{n}`")
                        tables[n] = [repr(row) for row in cur.fetchall()]
            finally:
                conn.close()
        return {n: (len(rows), hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest())
                for n, rows in tables.items()}

    def drop(self, database: str) -> None:
        if self.engine == "postgres":
            self._admin([f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'])
        else:
            self._admin([f"DROP DATABASE IF EXISTS `{database}`"])


def how_to_start(engine: str) -> str:
    return (
        "start it with scripts/services.sh, or point CUTOVER_TEST_POSTGRES / CUTOVER_TEST_MARIADB "
        f"(or --server) at a running {engine} server"
    )


def run_cutover(binary: str, args: list[str]) -> tuple[int, str]:
    """Run cutover; returns the exit code and stdout + stderr together."""
    started = time.monotonic()
    proc = subprocess.run([binary, *args], capture_output=True, text=True, timeout=600)
    took = time.monotonic() - started
    out = proc.stdout + ("\n" if proc.stdout and proc.stderr else "") + proc.stderr
    print(f"$ cutover {' '.join(args)}   # exit {proc.returncode}, {took:.1f}s", flush=True)
    return proc.returncode, out


def indent(text: str, limit: int = 60) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + [f"… ({len(lines) - limit} more lines)"]
    return "\n".join("    | " + line for line in lines)


def failure(e: BaseException) -> str:
    """An exception in one line, with the place in the judge's code it came through."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if str(HERE) in f.filename]
    where = f" (at {Path(frames[-1].filename).relative_to(HERE)}:{frames[-1].lineno})" if frames else ""
    text = " ".join(str(e).split())
    if len(text) > 300:
        text = text[:297] + "…"
    return f"{type(e).__name__}: {text}{where}"


def load_framework(name: str):
    """tests/apps/<name>/app_judge.py, which defines App (see README.md in that folder)."""
    path = HERE / name / "app_judge.py"
    spec = importlib.util.spec_from_file_location(f"cutover_apps_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path[:0] = [str(HERE), str(path.parent)]
    spec.loader.exec_module(module)
    return module


class Judge:
    def __init__(self, args, report: Report) -> None:
        self.args = args
        self.report = report
        self.server = Server(args.engine, args.server or DEFAULT_SERVERS[args.engine])
        self.workdir = Path(args.workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        framework = load_framework(args.framework)
        self.app = framework.App(engine=args.engine, server=self.server, database=args.db, report=report)
        # MariaDB's default collation (utf8mb4_general_ci), which the framework's migrations
        # give the tables in existing mode, folds case; the collations cutover writes in
        # create mode compare as SQLite does.
        self.app.folds_case = args.engine == "mariadb" and args.mode == "existing"

    def cutover(self, command: str, source: Path, scenario: str, extra: list[str]) -> tuple[int, str]:
        state = self.workdir / f"{scenario}.state.json"
        args = [command, str(source), "--to", self.server.url(self.args.db), "--state", str(state),
                "--progress", "none", *extra]
        if command == "migrate":
            state.unlink(missing_ok=True)  # a run of an earlier judge in the same folder
        if command == "verify":
            args += ["--report", str(self.workdir / f"{scenario}.verify.json")]
        return run_cutover(self.args.cutover, args)

    def lint(self, source: Path, expect_errors: bool) -> None:
        """`cutover lint --to URL --schema existing` checks the source against the live
        target's catalog without writing (issue 15): exit 1 naming every duplicate under
        the target's collation, or exit 0 when nothing would be refused."""
        r = self.report
        code, out = run_cutover(self.args.cutover, ["lint", str(source), "--to", self.server.url(self.args.db),
                                                    "--schema", "existing"])
        if not expect_errors:
            r.check("lint", code == 0, f"cutover lint --schema existing on a source the target accepts exited "
                                       f"{code}:\n{indent(out, 25)}")
            return
        if not r.check("lint", code == 1, f"cutover lint --schema existing must find the duplicates under the "
                                          f"target's collation (exit 1), exited {code}:\n{indent(out, 25)}"):
            if code not in (0, 1):
                return
        for table, column, values in self.app.duplicates():
            r.check("lint", table in out and column in out and any(v in out for v in values),
                    f"lint must name table {table}, column {column} and the value "
                    f"({' or '.join(repr(v) for v in values)})")

    def fresh_target(self) -> None:
        self.app.close_target()
        self.server.recreate(self.args.db)
        self.app.migrate_target()

    def scenario_refused(self) -> None:
        """MariaDB: a case-only (and a trailing-space) duplicate in a unique column is
        refused before --truncate empties anything."""
        r = self.report
        r.scenario = "refused"
        print(f"== {self.args.framework} on {self.args.engine}: scenario refused (duplicates under _ci)", flush=True)
        source = self.workdir / "with-duplicates.sqlite3"
        self.app.build_source(source, with_duplicates=True)
        self.fresh_target()
        before = self.server.snapshot(self.args.db)
        self.lint(source, expect_errors=True)
        code, out = self.cutover("migrate", source, "refused", ["--schema", "existing", "--truncate"])
        r.check("refusal", code == 2, f"cutover migrate must refuse the duplicates under the target's collation "
                                      f"with exit 2, exited {code}:\n{indent(out)}")
        shown = code != 2  # the output is printed once
        for table, column, values in self.app.duplicates():
            if r.check("refusal", table in out and column in out and any(v in out for v in values),
                       f"the refusal does not name table {table}, column {column} and the value "
                       f"({' or '.join(repr(v) for v in values)})" + ("" if shown else f"; it said:\n{indent(out, 25)}")):
                continue
            shown = True
        after = self.server.snapshot(self.args.db)
        changed = []
        for table, (n, digest) in sorted(before.items()):
            m, digest_after = after.get(table, (None, None))
            if (m, digest_after) != (n, digest):
                changed.append(f"{table} {n}→{m} rows" + (" (other rows)" if m == n else ""))
        r.check("refusal", not changed,
                f"the refused run changed {len(changed)} of {len(before)} tables that the framework's migrations had "
                f"left (the checks must run before --truncate and before any load): {', '.join(changed)}")

    def scenario_lossy(self, variant: str, table: str, column: str) -> None:
        """A source value the target column cannot hold exactly must stop the run with
        table and column named, never be rounded silently (issue 15: "never rounded
        silently"; the docs say which values a framework's column types cannot hold)."""
        r = self.report
        r.scenario = f"lossy {variant}"
        print(f"== {self.args.framework} on {self.args.engine}: scenario lossy ({variant})", flush=True)
        source = self.workdir / f"lossy-{variant}.sqlite3"
        self.app.build_source(source, with_duplicates=False, variant=variant)
        self.fresh_target()
        code, out = self.cutover("migrate", source, f"lossy-{variant}", ["--schema", "existing", "--truncate"])
        if r.check("refusal", code in (2, 3), f"{variant}: cutover migrate must stop (exit 2 or 3) rather than "
                                              f"round {table}.{column}, exited {code}:\n{indent(out, 25)}"):
            r.check("refusal", table in out and column in out,
                    f"{variant}: the error must name table {table} and column {column}; it said:\n{indent(out, 25)}")

    def scenario_full(self, with_duplicates: bool) -> None:
        r = self.report
        r.scenario = "full"
        print(f"== {self.args.framework} on {self.args.engine}: scenario full "
              f"({'with' if with_duplicates else 'without'} the case-only duplicates)", flush=True)
        source = self.workdir / ("full.sqlite3")
        self.app.build_source(source, with_duplicates=with_duplicates)
        self.fresh_target()
        self.lint(source, expect_errors=False)
        code, out = self.cutover("migrate", source, "full", ["--schema", "existing", "--truncate"])
        if not r.check("cutover", code == 0, f"cutover migrate exited {code}:\n{indent(out)}"):
            r.note(f"scenario full stopped: cutover migrate exited {code}, so nothing could be judged")
            return
        code, out = self.cutover("verify", source, "full", [])
        r.check("verify", code == 0, f"cutover verify exited {code}:\n{indent(out)}")
        app = self.app
        for category, step in (("values", app.judge_values), ("login", app.judge_login),
                               ("filters", app.judge_filters), ("inserts", app.judge_inserts)):
            try:
                step()
            except Exception as e:  # noqa: BLE001 - a step that crashes is a failure; the next one runs
                r.fail(category, f"the {category} step stopped: {failure(e)}")
        for note in app.notes():
            r.note(note)
        self.rerun(source)

    def rerun(self, source: Path) -> None:
        """A second rehearsal into the same target, now holding the moved rows (parents
        and children of self-referencing tables) and the rows the judge inserted:
        --truncate empties it, the copy runs again, verify proves it."""
        r = self.report
        self.app.close_target()
        code, out = self.cutover("migrate", source, "rerun", ["--schema", "existing", "--truncate"])
        if r.check("rerun", code == 0, f"cutover migrate --truncate again into the loaded target exited {code}:\n"
                                       f"{indent(out, 25)}"):
            code, out = self.cutover("verify", source, "rerun", [])
            r.check("rerun", code == 0, f"cutover verify after the second run exited {code}:\n{indent(out, 25)}")

    def write_config(self, scenario: str) -> Path:
        """cutover.toml with the overrides the docs (docs/apps/*.md, "Create mode") tell a
        user to add for what the SQLite file cannot say, and nothing else."""
        overrides = self.app.create_overrides()
        unknown = [name for name in self.args.without_override if name not in
                   {f"{t}.{c}" for t, c in overrides}]
        if unknown:
            raise ValueError(f"--without-override {', '.join(unknown)}: not an override of this app on "
                             f"{self.args.engine} ({', '.join(f'{t}.{c}' for t, c in overrides) or 'none'})")
        lines = [f"# {self.args.framework} on {self.args.engine}, create mode: the overrides of docs/apps/"
                 f"{self.args.framework}.md"]
        for (table, column), (ty, why) in overrides.items():
            if f"{table}.{column}" in self.args.without_override:
                self.report.note(f"diagnosis: the override {table}.{column} type = {ty!r} was left out "
                                 f"(--without-override); this run is not the bar")
                continue
            lines += ["", f"# {why}", f'[tables."{table}".columns."{column}"]']
            # A type, or the keys of an enum: {"type": "enum", "labels": [...], "enum_name": ...}.
            for key, value in (ty.items() if isinstance(ty, dict) else [("type", ty)]):
                lines.append(f"{key} = {json.dumps(value)}")
        for extra in self.args.extra_override:
            name, _, ty = extra.partition("=")
            table, _, column = name.partition(".")
            if not (table and column and ty):
                raise ValueError(f"--extra-override {extra!r}: write TABLE.COLUMN=TYPE")
            self.report.note(f"diagnosis: the override {table}.{column} type = {ty!r} was added (--extra-override); "
                             "this run is not the bar")
            lines += ["", "# --extra-override (diagnosis)", f'[tables."{table}".columns."{column}"]', f'type = "{ty}"']
        path = self.workdir / f"{scenario}.cutover.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def scenario_create(self) -> None:
        """Create mode: cutover writes the DDL into an empty database; the framework and
        its ORM judge what it made."""
        r = self.report
        r.scenario = "create"
        print(f"== {self.args.framework} on {self.args.engine}: scenario create (cutover writes the DDL)", flush=True)
        source = self.workdir / "create.sqlite3"
        self.app.build_source(source, with_duplicates=True)
        self.app.close_target()
        self.server.recreate(self.args.db)
        config = self.write_config("create")
        print(indent(config.read_text(), 40), flush=True)
        code, out = self.cutover("migrate", source, "create", ["--config", str(config)])
        if not r.check("cutover", code == 0, f"cutover migrate (create mode) exited {code}:\n{indent(out)}"):
            r.note(f"scenario create stopped: cutover migrate exited {code}, so nothing could be judged")
            return
        code, out = self.cutover("verify", source, "create", ["--config", str(config)])
        r.check("verify", code == 0, f"cutover verify exited {code}:\n{indent(out)}")
        app = self.app
        # The names last: on MariaDB (no transactional DDL) Django's later migration is
        # run and then undone, which leaves constraints under Django's names.
        for category, step in (("schema", app.judge_schema), ("values", app.judge_values),
                               ("login", app.judge_login), ("filters", app.judge_filters),
                               ("inserts", app.judge_inserts), ("names", app.judge_names)):
            try:
                step()
            except Exception as e:  # noqa: BLE001 - a step that crashes is a failure; the next one runs
                r.fail(category, f"the {category} step stopped: {failure(e)}")
        for note in app.notes():
            r.note(note)

    def run(self) -> None:
        try:
            self.server.recreate(self.args.db)
        except Exception as e:  # noqa: BLE001 - any connection error ends the run with advice
            self.report.fail("setup", f"cannot reach {self.server.shown_url(self.args.db)}: {e}; "
                                      f"{how_to_start(self.args.engine)}")
            return
        if self.args.mode == "create":
            self.scenario_create()
            return
        for variant, table, column in self.app.lossy_variants():
            self.scenario_lossy(variant, table, column)
        if self.args.engine == "mariadb":
            self.scenario_refused()
            self.scenario_full(with_duplicates=False)
        else:
            self.scenario_full(with_duplicates=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("framework", choices=["django", "sqlalchemy"])
    p.add_argument("engine", choices=["postgres", "mariadb"])
    p.add_argument("--cutover", required=True, help="the cutover binary")
    p.add_argument("--db", required=True, help="scratch database name on the server (dropped and re-created)")
    p.add_argument("--workdir", required=True, help="folder for the SQLite sources, state and reports")
    p.add_argument("--server", help="server URL (default: CUTOVER_TEST_POSTGRES / CUTOVER_TEST_MARIADB or loopback)")
    p.add_argument("--mode", choices=["existing", "create"], default="existing",
                   help="existing: the framework's migrations build the target (issue 15); create: cutover writes "
                        "the DDL (issue 16)")
    p.add_argument("--keep", action="store_true", help="keep the scratch database even when every check passed")
    p.add_argument("--without-override", action="append", default=[], metavar="TABLE.COLUMN",
                   help="create mode, diagnosis only: leave this documented override out of cutover.toml")
    p.add_argument("--extra-override", action="append", default=[], metavar="TABLE.COLUMN=TYPE",
                   help="create mode, diagnosis only: add an override the docs do not give (to try a workaround)")
    args = p.parse_args()
    if not shutil.which(args.cutover) and not Path(args.cutover).is_file():
        print(f"judge: no cutover binary at {args.cutover}", file=sys.stderr)
        return 2

    report = Report()
    started = time.monotonic()
    judge = None
    try:
        judge = Judge(args, report)
        judge.run()
    except Exception:  # noqa: BLE001 - a crash of the judge is a failure with its traceback
        report.fail("setup", "the judge itself failed:\n" + indent(traceback.format_exc(), 40))
    finally:
        if judge is not None:
            judge.app.close_target()
    title = f"{args.framework} on {args.engine}, {args.mode} mode ({time.monotonic() - started:.1f}s)"
    print(report.summary(title), flush=True)
    if report.failures == 0 and not args.keep and judge is not None:
        judge.server.drop(args.db)
    elif report.failures:
        print(f"kept for inspection: database {args.db} on {args.engine}, sources and state in {args.workdir}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
