"""Django judges cutover: the project beside this file (judgeproj + the shop app, with
auth, sessions, admin and contenttypes) built on SQLite by ``migrate``, filled through
the ORM, moved by cutover, and read back through the same ORM on the server.

judge.py drives it through ``App``; the two databases are Django aliases: ``source``
(SQLite) and ``default`` (the target).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from common import (
    judge_case_filter,
    ALL_BYTES, BIG_JSON, CASE_PAIR, F64_MAX, F64_TINY, HARD_TEXT, I16_MAX, I16_MIN, I32_MAX, I32_MIN, I64_MAX,
    I64_MIN, NORMALIZED, PAD_PAIR, UTC, Decimal, compare_rows, highest_ids, new_uuid, read_side, show,
)

HERE = Path(__file__).resolve().parent
PASSWORD = "correct horse ✓ battery staple"
ROOT_PASSWORD = "R00t-pässword-for-the-admin"
SESSION_KEY = "j0dg3s3ss10nk3yj0dg3s3ss10nk3y00"
SESSION_DATA = {"cart": [1, 2, 3], "note": HARD_TEXT}


def _setup(engine: str, server, database: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "judgeproj.settings"
    os.environ["CUTOVER_DJANGO_ENGINE"] = engine
    os.environ["CUTOVER_DJANGO_NAME"] = database
    os.environ["CUTOVER_DJANGO_HOST"] = server.host
    os.environ["CUTOVER_DJANGO_PORT"] = str(server.port)
    os.environ["CUTOVER_DJANGO_USER"] = server.user
    os.environ["CUTOVER_DJANGO_PASSWORD"] = server.password
    sys.path.insert(0, str(HERE))
    import django

    django.setup()


def item_rows(with_duplicates: bool) -> list[dict]:
    """The items: one row of the largest values, one of the smallest, one of NULLs,
    hard text, JSON scalars, zeroes; the codes of a unique column that differ only by
    case or trailing spaces when asked.

    Decimals keep to 15 significant digits: Django hands SQLite a decimal as text, and
    SQLite's NUMERIC affinity stores it as a REAL, so 9999999999999999.9999 would become
    1e16, which Django itself then cannot read back into a DecimalField(20, 4)."""
    from django.db.models import JSONField, Value

    rows = [
        dict(code="max-values", title="Widget", body="max", i32=I32_MAX, i64=I64_MAX, i16=I16_MAX, pos32=I32_MAX,
             pos16=I16_MAX, pos64=I64_MAX, flag=True, maybe=True, price=Decimal("99999999999.9999"),
             ratio=F64_MAX, day=dt.date(9999, 12, 31), at=dt.datetime(9999, 12, 31, 23, 59, 59, 999999, UTC),
             clock=dt.time(23, 59, 59, 999999), span=dt.timedelta(days=999999, seconds=86399, microseconds=999999),
             token=new_uuid(101), data=BIG_JSON, blob=ALL_BYTES, ip="2001:db8::ff00:42:8329",
             email="o'brien+tag@example.com", slug="max-values", url="https://example.com/a?b=c&d=%C3%A9#frag"),
        dict(code="min-values", title="WIDGET", body="min", i32=I32_MIN, i64=I64_MIN, i16=I16_MIN, pos32=0, pos16=0,
             pos64=0, flag=False, maybe=False, price=Decimal("-99999999999.9999"), ratio=F64_TINY,
             day=dt.date(1000, 1, 1), at=dt.datetime(1000, 1, 1, 0, 0, 0, 1, UTC), clock=dt.time(0, 0, 0, 1),
             span=dt.timedelta(days=-999999, microseconds=1), token=new_uuid(102), data=[1, "two", 3.5, None],
             blob=b"", ip="0.0.0.0", email="a@b.c", slug="min-values", url="http://localhost"),
        dict(code="nulls", title="widget", body=""),
        dict(code="hard-text", title=HARD_TEXT, body=HARD_TEXT * 3, i32=-1, i64=-1, price=Decimal("-0.5000"),
             ratio=-2.5e-10, day=dt.date(2024, 2, 29), at=dt.datetime(2024, 2, 29, 12, 30, 45, 123456, UTC),
             clock=dt.time(12, 30, 45, 123456), span=dt.timedelta(hours=1, minutes=2, seconds=3, microseconds=456789),
             token=new_uuid(103), data={"kind": "beta", "text": HARD_TEXT}, blob=HARD_TEXT.encode(),
             ip="::ffff:192.0.2.128", email="unicode@exämple.com", slug="hard-text",
             url="https://example.com/?q=%22quoted%22"),
        dict(code="json-scalar", title="json", data="just a string", at=dt.datetime(1969, 12, 31, 23, 59, 59, 999999, UTC),
             span=dt.timedelta(microseconds=-1), price=Decimal("0.0001"), ratio=0.1, ip="192.0.2.1"),
        dict(code="json-null", title="json", data=Value(None, JSONField()), at=dt.datetime(1970, 1, 1, tzinfo=UTC),
             span=dt.timedelta(0), price=Decimal("12.3456"), ratio=0.0, i32=0, i64=0, i16=0, day=dt.date(1970, 1, 1),
             clock=dt.time(0, 0), ip="::"),
        dict(code=CASE_PAIR[0], title="case", data={"kind": "alpha"}, i64=2**53 + 1, ratio=2.0**53 + 2,
             price=Decimal("1E+3")),
        dict(code=PAD_PAIR[0], title="pad", data={"kind": "alpha", "n": 1}),
    ]
    if with_duplicates:
        rows += [
            dict(code=CASE_PAIR[1], title="case", data={"kind": "ALPHA"}),
            dict(code=PAD_PAIR[1], title="pad", data={"kind": "alpha", "n": 1.0}),
        ]
    return rows


class App:
    """The Django application, on a SQLite source and a server target."""

    def __init__(self, engine: str, server, database: str, report) -> None:
        self.engine = engine
        self.report = report
        self.folds_case = engine == "mariadb"  # judge.py sets it from the mode
        self.source: Path | None = None
        self.with_duplicates = False
        _setup(engine, server, database)

    # -- the source ------------------------------------------------------------------

    def lossy_variants(self) -> list[tuple[str, str, str]]:
        """Django's column types hold every value its SQLite columns hold."""
        return []

    def build_source(self, path: Path, with_duplicates: bool, variant: str | None = None) -> None:
        from django.core.management import call_command
        from django.db import connections

        connections["source"].close()
        connections["source"].settings_dict["NAME"] = str(path)
        path.unlink(missing_ok=True)
        self.source = path
        self.with_duplicates = with_duplicates
        call_command("migrate", database="source", verbosity=0, interactive=False)
        self._fill()
        connections["source"].close()

    def _fill(self) -> None:
        from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
        from django.contrib.auth.models import Group, Permission, User
        from django.contrib.contenttypes.models import ContentType
        from django.contrib.sessions.backends.db import SessionStore
        from django.contrib.sessions.models import Session
        from shop.models import Category, Item, Order, Tag

        db = "source"
        users = User.objects.db_manager(db)
        root = users.create_superuser("root", "root@example.com", ROOT_PASSWORD)
        alice = users.create_user("alice", "alice@example.com", PASSWORD, first_name="Alïce", last_name="O'Hara")
        users.create_user("gone-user", "gone@example.com", None).delete()

        editors = Group.objects.using(db).create(name="editors")
        editors.permissions.set(Permission.objects.using(db).filter(codename__in=["add_item", "change_item"]))
        alice.groups.add(editors)
        alice.user_permissions.add(Permission.objects.using(db).get(codename="view_order"))
        Group.objects.using(db).create(name="gone-group").delete()

        tools = Category.objects.using(db).create(name="Tools", slug="tools")
        hand = Category.objects.using(db).create(name="Hand tools", slug="hand-tools", parent=tools)
        Category.objects.using(db).create(name="Gone", slug="gone").delete()

        red = Tag.objects.using(db).create(id=new_uuid(1), name="red", weight=I16_MAX)
        blue = Tag.objects.using(db).create(id=new_uuid(2), name="blue", weight=I16_MIN)

        items = []
        for i, row in enumerate(item_rows(self.with_duplicates)):
            row.setdefault("category", hand if i % 2 else tools)
            items.append(Item.objects.using(db).create(**row))
        items[1].parent = items[0]
        items[1].save(using=db)
        items[2].parent = items[1]
        items[2].save(using=db)
        items[0].tags.add(red, blue)
        items[1].tags.add(red)
        items[3].tags.add(blue)
        items[3].tags.remove(blue)  # the link table's counter moves past its largest id
        items[3].tags.add(red)
        for code in ("gone-1", "gone-2"):
            Item.objects.using(db).create(code=code, title="deleted before the move").delete()

        placed = [
            dt.datetime(2024, 3, 10, 1, 59, 59, 999999, UTC),
            dt.datetime(2024, 3, 10, 2, 0, 0, 0, UTC),
            dt.datetime(2024, 3, 31, 0, 59, 59, 999999, UTC),  # Europe/Berlin changes to summer time at 01:00 UTC
            dt.datetime(2024, 3, 31, 1, 0, 0, 1, UTC),
            dt.datetime(2024, 10, 27, 0, 30, 0, 500000, UTC),
        ]
        for n, at in enumerate(placed):
            Order.objects.using(db).create(item=items[n % 3], customer=alice if n % 2 else None,
                                           quantity=I32_MAX if n == 0 else n, placed_at=at,
                                           note=HARD_TEXT if n == 1 else "")
        Order.objects.using(db).create(item=items[0], placed_at=placed[0], note="deleted").delete()

        item_type = ContentType.objects.db_manager(db).get_for_model(Item)
        for flag, item in ((ADDITION, items[0]), (CHANGE, items[3])):
            LogEntry.objects.using(db).create(
                user=root, content_type=item_type, object_id=str(item.pk), object_repr=str(item)[:200],
                action_flag=flag, change_message='[{"added": {}}]',
                action_time=dt.datetime(2024, 5, 6, 7, 8, 9, 101112, UTC))
        LogEntry.objects.using(db).create(user=root, content_type=item_type, object_id="0", object_repr="gone",
                                          action_flag=ADDITION).delete()

        Session.objects.using(db).create(
            session_key=SESSION_KEY,
            session_data=SessionStore().encode({**SESSION_DATA, "_auth_user_id": str(alice.pk)}),
            expire_date=dt.datetime(2999, 1, 1, 0, 0, 0, 123456, UTC),
        )

    # -- the target ------------------------------------------------------------------

    def close_target(self) -> None:
        from django.contrib.contenttypes.models import ContentType
        from django.db import connections

        connections["default"].close()
        ContentType.objects.clear_cache()

    def migrate_target(self) -> None:
        from django.core.management import call_command

        call_command("migrate", database="default", verbosity=0, interactive=False)

    def duplicates(self) -> list[tuple[str, str, tuple[str, ...]]]:
        return [("shop_item", "code", CASE_PAIR), ("shop_item", "code", PAD_PAIR)]

    def create_overrides(self) -> dict[tuple[str, str], tuple[str, str]]:
        """Create mode: {(table, column): (type, why)}, what docs/apps/django.md tells a
        user to put in cutover.toml because the SQLite file cannot say it. The docs'
        workarounds for what cutover could know itself (GenericIPAddressField as inet)
        are not here: the test shows them until cutover does it."""
        overrides = {
            ("shop_item", "price"): ("decimal(20,4)", "DecimalField(max_digits=20, decimal_places=4): Django declares "
                                                      "a bare `decimal` on SQLite, whose NUMERIC affinity drops the "
                                                      "scale"),
        }
        if self.engine == "postgres":
            overrides[("shop_item", "span")] = ("interval", "DurationField: microseconds in a bigint on SQLite (and "
                                                            "MariaDB), an interval on PostgreSQL")
        return overrides

    # -- the judgement ---------------------------------------------------------------

    def judge_schema(self) -> None:
        """Create mode: Django's own view of the schema cutover wrote. The
        django_migrations rows came from SQLite, so `migrate --check` must find nothing
        to apply; `check --database default` runs the system checks that look at the
        database (errors fail; warnings become notes)."""
        import io

        from django.core.management import call_command
        from django.core.management.base import SystemCheckError

        r = self.report
        out = io.StringIO()
        try:
            call_command("migrate", database="default", check_unapplied=True, plan=True, interactive=False,
                         verbosity=1, stdout=out, stderr=out)
            r.ok("schema")
        except SystemExit as e:
            r.fail("schema", f"manage.py migrate --check on the target: exit {e.code}, migrations to apply: "
                             f"{' '.join(out.getvalue().split())[:600]}")
        out = io.StringIO()
        try:
            call_command("check", databases=["default"], stdout=out, stderr=out)
            r.ok("schema")
        except SystemCheckError as e:
            r.fail("schema", f"manage.py check --database default: {' '.join(str(e).split())[:600]}")
        warned = " ".join(out.getvalue().split())
        if warned and "no issues" not in warned:
            r.note(f"manage.py check --database default said: {warned[:400]}")

    def judge_names(self) -> None:
        """A later migration of the app runs on the created schema: AlterField
        operations, applied as `migrate` applies them, that make Django find a unique
        constraint, a foreign key and an index by introspection and drop them by name
        (issue 16, "names the application relies on are kept"). Each is undone: on
        PostgreSQL by rolling back, on MariaDB (no transactional DDL) by applying it
        backwards."""
        from django.apps import apps
        from django.db import connections, migrations, transaction
        from django.db.migrations.state import ProjectState

        r = self.report
        connection = connections["default"]

        def alter(model: str, name: str, **change):
            field = apps.get_model("shop", model)._meta.get_field(name)
            _, _, args, kwargs = field.deconstruct()
            return migrations.AlterField(model, name, field.__class__(*args, **{**kwargs, **change}))

        class Undo(Exception):
            pass

        for what, operation in (("AlterField(shop_item.code, unique=False)", alter("item", "code", unique=False)),
                                ("AlterField(order.item, db_constraint=False)",
                                 alter("order", "item", db_constraint=False)),
                                ("AlterField(shop_item.slug, db_index=False)", alter("item", "slug", db_index=False))):
            before = ProjectState.from_apps(apps)
            after = before.clone()
            operation.state_forwards("shop", after)
            try:
                if connection.features.can_rollback_ddl:
                    try:
                        with transaction.atomic(using="default"):
                            with connection.schema_editor(atomic=False) as editor:
                                operation.database_forwards("shop", editor, before, after)
                            raise Undo
                    except Undo:
                        pass
                else:
                    with connection.schema_editor() as editor:
                        operation.database_forwards("shop", editor, before, after)
                    with connection.schema_editor() as editor:
                        operation.database_backwards("shop", editor, after, before)
                r.ok("names")
            except Exception as e:  # noqa: BLE001 - the failed migration is the finding
                r.fail("names", f"a later migration, {what}, fails on the created schema: {type(e).__name__}: "
                                f"{' '.join(str(e).split())[:300]}")

    def notes(self) -> list[str]:
        return [f"compared as sorted JSON: {NORMALIZED['json']} values; memoryview as bytes: "
                f"{NORMALIZED['memoryview']} values"]

    def judge_values(self) -> None:
        """Every object of every model, field by field."""
        from django.apps import apps

        for model in apps.get_models(include_auto_created=True):
            fields = [f.attname for f in model._meta.concrete_fields]
            label = model._meta.label
            sides = []
            for alias, side in (("source", "SQLite"), ("default", "the target")):
                def read(alias=alias):
                    return {o.pk: {f: getattr(o, f) for f in fields} for o in model._base_manager.using(alias).all()}
                sides.append(read_side(self.report, label, side, read))
            if None not in sides:
                compare_rows(self.report, label, sides[0], sides[1], fields)

    def judge_login(self) -> None:
        """authenticate(), the session that was open, and the admin pages."""
        from django.contrib.auth import authenticate
        from django.contrib.auth.models import User
        from django.contrib.sessions.backends.db import SessionStore
        from django.test import Client
        from shop.models import Item

        r = self.report
        alice_pk = User.objects.using("source").get(username="alice").pk
        user = authenticate(username="alice", password=PASSWORD)
        r.check("login", user is not None and user.pk == alice_pk,
                f"authenticate('alice', her password) on the target returned {user!r} (expected pk {alice_pk})")
        r.check("login", authenticate(username="alice", password=PASSWORD + "x") is None,
                "authenticate('alice', a wrong password) let her in")
        session = SessionStore(session_key=SESSION_KEY).load()
        r.check("login", session.get("_auth_user_id") == str(alice_pk) and session.get("note") == HARD_TEXT,
                f"the session open on SQLite reads back as {session!r}")

        client = Client()
        r.check("login", client.login(username="root", password=ROOT_PASSWORD),
                "the superuser cannot log in through the test client")
        for path in ["/admin/", "/admin/shop/item/", "/admin/shop/order/", "/admin/auth/user/"] + [
            f"/admin/shop/item/{pk}/change/"
            for pk in Item.objects.filter(code__in=["min-values", "hard-text", "nulls"]).values_list("pk", flat=True)
        ]:
            try:
                status = client.get(path).status_code
            except Exception as e:  # noqa: BLE001 - a page that crashes is a failed check
                status = f"{type(e).__name__}: {e}"
            r.check("login", status == 200, f"admin page {path}: {status}")

    def judge_filters(self) -> None:
        """The same queries on both sides return the same objects; on MariaDB's _ci
        collation, case-sensitive equality is the documented exception."""
        from django.db.models import Q
        from shop.models import Item, Order

        r = self.report
        queries = {
            "orders placed in [2024-03-10 02:00, 2024-03-31 01:00) UTC": (
                Order, Q(placed_at__gte=dt.datetime(2024, 3, 10, 2, tzinfo=UTC),
                         placed_at__lt=dt.datetime(2024, 3, 31, 1, tzinfo=UTC))),
            "orders placed after 2024-03-31 00:59:59.999999 UTC": (
                Order, Q(placed_at__gt=dt.datetime(2024, 3, 31, 0, 59, 59, 999999, tzinfo=UTC))),
            "items with at in 1969..1971": (
                Item, Q(at__range=(dt.datetime(1969, 1, 1, tzinfo=UTC), dt.datetime(1971, 1, 1, tzinfo=UTC)))),
            "items with at__year=2024": (Item, Q(at__year=2024)),
            "items with data->kind = 'alpha'": (Item, Q(data__kind="alpha")),
            "items with data->nested->deep->k = 'v'": (Item, Q(data__nested__deep__k="v")),
            "items with a key 'big' in data": (Item, Q(data__has_key="big")),
            "items with JSON null in data": (Item, Q(data=None)),
            "items with SQL NULL in data": (Item, Q(data__isnull=True)),
            "items with a negative duration": (Item, Q(span__lt=dt.timedelta(0))),
            "items with price < 0": (Item, Q(price__lt=Decimal("0"))),
            "items with ratio < 1e-200": (Item, Q(ratio__lt=1e-200, ratio__gt=0)),
            "items with i64 = -2^63": (Item, Q(i64=I64_MIN)),
            "items with token = 102": (Item, Q(token=new_uuid(102))),
            "items of category 'Tools'": (Item, Q(category__name="Tools")),
            "orders of items with a parent": (Order, Q(item__parent__isnull=False)),
            "items with code = 'tag-00-eco'": (Item, Q(code=CASE_PAIR[0])),
            # HOST(ip) on PostgreSQL, where the column is inet.
            "items with ip__startswith='192.0.2'": (Item, Q(ip__startswith="192.0.2")),
        }
        for name, (model, q) in queries.items():
            try:
                expected = sorted(model.objects.using("source").filter(q).values_list("pk", flat=True))
                actual = sorted(model.objects.using("default").filter(q).values_list("pk", flat=True))
            except Exception as e:  # noqa: BLE001 - a query that fails is the finding
                r.fail("filters", f"{name}: {type(e).__name__}: {' '.join(str(e).split())[:300]}")
                continue
            r.equal("filters", f"{name}: pks", expected, actual)

        # Case-sensitive equality on a column that is not unique.
        exact = sorted(Item.objects.using("source").filter(title="Widget").values_list("pk", flat=True))
        folded = sorted(pk for pk, t in Item.objects.using("source").values_list("pk", "title")
                        if t.casefold() == "widget")
        actual = sorted(Item.objects.using("default").filter(title="Widget").values_list("pk", flat=True))
        judge_case_filter(r, self.folds_case, exact, folded, actual)

        # Case-insensitive lookups (the admin's search is icontains): UPPER() on
        # PostgreSQL, LIKE on SQLite and MariaDB, where the column's collation decides.
        # Every spelling of Widget, as on SQLite; except on MariaDB under the case-
        # sensitive collation cutover writes in create mode (utf8mb4_nopad_bin, so that
        # `=` and unique keys compare as on SQLite): there only the spelling asked for,
        # the documented difference of docs/apps/django.md, asserted.
        for name, q, same_case in (("title__iexact='widget'", Q(title__iexact="widget"), lambda t: t == "widget"),
                                   ("title__icontains='IDGE'", Q(title__icontains="IDGE"), lambda t: "IDGE" in t)):
            if self.engine == "mariadb" and not self.folds_case:
                expected = sorted(pk for pk, t in Item.objects.using("source").values_list("pk", "title")
                                  if same_case(t))
                what = f"items with {name} on MariaDB's utf8mb4_nopad_bin: only that spelling (documented)"
                self.report.note(f"MariaDB utf8mb4_nopad_bin: {name} is case-sensitive "
                                 "(documented difference, asserted)")
            else:
                expected = sorted(Item.objects.using("source").filter(q).values_list("pk", flat=True))
                what = f"items with {name}: pks"
            actual = sorted(Item.objects.using("default").filter(q).values_list("pk", flat=True))
            r.equal("filters", what, expected, actual)

    def judge_inserts(self) -> None:
        """A new row of every model: an id above every id SQLite handed out."""
        from django.contrib.admin.models import ADDITION, LogEntry
        from django.contrib.auth.models import Group, Permission, User
        from django.contrib.contenttypes.models import ContentType
        from django.contrib.sessions.backends.db import SessionStore
        from django.contrib.sessions.models import Session
        from django.db import transaction
        from django.db.models import Max
        from shop.models import Category, Item, Order, Tag

        r = self.report
        highest = highest_ids(self.source)
        made: dict[str, object] = {}

        def insert(model, make) -> None:
            table = model._meta.db_table
            label = model._meta.label
            try:
                with transaction.atomic(using="default"):
                    obj = make()
            except Exception as e:  # noqa: BLE001 - the failed insert is the finding
                r.fail("inserts", f"new {label}: the insert failed: {type(e).__name__}: {' '.join(str(e).split())}")
                return
            made[label] = obj
            if isinstance(obj.pk, int):
                largest = model._base_manager.using("source").aggregate(m=Max("pk"))["m"] or 0
                was = max(highest.get(table, 0), largest)
                r.check("inserts", obj.pk > was,
                        f"new {label} got id {obj.pk}, but SQLite had handed out ids up to {was} "
                        f"(sqlite_sequence of {table})")
            else:
                r.check("inserts", model._base_manager.using("default").filter(pk=obj.pk).exists(),
                        f"new {label} {show(obj.pk)} does not read back")

        ct = ContentType.objects.get_for_model(Item)
        insert(ContentType, lambda: ContentType.objects.create(app_label="judge", model="newmodel"))
        insert(Permission, lambda: Permission.objects.create(name="judge", content_type=ct, codename="judge_new"))
        insert(Group, lambda: Group.objects.create(name="judges"))
        insert(User, lambda: User.objects.create_user("newbie", "new@example.com", None))
        insert(Category, lambda: Category.objects.create(name="New category", slug="new-category"))
        insert(Tag, lambda: Tag.objects.create(name="new tag"))
        insert(Item, lambda: Item.objects.create(code="new-item", title="new", price=Decimal("1.2345"),
                                                 span=dt.timedelta(seconds=-1), data={"new": True}, ip="10.0.0.1"))
        new_user, new_group = made.get("auth.User"), made.get("auth.Group")
        new_item, new_tag = made.get("shop.Item"), made.get("shop.Tag")
        new_perm = made.get("auth.Permission")
        if new_item is not None:
            insert(Order, lambda: Order.objects.create(item=new_item, placed_at=dt.datetime.now(UTC)))
            insert(LogEntry, lambda: LogEntry.objects.create(user=User.objects.get(username="root"), content_type=ct,
                                                             object_id=str(new_item.pk), object_repr="new",
                                                             action_flag=ADDITION))
        if new_item is not None and new_tag is not None:
            insert(Item.tags.through, lambda: Item.tags.through.objects.create(item=new_item, tag=new_tag))
        if new_user is not None and new_group is not None:
            insert(User.groups.through, lambda: User.groups.through.objects.create(user=new_user, group=new_group))
        if new_group is not None and new_perm is not None:
            insert(Group.permissions.through,
                   lambda: Group.permissions.through.objects.create(group=new_group, permission=new_perm))
        if new_user is not None and new_perm is not None:
            insert(User.user_permissions.through,
                   lambda: User.user_permissions.through.objects.create(user=new_user, permission=new_perm))

        def new_session():
            store = SessionStore()
            store["x"] = 1
            store.create()
            return Session.objects.get(pk=store.session_key)

        insert(Session, new_session)
