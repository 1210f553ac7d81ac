"""The models of a small SQLAlchemy 2 shop backend (the FastAPI / Flask stack), for
cutover's judge. Their tables are built by the Alembic migrations in migrations/, never
by ``create_all``.

Choices a careful application makes, and why:

- A naming convention, so that Alembic names every constraint (``uq_…``, ``fk_…``).
- ``sqlite_autoincrement`` on most tables: without it SQLite hands the id of a deleted
  last row out again, and there is no ``sqlite_sequence`` to keep. ``category`` keeps
  SQLite's default (ids may be reused), as many applications do.
- ``DateTime`` and ``Time`` get ``fsp=6`` on MariaDB: SQLAlchemy's generic types render
  DATETIME and TIME without fractions there, and the server would round microseconds
  away. ``created`` keeps the generic ``DateTime`` (whole seconds), and so does
  ``Interval``, which SQLAlchemy stores as a DATETIME since 1970-01-01 on both SQLite
  and MariaDB (a variant would change what it reads back).
- ``Float`` is single precision on MariaDB (FLOAT) and double on PostgreSQL; the
  extremes of a double go in a ``Double`` column. ``Float(precision=24)`` is real
  (float4) on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal

from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, Date, DateTime, Double, Enum, Float, ForeignKey, Integer, Interval,
    LargeBinary, MetaData, Numeric, SmallInteger, String, Table, Text, Time, Uuid,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Microseconds on MariaDB too (see the module's doc).
DateTime6 = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
DateTimeTz6 = DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6, timezone=True), "mysql", "mariadb")
Time6 = Time().with_variant(mysql.TIME(fsp=6), "mysql", "mariadb")
# A 64-bit key on the servers, SQLite's rowid (INTEGER PRIMARY KEY) on SQLite.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ItemKind(enum.Enum):
    TOOL = "tool"
    PART = "part"
    SERVICE = "service"


class OrderStatus(enum.Enum):
    DRAFT = "draft"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


item_tag = Table(
    "item_tag",
    Base.metadata,
    Column("item_id", ForeignKey("item.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)


class UserAccount(Base):
    __tablename__ = "user_account"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime)


class Category(Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    parent: Mapped[Category | None] = relationship(remote_side=[id])


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(50))


class Item(Base):
    __tablename__ = "item"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    i32: Mapped[int | None] = mapped_column(Integer)
    i64: Mapped[int | None] = mapped_column(BigInteger)
    i16: Mapped[int | None] = mapped_column(SmallInteger)
    flag: Mapped[bool | None] = mapped_column(Boolean)
    price: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    ratio: Mapped[float | None] = mapped_column(Float)
    f32: Mapped[float | None] = mapped_column(Float(precision=24))
    f64: Mapped[float | None] = mapped_column(Double)
    day: Mapped[dt.date | None] = mapped_column(Date)
    at: Mapped[dt.datetime | None] = mapped_column(DateTime6)
    at_tz: Mapped[dt.datetime | None] = mapped_column(DateTimeTz6)
    clock: Mapped[dt.time | None] = mapped_column(Time6)
    span: Mapped[dt.timedelta | None] = mapped_column(Interval)
    token: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    data: Mapped[object | None] = mapped_column(JSON)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    kind: Mapped[ItemKind | None] = mapped_column(Enum(ItemKind, name="item_kind"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    created: Mapped[dt.datetime | None] = mapped_column(DateTime)

    category: Mapped[Category | None] = relationship()
    parent: Mapped[Item | None] = relationship(remote_side=[id])
    tags: Mapped[list[Tag]] = relationship(secondary=item_tag)


class Order(Base):
    __tablename__ = "order"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[OrderStatus] = mapped_column(Enum(OrderStatus, name="order_status"), default=OrderStatus.DRAFT)
    placed_at: Mapped[dt.datetime] = mapped_column(DateTimeTz6)
    note: Mapped[str | None] = mapped_column(Text)

    item: Mapped[Item] = relationship()
