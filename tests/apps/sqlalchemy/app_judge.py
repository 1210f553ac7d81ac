"""SQLAlchemy 2 + Alembic judge cutover: the models beside this file, their tables built
by ``alembic upgrade head`` on SQLite, filled through the ORM, moved by cutover onto a
target that ``alembic upgrade head`` built, and read back through the same models.

judge.py drives it through ``App``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from pathlib import Path
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, func, insert, null, select
from sqlalchemy.orm import Session

from common import (
    judge_case_filter,
    ALL_BYTES, BIG_JSON, CASE_PAIR, F64_MAX, F64_TINY, HARD_TEXT, I16_MAX, I16_MIN, I32_MAX, I32_MIN, I64_MAX,
    I64_MIN, NORMALIZED, PAD_PAIR, UTC, Decimal, compare_rows, highest_ids, new_uuid, read_side, show,
)
from models import Base, Category, Item, ItemKind, Order, OrderStatus, Tag, UserAccount, item_tag

HERE = Path(__file__).resolve().parent
PASSWORD = "correct horse ✓ battery staple"
MODELS = [UserAccount, Category, Tag, Item, Order]


def hash_password(password: str, salt: str, iterations: int = 120_000) -> str:
    """pbkdf2_sha256$ITERATIONS$SALT$HEX, the shape a small backend stores."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def check_password(password: str, stored: str) -> bool:
    algorithm, iterations, salt, digest = stored.split("$")
    if algorithm != "pbkdf2_sha256":
        return False
    again = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(again, digest)


def item_rows(engine: str, with_duplicates: bool) -> list[dict]:
    """The items: extremes, NULLs, hard text, JSON scalars, zeroes, and the codes that
    differ only by case or trailing spaces when asked.

    ``ratio`` and ``f32`` are single precision on one server or the other, so they hold
    values of at most 6 significant digits: a server reads a FLOAT back through its
    shortest text (MariaDB prints 6 digits), so that such values read back as written.
    ``span`` is an Interval, which SQLAlchemy keeps on MariaDB in a DATETIME without
    fractions: there, durations are whole seconds (a microsecond would be refused).
    """
    micro = 1 if engine == "postgres" else 0
    return [
        dict(code="max-values", title="Widget", body="max", i32=I32_MAX, i64=I64_MAX, i16=I16_MAX, flag=True,
             price=Decimal("99999999999.9999"), ratio=65504.0, f32=19.99, f64=F64_MAX, day=dt.date(9999, 12, 31),
             at=dt.datetime(9999, 12, 31, 23, 59, 59, 999999), at_tz=dt.datetime(9999, 12, 31, 23, 59, 59, 999999, UTC),
             clock=dt.time(23, 59, 59, 999999), span=dt.timedelta(days=2_000_000, seconds=86399, microseconds=999999 * micro),
             token=new_uuid(101), data=BIG_JSON, blob=ALL_BYTES, kind=ItemKind.SERVICE,
             created=dt.datetime(2024, 1, 2, 3, 4, 5)),
        dict(code="min-values", title="WIDGET", body="min", i32=I32_MIN, i64=I64_MIN, i16=I16_MIN, flag=False,
             price=Decimal("-99999999999.9999"), ratio=-2.25, f32=-2.25, f64=F64_TINY, day=dt.date(1000, 1, 1),
             at=dt.datetime(1000, 1, 1, 0, 0, 0, 1), at_tz=dt.datetime(1000, 1, 1, 0, 0, 0, 1, UTC),
             clock=dt.time(0, 0, 0, 1), span=dt.timedelta(days=-300_000, microseconds=micro), token=new_uuid(102),
             data=[1, "two", 3.5, None], blob=b"", kind=ItemKind.TOOL, created=dt.datetime(1000, 1, 1)),
        dict(code="nulls", title="widget", data=null()),
        dict(code="hard-text", title=HARD_TEXT, body=HARD_TEXT * 3, i32=-1, i64=-1, price=Decimal("-0.5000"),
             ratio=0.1, f32=0.1, f64=-2.5e-10, day=dt.date(2024, 2, 29), at=dt.datetime(2024, 2, 29, 12, 30, 45, 123456),
             at_tz=dt.datetime(2024, 2, 29, 12, 30, 45, 123456, UTC), clock=dt.time(12, 30, 45, 123456),
             span=dt.timedelta(hours=1, minutes=2, seconds=3, microseconds=456789 * micro), token=new_uuid(103),
             data={"kind": "beta", "text": HARD_TEXT}, blob=HARD_TEXT.encode(), kind=ItemKind.PART),
        dict(code="json-scalar", title="json", data="just a string", at=dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
             at_tz=dt.datetime(1969, 12, 31, 23, 59, 59, 999999, UTC), span=dt.timedelta(seconds=-1, microseconds=micro),
             price=Decimal("0.0001"), ratio=0.125, f32=65504.0, f64=0.1),
        dict(code="json-null", title="json", data=None, at=dt.datetime(1970, 1, 1), at_tz=dt.datetime(1970, 1, 1, tzinfo=UTC),
             span=dt.timedelta(0), price=Decimal("12.3456"), ratio=0.0, f32=0.0, f64=0.0, i32=0, i64=0, i16=0,
             day=dt.date(1970, 1, 1), clock=dt.time(0, 0), flag=False),
        dict(code=CASE_PAIR[0], title="case", data={"kind": "alpha"}, i64=2**53 + 1, f64=2.0**53 + 2,
             price=Decimal("1E+3")),
        dict(code=PAD_PAIR[0], title="pad", data={"kind": "alpha", "n": 1}),
    ] + ([
        dict(code=CASE_PAIR[1], title="case", data={"kind": "ALPHA"}),
        dict(code=PAD_PAIR[1], title="pad", data={"kind": "alpha", "n": 1.0}),
    ] if with_duplicates else [])


