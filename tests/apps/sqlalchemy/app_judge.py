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


class App:
    """The SQLAlchemy application, on a SQLite source and a server target."""

    def __init__(self, engine: str, server, database: str, report) -> None:
        self.engine_name = engine
        self.report = report
        auth = quote(server.user, safe="") + (f":{quote(server.password, safe='')}" if server.password else "")
        if engine == "postgres":
            self.target_url = f"postgresql+psycopg://{auth}@{server.host}:{server.port}/{database}"
            # The session's time zone decides how timestamptz reads back; an app pins it.
            self.connect_args = {"options": "-c timezone=UTC"}
        else:
            self.target_url = f"mariadb+pymysql://{auth}@{server.host}:{server.port}/{database}?charset=utf8mb4"
            self.connect_args = {}
        self.source: Path | None = None
        self.source_engine = None
        self.target_engine = None

    # -- helpers -----------------------------------------------------------------------

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
        judge_case_filter(r, self.engine_name, exact, folded, actual)

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