def describe_diff(diff: tuple) -> str:
    """One of autogenerate's differences in a line: what the target has, what the model
    wants (types by their repr, constraints and indexes by name and columns)."""
    op = diff[0]
    if op.startswith("modify_"):
        _, _schema, table, column, _info, target, model = diff
        return f"{op} {table}.{column}: the target has {target!r}, the model wants {model!r}"
    obj = diff[1]
    if op in ("add_fk", "remove_fk"):
        columns = tuple(e.parent.name for e in obj.elements)
        return f"{op} {obj.parent.name}{columns} -> {obj.referred_table.name}: name {obj.name!r}"
    table = obj.table.name if getattr(obj, "table", None) is not None else "?"
    columns = tuple(c.name for c in getattr(obj, "columns", []))
    unique = ", unique" if getattr(obj, "unique", False) else ""
    return f"{op} {table}{columns}: name {obj.name!r} ({type(obj).__name__}{unique})"


class App:
    """The SQLAlchemy application, on a SQLite source and a server target."""

    def __init__(self, engine: str, server, database: str, report) -> None:
        self.engine_name = engine
        self.report = report
        self.folds_case = engine == "mariadb"  # judge.py sets it from the mode
        self.server = server
        self.database = database
        self.target_url = self._url(database)
        # The session's time zone decides how timestamptz reads back; an app pins it.
        self.connect_args = {"options": "-c timezone=UTC"} if engine == "postgres" else {}
        self.source: Path | None = None
        self.source_engine = None
        self.target_engine = None

    # -- helpers -----------------------------------------------------------------------

    def _url(self, database: str) -> str:
        server = self.server
        auth = quote(server.user, safe="") + (f":{quote(server.password, safe='')}" if server.password else "")
        if self.engine_name == "postgres":
            return f"postgresql+psycopg://{auth}@{server.host}:{server.port}/{database}"
        return f"mariadb+pymysql://{auth}@{server.host}:{server.port}/{database}?charset=utf8mb4"

    def _alembic_upgrade(self, url: str) -> None:
        cfg = Config(str(HERE / "alembic.ini"))
        os.environ["CUTOVER_SA_URL"] = url
        command.upgrade(cfg, "head")

    def _target(self):
        if self.target_engine is None:
            self.target_engine = create_engine(self.target_url, connect_args=self.connect_args)
        return self.target_engine

    # -- the source --------------------------------------------------------------------

    def lossy_variants(self) -> list[tuple[str, str, str]]:
        """(variant, table, column) of sources the target cannot hold exactly."""
        if self.engine_name == "mariadb":
            return [("microsecond-interval", "item", "span")]
        return []

    def build_source(self, path: Path, with_duplicates: bool, variant: str | None = None) -> None:
        if self.source_engine is not None:
            self.source_engine.dispose()
        path.unlink(missing_ok=True)
        self.source = path
        url = f"sqlite:///{path}"
        self._alembic_upgrade(url)
        self.source_engine = create_engine(url)
        with Session(self.source_engine) as s, s.begin():
            self._fill(s, with_duplicates)
            if variant == "microsecond-interval":
                item = s.scalars(select(Item).where(Item.code == "hard-text")).one()
                item.span = dt.timedelta(seconds=1, microseconds=1)
            elif variant is not None:
                raise ValueError(f"no variant {variant!r}")

    def _fill(self, s: Session, with_duplicates: bool) -> None:
        alice = UserAccount(email="alice@example.com", password_hash=hash_password(PASSWORD, "s4lt-alice"),
                            created=dt.datetime(2023, 12, 31, 23, 59, 59))
        bob = UserAccount(email="Bob@Example.com", password_hash=hash_password("bob's", "s4lt-bob"), is_active=False,
                          created=dt.datetime(2024, 1, 1))
        gone_user = UserAccount(email="gone@example.com", password_hash="!", created=dt.datetime(2024, 1, 1))
        s.add_all([alice, bob, gone_user])
        tools = Category(name="Tools")
        hand = Category(name="Hand tools", parent=tools)
        zebra = Category(name="Zebra")
        s.add_all([tools, hand, zebra])
        red, blue = Tag(id=new_uuid(1), name="red"), Tag(id=new_uuid(2), name="blue")
        s.add_all([red, blue])
        s.flush()

        items = []
        for i, row in enumerate(item_rows(self.engine_name, with_duplicates)):
            items.append(Item(category=hand if i % 2 else tools, **row))
        s.add_all(items)
        s.flush()
        items[1].parent = items[0]
        items[2].parent = items[1]
        items[0].tags = [red, blue]
        items[1].tags = [red]
        gone = [Item(code=f"gone-{n}", title="deleted before the move") for n in (1, 2)]
        s.add_all(gone)
        s.flush()

        placed = [
            dt.datetime(2024, 3, 10, 1, 59, 59, 999999, UTC),
            dt.datetime(2024, 3, 10, 2, 0, 0, 0, UTC),
            dt.datetime(2024, 3, 31, 0, 59, 59, 999999, UTC),
            dt.datetime(2024, 3, 31, 1, 0, 0, 1, UTC),
            dt.datetime(2024, 10, 27, 0, 30, 0, 500000, UTC),
        ]
        statuses = list(OrderStatus)
        for n, at in enumerate(placed):
            s.add(Order(item=items[n % 3], customer_id=alice.id if n % 2 else None,
                        quantity=I32_MAX if n == 0 else n, status=statuses[n % len(statuses)], placed_at=at,
                        note=HARD_TEXT if n == 1 else None))
        gone_order = Order(item=items[0], status=OrderStatus.CANCELLED, placed_at=placed[0])
        s.add(gone_order)
        s.flush()
        # Deleted last: sqlite_sequence stays above the largest id that is left.
        for obj in [*gone, gone_order, gone_user]:
            s.delete(obj)
        s.delete(zebra)  # no AUTOINCREMENT here: SQLite may hand its id out again

    # -- the target --------------------------------------------------------------------

    def close_target(self) -> None:
        if self.target_engine is not None:
            self.target_engine.dispose()
            self.target_engine = None

    def migrate_target(self) -> None:
        self._alembic_upgrade(self.target_url)

    def duplicates(self) -> list[tuple[str, str, tuple[str, ...]]]:
        return [("item", "code", CASE_PAIR), ("item", "code", PAD_PAIR)]

    def create_overrides(self) -> dict[tuple[str, str], tuple[object, str]]:
        """Create mode: {(table, column): (type or enum keys, why)}, what
        docs/apps/sqlalchemy.md tells a user to put in cutover.toml because the SQLite file
        cannot say it (each also a note in `plan`, except the enums: SQLite holds no trace
        of them)."""
        big = ("bigint", "Item.id is a BigInteger with an Integer variant on SQLite: INTEGER PRIMARY KEY there, "
                         "like an Integer key")
        kind = ({"type": "enum", "labels": ["TOOL", "PART", "SERVICE"], "enum_name": "item_kind"},
                "Enum(ItemKind, name='item_kind'): a VARCHAR without a CHECK on SQLite, a native enum on the "
                "servers; SQLAlchemy stores the members' names")
        status = ({"type": "enum", "labels": ["DRAFT", "PAID", "SHIPPED", "CANCELLED"], "enum_name": "order_status"},
                  "Enum(OrderStatus, name='order_status'), as item.kind")
        common = {("item", "id"): big, ("item", "kind"): kind, ("order", "status"): status}
        if self.engine_name == "postgres":
            return common | {
                ("item", "span"): ("interval", "Interval: SQLAlchemy stores a DATETIME counted from 1970-01-01 on "
                                               "SQLite (and MariaDB), an interval on PostgreSQL"),
                ("item", "at_tz"): ("timestamptz", "DateTime(timezone=True): SQLite's DATETIME kept the UTC time "
                                                   "without its offset"),
                ("order", "placed_at"): ("timestamptz", "DateTime(timezone=True), as item.at_tz"),
            }
        # MariaDB: an Interval is a DATETIME there too, and DateTime(timezone=True) a
        # DATETIME holding UTC, as cutover writes them. Uuid is the version's question.
        why = ("Uuid: SQLAlchemy 2.0 keeps it as CHAR(32) on MariaDB (2.1 uses MariaDB's native UUID, "
               "cutover's default)")
        return common | {("tag", "id"): ("char(32)", why), ("item", "token"): ("char(32)", why),
                         ("item_tag", "tag_id"): ("char(32)", why)}

    def judge_schema(self) -> None:
        """Create mode: `alembic check` on the target: no difference between the models
        and the schema cutover wrote. One failed check per difference, the way
        autogenerate names it (the target's type first, then the model's).

        Autogenerate has false positives of its own (on PostgreSQL it reports
        Float(precision=24) against the REAL its own migration created), so the check
        first runs on a reference database that the app's migrations built
        (``<db>_ref``): a difference reported there too, for the same column or object,
        is the framework's and is only noted."""
        r = self.report
        reference = f"{self.database}_ref"
        self.server.recreate(reference)
        try:
            self._alembic_upgrade(self._url(reference))
            own = {key for key, _ in self._alembic_diffs(self._url(reference))}
        finally:
            self.server.drop(reference)
        counted = 0
        for key, text in self._alembic_diffs(self.target_url):
            if key in own:
                r.note(f"alembic check also reports on the schema its own migration built (not counted): {text}")
            else:
                r.fail("schema", f"alembic check: {text}")
                counted += 1
        if not counted:
            r.ok("schema")

    def _alembic_diffs(self, url: str) -> list[tuple[tuple, str]]:
        """`alembic check` against a database: [(key, text)] of every difference; the
        key names the operation and the column or object, not the types."""
        from alembic.util.exc import AutogenerateDiffsDetected

        cfg = Config(str(HERE / "alembic.ini"))
        cfg.print_stdout = lambda *a, **k: None
        os.environ["CUTOVER_SA_URL"] = url
        try:
            command.check(cfg)
            return []
        except AutogenerateDiffsDetected as e:
            found = []
            for diff in e.diffs:
                for one in (diff if isinstance(diff, list) else [diff]):
                    text = describe_diff(one)
                    key = (one[0], one[2], one[3]) if one[0].startswith("modify_") else (one[0], text)
                    found.append((key, text))
            return found

    def judge_names(self) -> None:
        """Every constraint the SQLite file names (the naming convention's pk_…, uq_…,
        fk_…) exists on the target under that name and as that kind of constraint, so a
        later migration's op.drop_constraint('uq_item_code', 'item', type_='unique')
        finds it (issue 16, "names the application relies on are kept"). MariaDB names
        every primary key PRIMARY: primary keys are judged on PostgreSQL only. A name
        the model has and the SQLite file does not (a primary key SQLite declared inline
        with AUTOINCREMENT) is a note: the file cannot say it."""
        from sqlalchemy import ForeignKeyConstraint, PrimaryKeyConstraint, UniqueConstraint, inspect

        def named(engine, table: str) -> dict[str, set]:
            insp = inspect(engine)
            return {
                "primary key": {insp.get_pk_constraint(table).get("name")} - {None},
                "unique constraint": {u["name"] for u in insp.get_unique_constraints(table)} - {None},
                "foreign key": {f["name"] for f in insp.get_foreign_keys(table)} - {None},
                "unique index": {i["name"] for i in insp.get_indexes(table) if i.get("unique")} - {None},
            }

        r = self.report
        unnamed = []
        for table in Base.metadata.sorted_tables:
            source, target = named(self.source_engine, table.name), named(self._target(), table.name)
            for constraint in table.constraints:
                kind = {PrimaryKeyConstraint: "primary key", UniqueConstraint: "unique constraint",
                        ForeignKeyConstraint: "foreign key"}.get(type(constraint))
                if kind is None or (kind == "primary key" and self.engine_name != "postgres"):
                    continue
                name = str(constraint.name)
                if name not in source[kind]:
                    unnamed.append(name)
                    continue
                if name in target[kind]:
                    r.ok("names")
                    continue
                columns = ", ".join(c.name for c in constraint.columns)
                has = ("a unique index of that name, no constraint" if name in target["unique index"]
                       else f"{sorted(target[kind]) or 'none'}")
                r.fail("names", f"{kind} {name} of {table.name} ({columns}), named so in SQLite: not on the target "
                                f"by that name (the target has {has}), so op.drop_constraint({name!r}, "
                                f"{table.name!r}) would fail")
        if unnamed:
            r.note(f"names the models give but the SQLite file does not hold (not judged): {', '.join(unnamed)}")

    # -- the judgement -----------------------------------------------------------------

    def notes(self) -> list[str]:
        return [f"compared as sorted JSON: {NORMALIZED['json']} values; naive SQLite datetimes of "
                f"DateTime(timezone=True) read as UTC: {NORMALIZED.get('naive_utc', 0)} values"]

    def _rows(self, engine, model) -> dict:
        columns = [c.key for c in model.__mapper__.column_attrs]
        with Session(engine) as s:
            return {obj.id: {c: getattr(obj, c) for c in columns} for obj in s.scalars(select(model))}

    def judge_values(self) -> None:
        """Every object of every model, column by column; and every row of item_tag."""
        for model in MODELS:
            columns = [c.key for c in model.__mapper__.column_attrs]
            source = read_side(self.report, model.__name__, "SQLite", lambda: self._rows(self.source_engine, model))
            target = read_side(self.report, model.__name__, "the target", lambda: self._rows(self._target(), model))
            if source is None or target is None:
                continue
            tz_columns = [c.key for c in model.__mapper__.column_attrs
                          if getattr(c.columns[0].type, "timezone", False)]
            for rows in source.values():
                for c in tz_columns:
                    v = rows[c]
                    if isinstance(v, dt.datetime) and v.tzinfo is None and self.engine_name == "postgres":
                        # SQLAlchemy's SQLite DATETIME drops the offset of the aware UTC value
                        # the app wrote; PostgreSQL's timestamptz gives it back.
                        rows[c] = v.replace(tzinfo=UTC)
                        NORMALIZED["naive_utc"] = NORMALIZED.get("naive_utc", 0) + 1
            compare_rows(self.report, model.__name__, source, target, columns)
        pairs = []
        for engine in (self.source_engine, self._target()):
            with engine.connect() as c:
                pairs.append({(r.item_id, r.tag_id): {"item_id": r.item_id, "tag_id": r.tag_id}
                              for r in c.execute(select(item_tag))})
        compare_rows(self.report, "item_tag", pairs[0], pairs[1], ["item_id", "tag_id"])

    def judge_login(self) -> None:
        r = self.report
        with Session(self._target()) as s:
            alice = s.scalars(select(UserAccount).where(UserAccount.email == "alice@example.com")).one_or_none()
            r.check("login", alice is not None and check_password(PASSWORD, alice.password_hash),
                    f"alice cannot log in on the target: {show(alice and alice.password_hash)}")
            r.check("login", alice is not None and not check_password(PASSWORD + "x", alice.password_hash),
                    "alice logs in with a wrong password")

    def judge_filters(self) -> None:
        r = self.report
        queries = {
            "orders placed in [2024-03-10 02:00, 2024-03-31 01:00) UTC": select(Order.id).where(
                Order.placed_at >= dt.datetime(2024, 3, 10, 2, tzinfo=UTC),
                Order.placed_at < dt.datetime(2024, 3, 31, 1, tzinfo=UTC)),
            "items with at in 1969..1971": select(Item.id).where(
                Item.at.between(dt.datetime(1969, 1, 1), dt.datetime(1971, 1, 1))),
            "items with data->kind = 'alpha'": select(Item.id).where(Item.data["kind"].as_string() == "alpha"),
            "items with data->nested->deep->k = 'v'": select(Item.id).where(
                Item.data[("nested", "deep", "k")].as_string() == "v"),
            "items with SQL NULL in data": select(Item.id).where(Item.data.is_(None)),
            "items with a negative duration": select(Item.id).where(Item.span < dt.timedelta(0)),
            "items with price < 0": select(Item.id).where(Item.price < 0),
            "items with f64 < 1e-200 and > 0": select(Item.id).where(Item.f64 < 1e-200, Item.f64 > 0),
            "items with i64 = -2^63": select(Item.id).where(Item.i64 == I64_MIN),
            "items with token = 102": select(Item.id).where(Item.token == new_uuid(102)),
            "items of kind PART": select(Item.id).where(Item.kind == ItemKind.PART),
            "orders that are PAID": select(Order.id).where(Order.status == OrderStatus.PAID),
            "items of category 'Tools'": select(Item.id).join(Category).where(Category.name == "Tools"),
            "items tagged red": select(Item.id).join(Item.tags).where(Tag.name == "red"),
            "items with code = 'tag-00-eco'": select(Item.id).where(Item.code == CASE_PAIR[0]),
            "items with title ILIKE 'widget'": select(Item.id).where(Item.title.ilike("widget")),
        }
        for name, query in queries.items():
            sides = []
            try:
                for engine in (self.source_engine, self._target()):
                    with Session(engine) as s:
                        sides.append(sorted(s.scalars(query)))
            except Exception as e:  # noqa: BLE001 - a query that fails is the finding
                r.fail("filters", f"{name}: {type(e).__name__}: {' '.join(str(e).split())[:300]}")
                continue
            r.equal("filters", f"{name}: ids", sides[0], sides[1])

        with Session(self.source_engine) as s:
            exact = sorted(s.scalars(select(Item.id).where(Item.title == "Widget")))
            folded = sorted(i for i, t in s.execute(select(Item.id, Item.title)) if t.casefold() == "widget")
        with Session(self._target()) as s:
            actual = sorted(s.scalars(select(Item.id).where(Item.title == "Widget")))
        judge_case_filter(r, self.folds_case, exact, folded, actual)

    def judge_inserts(self) -> None:
        """A new row of every model: an id above every id SQLite handed out."""
        r = self.report
        highest = highest_ids(self.source)
        with Session(self.source_engine) as s:
            largest = {m.__tablename__: s.scalar(select(func.max(m.id))) for m in MODELS if m is not Tag}
        new = {
            UserAccount: lambda: UserAccount(email="new@example.com", password_hash=hash_password("n", "s"),
                                             created=dt.datetime(2025, 1, 1)),
            Category: lambda: Category(name="New category"),
            Tag: lambda: Tag(name="new tag"),
            Item: lambda: Item(code="new-item", title="new", price=Decimal("1.2345"), span=dt.timedelta(seconds=-1),
                               data={"new": True}, kind=ItemKind.TOOL),
        }
        made = {}
        target = self._target()
        for model, make in new.items():
            made[model] = self._insert(model, make, highest, largest)
        if made.get(Item) is not None:
            item_id = made[Item]
            self._insert(Order, lambda: Order(item_id=item_id, status=OrderStatus.SHIPPED,
                                              placed_at=dt.datetime.now(UTC)), highest, largest)
            if made.get(Tag) is not None:
                try:
                    with target.begin() as c:
                        c.execute(insert(item_tag).values(item_id=item_id, tag_id=made[Tag]))
                    r.ok("inserts")
                except Exception as e:  # noqa: BLE001 - the failed insert is the finding
                    r.fail("inserts", f"new item_tag row: {type(e).__name__}: {' '.join(str(e).split())}")

    def _insert(self, model, make, highest: dict, largest: dict):
        r = self.report
        table = model.__tablename__
        try:
            with Session(self._target()) as s, s.begin():
                obj = make()
                s.add(obj)
                s.flush()
                pk = obj.id
        except Exception as e:  # noqa: BLE001 - the failed insert is the finding
            r.fail("inserts", f"new {model.__name__}: the insert failed: {type(e).__name__}: {' '.join(str(e).split())}")
            return None
        if isinstance(pk, int):
            was = max(highest.get(table, 0), largest.get(table) or 0)
            how = f"sqlite_sequence of {table}" if table in highest else f"largest id of {table}, no AUTOINCREMENT"
            r.check("inserts", pk > was, f"new {model.__name__} got id {pk}, but SQLite had handed out ids up to "
                                         f"{was} ({how})")
        else:
            r.ok("inserts")
        return pk
