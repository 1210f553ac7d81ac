#!/usr/bin/env python3
"""Generate the `cutover` demo client database (a garment-factory floor platform).

Usage:
    python3 scripts/gen_demo.py [--scale N] [--seed S] OUT
    python3 scripts/gen_demo.py [--scale N] [--seed S] --self-check [OUT]

OUT ending in .sql gets a text dump in the form `sqlite3 .dump` writes; OUT ending
in .sqlite or .db gets a SQLite database file. The same seed and scale always give
byte-identical output (a .sqlite file's bytes also depend on the SQLite library version). --scale multiplies the fact tables (production entries,
inspections, KPI snapshots, events, audit log, sessions, ...): scale 1 is the small
committed fixture (fixtures/demo/demo.sql), scale 100 is a benchmark-sized database.

--self-check generates the database twice (as .sqlite and as .sql) in a temporary
directory and checks: determinism, the 45 tables in 11 foreign-key tiers, integrity
and foreign keys, that every value fits its declared type, and that the .sql dump
loads back to exactly the same rows (values and typeof). It prints the tiers and
the row counts. Standard library only.
"""
import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import uuid
from decimal import Decimal

# ---------------------------------------------------------------------------
# Schema, as SQLAlchemy/Alembic writes it into SQLite (tab-indented, ", " line
# ends). maintenance_logs was added later by a hand-written SQL migration.
# ---------------------------------------------------------------------------
SCHEMA = """
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE clients (
    id INTEGER NOT NULL,
    code VARCHAR(32) NOT NULL,
    name VARCHAR(128) NOT NULL,
    country VARCHAR(2),
    timezone VARCHAR(64) NOT NULL,
    is_active BOOLEAN NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME,
    PRIMARY KEY (id),
    UNIQUE (code)
);
CREATE TABLE roles (
    id INTEGER NOT NULL,
    name VARCHAR(32) NOT NULL,
    description TEXT,
    PRIMARY KEY (id),
    UNIQUE (name)
);
CREATE TABLE permissions (
    id INTEGER NOT NULL,
    code VARCHAR(64) NOT NULL,
    description VARCHAR(255),
    PRIMARY KEY (id),
    UNIQUE (code)
);
CREATE TABLE defect_types (
    id INTEGER NOT NULL,
    code VARCHAR(16) NOT NULL,
    name VARCHAR(64) NOT NULL,
    severity VARCHAR(16) NOT NULL,
    is_active BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (code)
);
CREATE TABLE downtime_reasons (
    id INTEGER NOT NULL,
    code VARCHAR(16) NOT NULL,
    description VARCHAR(128) NOT NULL,
    category VARCHAR(32) NOT NULL,
    is_planned BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (code)
);
CREATE TABLE product_categories (
    id INTEGER NOT NULL,
    parent_id INTEGER,
    name VARCHAR(64) NOT NULL,
    "order" INTEGER NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(parent_id) REFERENCES product_categories (id) ON DELETE SET NULL
);
CREATE INDEX ix_product_categories_order ON product_categories ("order");
CREATE TABLE machine_types (
    id INTEGER NOT NULL,
    code VARCHAR(16) NOT NULL,
    name VARCHAR(64) NOT NULL,
    power_kw REAL,
    PRIMARY KEY (id),
    UNIQUE (code)
);
CREATE TABLE sites (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL,
    name VARCHAR(128) NOT NULL,
    city VARCHAR(64) NOT NULL,
    address TEXT,
    latitude REAL,
    longitude REAL,
    opened_on DATE,
    FOREIGN KEY(client_id) REFERENCES clients (id) ON DELETE CASCADE
);
CREATE TABLE departments (
    id INTEGER NOT NULL,
    client_id INTEGER NOT NULL,
    parent_id INTEGER,
    name VARCHAR(64) NOT NULL,
    cost_center VARCHAR(16),
    PRIMARY KEY (id),
    FOREIGN KEY(client_id) REFERENCES clients (id),
    FOREIGN KEY(parent_id) REFERENCES departments (id) ON DELETE SET NULL
);
CREATE TABLE users (
    id INTEGER NOT NULL,
    username VARCHAR(64) NOT NULL,
    email VARCHAR(254),
    password_hash VARCHAR(128) NOT NULL,
    full_name VARCHAR(128),
    role VARCHAR(32) NOT NULL,
    client_id INTEGER,
    supervisor_id INTEGER,
    locale VARCHAR(8) DEFAULT 'en' NOT NULL,
    is_active BOOLEAN DEFAULT 1 NOT NULL,
    created_at DATETIME NOT NULL,
    last_login DATETIME,
    PRIMARY KEY (id),
    UNIQUE (username),
    FOREIGN KEY(client_id) REFERENCES clients (id),
    FOREIGN KEY(supervisor_id) REFERENCES users (id) ON DELETE SET NULL,
    CHECK (is_active IN (0, 1))
);
CREATE INDEX ix_users_email ON users (email);
CREATE INDEX ix_users_client_id ON users (client_id);
CREATE TABLE shifts (
    id INTEGER NOT NULL,
    client_id INTEGER NOT NULL,
    name VARCHAR(32) NOT NULL,
    start_time TIME NOT NULL,
    end_time TIME NOT NULL,
    break_minutes INTEGER NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_shifts_client_name UNIQUE (client_id, name),
    FOREIGN KEY(client_id) REFERENCES clients (id) ON DELETE CASCADE
);
CREATE TABLE customers (
    id INTEGER NOT NULL,
    client_id INTEGER NOT NULL,
    name VARCHAR(128) NOT NULL,
    country VARCHAR(2),
    contact_email VARCHAR(254),
    notes TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY(client_id) REFERENCES clients (id)
);
CREATE TABLE role_permissions (
    role_id INTEGER NOT NULL,
    permission_id INTEGER NOT NULL,
    PRIMARY KEY (role_id, permission_id),
    FOREIGN KEY(role_id) REFERENCES roles (id) ON DELETE CASCADE,
    FOREIGN KEY(permission_id) REFERENCES permissions (id) ON DELETE CASCADE
);
CREATE TABLE app_settings (
    id INTEGER NOT NULL,
    client_id INTEGER,
    key VARCHAR(64) NOT NULL,
    value JSON NOT NULL,
    description TEXT,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_app_settings_client_key UNIQUE (client_id, key),
    FOREIGN KEY(client_id) REFERENCES clients (id) ON DELETE CASCADE
);
CREATE TABLE holidays (
    id INTEGER NOT NULL,
    client_id INTEGER NOT NULL,
    holiday_date DATE NOT NULL,
    name VARCHAR(128) NOT NULL,
    is_paid BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (client_id, holiday_date),
    FOREIGN KEY(client_id) REFERENCES clients (id) ON DELETE CASCADE
);
CREATE TABLE user_roles (
    user_id INTEGER NOT NULL,
    role_id INTEGER NOT NULL,
    granted_at DATETIME NOT NULL,
    PRIMARY KEY (user_id, role_id),
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE,
    FOREIGN KEY(role_id) REFERENCES roles (id) ON DELETE CASCADE
);
CREATE TABLE user_sessions (
    id UUID NOT NULL,
    user_id INTEGER NOT NULL,
    token VARCHAR(64) NOT NULL,
    ip_address VARCHAR(45),
    user_agent VARCHAR(255),
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    revoked BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (token),
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_user_sessions_user_id ON user_sessions (user_id);
CREATE INDEX ix_user_sessions_active ON user_sessions (expires_at) WHERE revoked = 0;
CREATE TABLE api_tokens (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    name VARCHAR(64) NOT NULL,
    prefix VARCHAR(8) NOT NULL,
    token_digest BLOB NOT NULL,
    scopes JSON,
    created_at DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked BOOLEAN NOT NULL,
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_api_tokens_prefix ON api_tokens (prefix);
CREATE TABLE notifications (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    kind VARCHAR(32) NOT NULL,
    title VARCHAR(200) NOT NULL,
    body TEXT,
    is_read BOOLEAN NOT NULL,
    created_at DATETIME NOT NULL,
    read_at DATETIME,
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_notifications_user_id_is_read ON notifications (user_id, is_read);
CREATE TABLE audit_log (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    actor_user_id INTEGER,
    client_id INTEGER,
    action VARCHAR(32) NOT NULL,
    entity VARCHAR(64) NOT NULL,
    entity_id INTEGER,
    payload JSON,
    ip_address VARCHAR(45),
    created_at DATETIME NOT NULL,
    FOREIGN KEY(actor_user_id) REFERENCES users (id) ON DELETE SET NULL,
    FOREIGN KEY(client_id) REFERENCES clients (id) ON DELETE SET NULL
);
CREATE INDEX ix_audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX ix_audit_log_created_at ON audit_log (created_at);
CREATE TABLE events (
    id INTEGER NOT NULL,
    event_uuid UUID NOT NULL,
    client_id INTEGER NOT NULL,
    user_id INTEGER,
    event_type VARCHAR(64) NOT NULL,
    payload JSON NOT NULL,
    occurred_at DATETIME NOT NULL,
    processed BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (event_uuid),
    FOREIGN KEY(client_id) REFERENCES clients (id) ON DELETE CASCADE,
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX ix_events_occurred_at ON events (occurred_at);
CREATE INDEX ix_events_event_type ON events (event_type);
CREATE TABLE production_lines (
    id INTEGER NOT NULL,
    site_id INTEGER NOT NULL,
    department_id INTEGER,
    code VARCHAR(16) NOT NULL,
    name VARCHAR(64) NOT NULL,
    capacity_per_hour INTEGER NOT NULL,
    is_active BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_production_lines_site_code UNIQUE (site_id, code),
    FOREIGN KEY(site_id) REFERENCES sites (id) ON DELETE CASCADE,
    FOREIGN KEY(department_id) REFERENCES departments (id) ON DELETE SET NULL
);
CREATE TABLE operators (
    id INTEGER NOT NULL,
    client_id INTEGER NOT NULL,
    department_id INTEGER,
    user_id INTEGER,
    employee_no VARCHAR(16) NOT NULL,
    full_name VARCHAR(128) NOT NULL,
    hire_date DATE,
    skill_grade VARCHAR(2),
    hourly_rate NUMERIC(10, 2),
    is_active BOOLEAN NOT NULL,
    notes TEXT,
    PRIMARY KEY (id),
    CONSTRAINT uq_operators_client_employee_no UNIQUE (client_id, employee_no),
    FOREIGN KEY(client_id) REFERENCES clients (id),
    FOREIGN KEY(department_id) REFERENCES departments (id) ON DELETE SET NULL,
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE SET NULL
);
CREATE TABLE styles (
    id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    category_id INTEGER,
    style_no VARCHAR(32) NOT NULL,
    description VARCHAR(255),
    season VARCHAR(8),
    total_sam NUMERIC(8, 4) NOT NULL,
    fob_price NUMERIC(12, 2),
    created_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (style_no),
    FOREIGN KEY(customer_id) REFERENCES customers (id),
    FOREIGN KEY(category_id) REFERENCES product_categories (id) ON DELETE SET NULL
);
CREATE TABLE capacity_scenarios (
    id INTEGER NOT NULL,
    site_id INTEGER NOT NULL,
    created_by INTEGER,
    name VARCHAR(128) NOT NULL,
    horizon_start DATE NOT NULL,
    horizon_end DATE NOT NULL,
    parameters JSON NOT NULL,
    result JSON,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(site_id) REFERENCES sites (id) ON DELETE CASCADE,
    FOREIGN KEY(created_by) REFERENCES users (id) ON DELETE SET NULL
);
CREATE TABLE operations (
    id INTEGER NOT NULL,
    style_id INTEGER NOT NULL,
    machine_type_id INTEGER,
    sequence INTEGER NOT NULL,
    code VARCHAR(16) NOT NULL,
    name VARCHAR(128) NOT NULL,
    sam NUMERIC(8, 4) NOT NULL,
    is_critical BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_operations_style_sequence UNIQUE (style_id, sequence),
    FOREIGN KEY(style_id) REFERENCES styles (id) ON DELETE CASCADE,
    FOREIGN KEY(machine_type_id) REFERENCES machine_types (id)
);
CREATE TABLE work_orders (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER NOT NULL,
    style_id INTEGER NOT NULL,
    order_no VARCHAR(32) NOT NULL,
    quantity INTEGER NOT NULL,
    due_date DATE NOT NULL,
    status VARCHAR(16) NOT NULL,
    priority INTEGER NOT NULL,
    unit_price NUMERIC(12, 2),
    notes TEXT,
    created_at DATETIME NOT NULL,
    updated_at DATETIME,
    UNIQUE (order_no),
    FOREIGN KEY(client_id) REFERENCES clients (id),
    FOREIGN KEY(style_id) REFERENCES styles (id)
);
CREATE TABLE line_operators (
    line_id INTEGER NOT NULL,
    operator_id INTEGER NOT NULL,
    assigned_on DATE NOT NULL,
    position VARCHAR(16),
    PRIMARY KEY (line_id, operator_id),
    FOREIGN KEY(line_id) REFERENCES production_lines (id) ON DELETE CASCADE,
    FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);
CREATE TABLE machines (
    id INTEGER NOT NULL,
    line_id INTEGER,
    machine_type_id INTEGER NOT NULL,
    asset_tag VARCHAR(32) NOT NULL,
    brand VARCHAR(64),
    purchased_on DATE,
    last_service_at DATETIME,
    PRIMARY KEY (id),
    UNIQUE (asset_tag),
    FOREIGN KEY(line_id) REFERENCES production_lines (id) ON DELETE SET NULL,
    FOREIGN KEY(machine_type_id) REFERENCES machine_types (id)
);
CREATE TABLE kpi_snapshots (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    line_id INTEGER NOT NULL,
    shift_id INTEGER NOT NULL,
    snapshot_date DATE NOT NULL,
    output_units INTEGER NOT NULL,
    earned_minutes NUMERIC(10, 2) NOT NULL,
    available_minutes NUMERIC(10, 2) NOT NULL,
    efficiency_pct NUMERIC(5, 2) NOT NULL,
    quality_pct NUMERIC(5, 2) NOT NULL,
    oee_pct NUMERIC(5, 2),
    computed_at DATETIME NOT NULL,
    CONSTRAINT uq_kpi_snapshots_line_shift_date UNIQUE (line_id, shift_id, snapshot_date),
    FOREIGN KEY(line_id) REFERENCES production_lines (id) ON DELETE CASCADE,
    FOREIGN KEY(shift_id) REFERENCES shifts (id)
);
CREATE INDEX ix_kpi_snapshots_snapshot_date ON kpi_snapshots (snapshot_date);
CREATE TABLE capacity_scenario_lines (
    id INTEGER NOT NULL,
    scenario_id INTEGER NOT NULL,
    line_id INTEGER NOT NULL,
    planned_efficiency NUMERIC(5, 2) NOT NULL,
    available_hours NUMERIC(6, 2) NOT NULL,
    load_minutes NUMERIC(12, 2) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (scenario_id, line_id),
    FOREIGN KEY(scenario_id) REFERENCES capacity_scenarios (id) ON DELETE CASCADE,
    FOREIGN KEY(line_id) REFERENCES production_lines (id) ON DELETE CASCADE
);
CREATE TABLE operator_attendance (
    id INTEGER NOT NULL,
    operator_id INTEGER NOT NULL,
    shift_id INTEGER NOT NULL,
    work_date DATE NOT NULL,
    clock_in TIME,
    clock_out TIME,
    status VARCHAR(16) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_operator_attendance_operator_date UNIQUE (operator_id, work_date),
    FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    FOREIGN KEY(shift_id) REFERENCES shifts (id)
);
CREATE TABLE work_order_sizes (
    id INTEGER NOT NULL,
    work_order_id INTEGER NOT NULL,
    size VARCHAR(8) NOT NULL,
    color VARCHAR(32) NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (work_order_id, size, color),
    FOREIGN KEY(work_order_id) REFERENCES work_orders (id) ON DELETE CASCADE
);
CREATE TABLE line_plans (
    id INTEGER NOT NULL,
    work_order_id INTEGER NOT NULL,
    line_id INTEGER NOT NULL,
    planned_start DATE NOT NULL,
    planned_end DATE NOT NULL,
    target_per_hour INTEGER NOT NULL,
    planned_efficiency NUMERIC(5, 2) NOT NULL,
    status VARCHAR(16) NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(work_order_id) REFERENCES work_orders (id) ON DELETE CASCADE,
    FOREIGN KEY(line_id) REFERENCES production_lines (id)
);
CREATE TABLE operator_skills (
    operator_id INTEGER NOT NULL,
    operation_id INTEGER NOT NULL,
    efficiency_pct NUMERIC(5, 2) NOT NULL,
    certified_on DATE,
    PRIMARY KEY (operator_id, operation_id),
    FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    FOREIGN KEY(operation_id) REFERENCES operations (id) ON DELETE CASCADE
);
CREATE TABLE downtime_events (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    line_id INTEGER NOT NULL,
    machine_id INTEGER,
    reason_id INTEGER NOT NULL,
    shift_id INTEGER NOT NULL,
    reported_by INTEGER,
    started_at DATETIME NOT NULL,
    ended_at DATETIME,
    minutes NUMERIC(8, 2),
    notes TEXT,
    FOREIGN KEY(line_id) REFERENCES production_lines (id) ON DELETE CASCADE,
    FOREIGN KEY(machine_id) REFERENCES machines (id) ON DELETE SET NULL,
    FOREIGN KEY(reason_id) REFERENCES downtime_reasons (id),
    FOREIGN KEY(shift_id) REFERENCES shifts (id),
    FOREIGN KEY(reported_by) REFERENCES users (id) ON DELETE SET NULL
);
CREATE TABLE bundles (
    id INTEGER NOT NULL,
    line_plan_id INTEGER NOT NULL,
    size_id INTEGER NOT NULL,
    bundle_no VARCHAR(32) NOT NULL,
    quantity INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL,
    cut_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (bundle_no),
    FOREIGN KEY(line_plan_id) REFERENCES line_plans (id) ON DELETE CASCADE,
    FOREIGN KEY(size_id) REFERENCES work_order_sizes (id)
);
CREATE TABLE hourly_targets (
    id INTEGER NOT NULL,
    line_plan_id INTEGER NOT NULL,
    target_date DATE NOT NULL,
    hour_start TIME NOT NULL,
    target_units INTEGER NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (line_plan_id, target_date, hour_start),
    FOREIGN KEY(line_plan_id) REFERENCES line_plans (id) ON DELETE CASCADE
);
CREATE TABLE production_entries (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    bundle_id INTEGER NOT NULL,
    operation_id INTEGER NOT NULL,
    operator_id INTEGER NOT NULL,
    line_id INTEGER NOT NULL,
    shift_id INTEGER NOT NULL,
    entry_date DATE NOT NULL,
    hour_start TIME NOT NULL,
    pieces INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    earned_minutes NUMERIC(10, 4) NOT NULL,
    source VARCHAR(16) NOT NULL,
    notes TEXT,
    recorded_at DATETIME NOT NULL,
    FOREIGN KEY(bundle_id) REFERENCES bundles (id) ON DELETE CASCADE,
    FOREIGN KEY(operation_id) REFERENCES operations (id),
    FOREIGN KEY(operator_id) REFERENCES operators (id),
    FOREIGN KEY(line_id) REFERENCES production_lines (id),
    FOREIGN KEY(shift_id) REFERENCES shifts (id)
);
CREATE INDEX ix_production_entries_entry_date ON production_entries (entry_date);
CREATE INDEX ix_production_entries_bundle_id ON production_entries (bundle_id);
CREATE TABLE quality_inspections (
    id INTEGER NOT NULL,
    production_entry_id INTEGER NOT NULL,
    inspector_id INTEGER,
    inspected_at DATETIME NOT NULL,
    sample_size INTEGER NOT NULL,
    defects_found INTEGER NOT NULL,
    result VARCHAR(8) NOT NULL,
    aql NUMERIC(3, 1) NOT NULL,
    ambient_humidity REAL,
    notes TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY(production_entry_id) REFERENCES production_entries (id) ON DELETE CASCADE,
    FOREIGN KEY(inspector_id) REFERENCES users (id) ON DELETE SET NULL
);
CREATE TABLE inspection_defects (
    id INTEGER NOT NULL,
    inspection_id INTEGER NOT NULL,
    defect_type_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    location VARCHAR(64),
    photo BLOB,
    notes TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY(inspection_id) REFERENCES quality_inspections (id) ON DELETE CASCADE,
    FOREIGN KEY(defect_type_id) REFERENCES defect_types (id)
);
CREATE TABLE rework_tickets (
    id INTEGER NOT NULL,
    defect_id INTEGER NOT NULL,
    assigned_operator_id INTEGER,
    status VARCHAR(16) NOT NULL,
    opened_at DATETIME NOT NULL,
    closed_at DATETIME,
    minutes_spent NUMERIC(8, 2),
    PRIMARY KEY (id),
    FOREIGN KEY(defect_id) REFERENCES inspection_defects (id) ON DELETE CASCADE,
    FOREIGN KEY(assigned_operator_id) REFERENCES operators (id) ON DELETE SET NULL
);
CREATE TABLE rework_signoffs (
    id INTEGER NOT NULL,
    ticket_id INTEGER NOT NULL,
    signed_by INTEGER NOT NULL,
    approved BOOLEAN NOT NULL,
    comment TEXT,
    signed_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(ticket_id) REFERENCES rework_tickets (id) ON DELETE CASCADE,
    FOREIGN KEY(signed_by) REFERENCES users (id)
);
"""

# Added by a hand-written migration (raw SQL, different formatting on purpose).
SCHEMA_RAW = """CREATE TABLE maintenance_logs (
  id INTEGER PRIMARY KEY,
  machine_id INTEGER NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
  performed_at DATETIME NOT NULL,
  technician VARCHAR(128) NOT NULL,
  cost DECIMAL(12,2),
  downtime_hours REAL,
  description TEXT,
  parts JSON
)"""


def schema_statements():
    """Each DDL statement as SQLAlchemy would emit it (tabs, ', ' line ends)."""
    out = []
    for stmt in SCHEMA.strip().split(";\n"):
        stmt = stmt.strip().rstrip(";")
        if stmt.startswith("CREATE TABLE"):
            head, body = stmt.split("\n", 1)
            lines = [ln.strip() for ln in body.rsplit("\n", 1)[0].split("\n")]
            body = ", \n".join("\t" + ln.rstrip(",") for ln in lines)
            stmt = head + "\n" + body + "\n)"
        out.append(stmt)
    out.append(SCHEMA_RAW)
    return out


# ---------------------------------------------------------------------------
# Fixed demo content
# ---------------------------------------------------------------------------
ALEMBIC_HEAD = "c3f1a9d27b84"
HISTORY_END = dt.date(2024, 5, 31)          # last day of data; go-live is Monday 2024-06-03
DAYS_PER_SCALE = 14                          # fact history grows by two weeks per scale unit

CLIENTS = [  # code, name, country, timezone
    ("ACME-MFG", "ACME Manufacturing Ltd.", "GB", "Europe/London"),
    ("TEXTILE-PRO", "Textile Pro S.A. de C.V.", "MX", "America/Mexico_City"),
    ("FASHION-WORKS", "Fashion Works GmbH", "DE", "Europe/Berlin"),
    ("QUALITY-STITCH", "Quality Stitch Co., Ltd.", "VN", "Asia/Ho_Chi_Minh"),
    ("GLOBAL-APPAREL", "Global Apparel Sourcing (BD) Ltd.", "BD", "Asia/Dhaka"),
    ("DEMO-001", "Demo Factory 001", None, "UTC"),
    ("TEST-001", "Test Factory 001", None, "UTC"),
    ("SAMPLE-001", "Sample Factory — Örnek Tekstil A.Ş.", "TR", "Europe/Istanbul"),
]

# bcrypt $2b$ cost-12 hashes, computed once at authoring time (see fixtures/demo/README.md).
PASSWORD_HASHES = {
    "admin": "$2b$12$KV67VjpwXFSqZDxRiDjuzea3TGH3O9oA5JMWz128lqWHNihnKzhZi",
    "supervisor1": "$2b$12$NRiCCuaI/O4gQ4ZmkDcvaOOAgxRqgrgZSQHLRxprk9sBQZHm7mFjG",
    "supervisor2": "$2b$12$1WWe2AKYamkVob9Ur1jHFuXhcM1wzUDhrxEPPBsvjTRG/d37USfdm",
    "supervisor3": "$2b$12$rHxJ9aM295EfQgKy7WRGTO3zakRoX.mQbzrJMIwd9HMdWePYvcIGe",
    "supervisor4": "$2b$12$fxjtFutgdbf4dPNqaDV5he745VLJGXz6hGEJpXDUeggzswm3.IbO.",
    "supervisor5": "$2b$12$c3bbb6x077VyjmPe8kOd4O/qIyLRkaW454Hh5p9l0C4EO0E1l4BYO",
    "operator1": "$2b$12$4BxFaFKypH9qpWBhj4jIH.Sam8yqIF2fkkp3Dx2Yn7eoAQBQS9Yga",
    "operator2": "$2b$12$T9CN0fpUj0P8.yGxfuKjauE1WF5o0p1.L5nGI2daImVkpI0aQvoBS",
    "operator3": "$2b$12$BBCEOdtkqFQo5JVIM930DuJloD/To.2jCG6K9eNHM73fwcvaE039W",
    "operator4": "$2b$12$K8TXD7oLFL1nGQb4DI9TSuW8a6NqcdEtGdYD5jQQRnMd9ulT77xrm",
    "operator5": "$2b$12$idpjejK3O7Nmn/M.3YFpYOzv8NA6SQfSh6S61cQib/kbNwBCaWfjG",
    "operator6": "$2b$12$VWx79aB3UJirvvAKw3A/QO0MYhhmnOTSmhxwm4p1/vANvM/lzRjeC",
    "leader1": "$2b$12$IZRFY4ZFTnXDSeFFySbKY.P/tDPk6tMEWyCaOsNOEJakUkbeOi3q6",
    "poweruser": "$2b$12$IFLmnLUcWAx/wBPAbawn.uDE5cTS3Ntz3Du9SdBRfGddbpUhLUw.S",
    "e2e_admin": "$2b$12$lvdE4ma7Kcop3HY.9nvxI.dZGgA5uHkBMoReECZfEs/KUkMkyS7BO",
    "e2e_supervisor": "$2b$12$cBEHbuBymF5HwGdWuWvV9e7DBgrnkCcXkxXvNaFemTpIIggRcV5PW",
    "e2e_operator": "$2b$12$qJzRXAVPyc0SRGeKhVFxAOYosCTKYJgepr2fP7fbAdjZ9efoC6v2S",
    # client staff (not demo accounts): random passwords, discarded after hashing
    "jose.garcia": "$2b$12$Mtp/mTrBboIdeaSn1W2kS.c6STu3bulptLdlPF8U6gYbgpPolpRv6",
    "juergen.mueller": "$2b$12$izdCuMXlvxCC75HRHYw7wuQ/3GaPcrVGu94DKsEA/M0Fpzee9sGAC",
    "nguyen.lan": "$2b$12$oAsCwO72.kWV6cs3WkcRTO.pIbx.d6JShnNEbtKAfmidnncmpfqda",
    "wang.fang": "$2b$12$Fr2A0Ig9jgY4Xk/EFTCuneyb8UKoE9Mj4oUkKV2SgEClMP48PdS8m",
    "olga.petrova": "$2b$12$1e5OYdw8xtA.FUlvjQrPnufG394WQqOJFznm4dOVREn4ZicNjOdz.",
    "rahim.uddin": "$2b$12$CEHCRdLDCLTETIAxNvPcxeB7IKIDk/L6YdQLKp1sSCD7S/eehucyO",
    "legacy.import": "$2b$12$spIJ6NMmRqmYSojmn4P7vecG0M/HpjfKL3/xVmBcrE/VpOL9sUZpK",
}

# username, role, client code, supervisor username, full name, email, locale, active
USERS = [
    ("admin", "admin", None, None, "System Administrator", "admin@floor-demo.example", "en", 1),
    ("supervisor1", "supervisor", "ACME-MFG", "admin", "Demo Supervisor 1", "supervisor1@acme-mfg.example", "en", 1),
    ("supervisor2", "supervisor", "TEXTILE-PRO", "admin", "Demo Supervisor 2", "supervisor2@textile-pro.example", "es", 1),
    ("supervisor3", "supervisor", "FASHION-WORKS", "juergen.mueller", "Demo Supervisor 3", "supervisor3@fashion-works.example", "de", 1),
    ("supervisor4", "supervisor", "QUALITY-STITCH", "admin", "Demo Supervisor 4", "supervisor4@quality-stitch.example", "vi", 1),
    ("supervisor5", "supervisor", "GLOBAL-APPAREL", "admin", "Demo Supervisor 5", "supervisor5@global-apparel.example", "bn", 1),
    ("operator1", "operator", "ACME-MFG", "supervisor1", "Demo Operator 1", "operator1@acme-mfg.example", "en", 1),
    ("operator2", "operator", "ACME-MFG", "supervisor1", "Demo Operator 2", "operator2@acme-mfg.example", "en", 1),
    ("operator3", "operator", "TEXTILE-PRO", "supervisor2", "Demo Operator 3", "operator3@textile-pro.example", "es", 1),
    ("operator4", "operator", "FASHION-WORKS", "supervisor3", "Demo Operator 4", "operator4@fashion-works.example", "de", 1),
    ("operator5", "operator", "QUALITY-STITCH", "supervisor4", "Demo Operator 5", "operator5@quality-stitch.example", "vi", 1),
    ("operator6", "operator", "GLOBAL-APPAREL", "supervisor5", "Demo Operator 6", None, "bn", 1),
    ("leader1", "leader", "ACME-MFG", "supervisor1", "Demo Line Leader", "leader1@acme-mfg.example", "en", 1),
    ("poweruser", "poweruser", "DEMO-001", "admin", "Demo Power User", "poweruser@floor-demo.example", "en", 1),
    ("e2e_admin", "admin", "TEST-001", None, "E2E Admin", "e2e_admin@e2e.test", "en", 1),
    ("e2e_supervisor", "supervisor", "TEST-001", "e2e_admin", "E2E Supervisor", "e2e_supervisor@e2e.test", "en", 1),
    ("e2e_operator", "operator", "TEST-001", "e2e_supervisor", "E2E Operator", "e2e_operator@e2e.test", "en", 1),
    ("jose.garcia", "supervisor", "TEXTILE-PRO", "supervisor2", "José García", "jose.garcia@textile-pro.example", "es", 1),
    ("juergen.mueller", "supervisor", "FASHION-WORKS", "admin", "Jürgen Müller", "j.mueller@fashion-works.example", "de", 1),
    ("nguyen.lan", "operator", "QUALITY-STITCH", "supervisor4", "Nguyễn Thị Lan", "lan.nguyen@quality-stitch.example", "vi", 1),
    ("wang.fang", "leader", "QUALITY-STITCH", "supervisor4", "王芳", "wang.fang@quality-stitch.example", "zh", 1),
    ("olga.petrova", "leader", "ACME-MFG", "supervisor1", "Ольга Петрова", "o.petrova@acme-mfg.example", "ru", 1),
    ("rahim.uddin", "supervisor", "GLOBAL-APPAREL", "supervisor5", "Rahim Uddin (রহিম উদ্দিন)", "rahim@global-apparel.example", "bn", 1),
    ("legacy.import", "operator", "ACME-MFG", None, "", "", "en", 0),
]
DEMO_USERNAMES = [u[0] for u in USERS[:17]]

ROLES = [("admin", "Full access to every client"), ("supervisor", "Runs a floor; edits plans and quality"),
         ("operator", "Enters hourly production"), ("leader", "Line leader; production + downtime"),
         ("poweruser", "Planning and reports across clients"), ("viewer", None)]
PERMISSIONS = ["production.view", "production.edit", "quality.view", "quality.edit", "planning.view",
               "planning.edit", "kpi.view", "downtime.edit", "reports.export", "users.manage",
               "settings.manage", "audit.view"]
ROLE_PERMS = {"admin": PERMISSIONS, "supervisor": PERMISSIONS[:9], "operator": ["production.view", "production.edit"],
              "leader": ["production.view", "production.edit", "quality.view", "kpi.view", "downtime.edit"],
              "poweruser": PERMISSIONS[:9] + ["audit.view"], "viewer": ["production.view", "kpi.view"]}

MACHINE_TYPES = [("SNL", "Single needle lockstitch", 0.55), ("OL", "Overlock 4-thread", 0.4),
                 ("FL", "Flatlock / coverstitch", 0.55), ("DNL", "Double needle lockstitch", 0.75),
                 ("BH", "Buttonhole", 0.55), ("BS", "Button sew", 0.4), ("BT", "Bartack", 0.75),
                 ("FOA", "Feed-off-the-arm", 1.1), ("IRON", "Steam iron press", 2.2), ("INSP", "Inspection table", None)]
DEFECT_TYPES = [("BRK", "Broken stitch", "major"), ("SKP", "Skipped stitch", "major"), ("OPN", "Open seam", "critical"),
                ("HEM", "Uneven hem", "minor"), ("STN", "Oil stain / spot", "major"), ("LBL", "Wrong care label", "critical"),
                ("SHD", "Shade variation", "major"), ("PCK", "Puckering", "minor"), ("MSR", "Measurement out of tolerance", "major"),
                ("HOL", "Hole / fabric damage", "critical"), ("OLD", "Legacy code (retired)", "minor")]
DOWNTIME_REASONS = [("MECH", "Machine breakdown", "machine", 0), ("NEEDLE", "Needle / thread change", "machine", 0),
                    ("NOMAT", "Waiting for cut panels", "material", 0), ("POWER", "Power cut", "utility", 0),
                    ("CHANGE", "Style changeover", "planning", 1), ("MEET", "Line meeting", "people", 1),
                    ("PM", "Preventive maintenance", "machine", 1), ("QHOLD", "Quality hold", "quality", 0)]
CATEGORIES = [  # id, parent, name, order
    (1, None, "Apparel", 1), (2, 1, "Tops", 1), (3, 1, "Bottoms", 2), (4, 2, "T-Shirts", 1), (5, 2, "Polos", 2),
    (6, 3, "Jeans", 1), (7, 3, "Chinos", 2), (8, None, "Outerwear", 2), (9, 8, "Jackets", 1), (10, 2, "Hoodies", 3)]
OP_TEMPLATES = {  # leaf category -> (operation, machine, base SAM)
    4: [("Shoulder join", "OL", 0.18), ("Neck rib attach", "OL", 0.32), ("Neck tape top-stitch", "SNL", 0.28),
        ("Sleeve attach", "OL", 0.45), ("Sleeve hem", "FL", 0.30), ("Side seam", "OL", 0.55), ("Bottom hem", "FL", 0.38),
        ("Care label attach", "SNL", 0.15), ("Thread trimming", None, 0.40), ("Final inspection", "INSP", 0.35)],
    5: [("Placket make", "SNL", 0.85), ("Placket attach", "SNL", 0.95), ("Collar attach", "SNL", 0.75),
        ("Shoulder join", "OL", 0.2), ("Sleeve attach", "OL", 0.5), ("Side seam + vent", "OL", 0.7),
        ("Buttonhole (3)", "BH", 0.3), ("Button sew (3)", "BS", 0.27), ("Pressing", "IRON", 0.6), ("Final inspection", "INSP", 0.4)],
    6: [("Back pocket hem", "SNL", 0.22), ("Back pocket attach", "DNL", 0.9), ("Yoke join", "FOA", 0.55),
        ("Fly J-stitch", "SNL", 0.48), ("Front pocket make", "OL", 0.85), ("Inseam", "FOA", 0.7), ("Side seam", "OL", 0.65),
        ("Waistband attach", "DNL", 1.1), ("Belt loops + bartack", "BT", 0.95), ("Bottom hem", "SNL", 0.5)],
    7: [("Dart sew", "SNL", 0.3), ("Welt pocket", "SNL", 1.6), ("Fly attach", "SNL", 0.75), ("Side seam", "OL", 0.6),
        ("Inseam", "OL", 0.55), ("Waistband attach", "SNL", 1.05), ("Buttonhole", "BH", 0.12), ("Bottom hem", "SNL", 0.45),
        ("Pressing", "IRON", 0.8)],
    9: [("Lining assembly", "SNL", 2.4), ("Zip attach", "SNL", 1.35), ("Hood make", "SNL", 1.8), ("Sleeve attach", "SNL", 1.2),
        ("Cuff attach", "OL", 0.65), ("Quilting", "DNL", 3.2), ("Side seam", "SNL", 0.9), ("Pressing", "IRON", 1.5)],
    10: [("Hood make", "OL", 0.7), ("Kangaroo pocket", "FL", 0.65), ("Shoulder join", "OL", 0.2), ("Sleeve attach", "OL", 0.5),
         ("Cuff + waistband rib", "OL", 0.8), ("Side seam", "OL", 0.6), ("Drawcord eyelets", "BH", 0.25), ("Final inspection", "INSP", 0.4)],
}
NAMES = {  # country -> (first names, last names)
    "GB": (["Oliver", "Amelia", "Harry", "Isla", "Jack", "Sophie", "Priya", "Ольга", "Connor", "Zoë"],
           ["Smith", "Jones", "O'Brien", "Taylor", "Khan", "Wilson", "Brown", "Nowak", "Evans", "Петрова"]),
    "MX": (["José", "María", "Juan", "Lucía", "Sofía", "Ángel", "Guadalupe", "Raúl"],
           ["García", "Fernández", "Pérez", "Hernández", "Martínez", "Núñez", "López", "Ibáñez"]),
    "DE": (["Jürgen", "Anna", "Lukas", "Lena", "Jonas", "Marie", "Björn", "Özlem"],
           ["Müller", "Schäfer", "Weiß", "Köhler", "Groß", "Böhm", "Schmidt", "Yılmaz"]),
    "VN": (["Lan", "Hùng", "Hoa", "Đức", "Trang", "Bảo", "芳", "娜"],
           ["Nguyễn Thị", "Trần Văn", "Lê Thị", "Phạm Minh", "Hoàng", "Võ Quốc", "王", "李"]),
    "BD": (["Rahim", "Fatema", "Karim", "Nasrin", "Shakil", "Ruma", "সুমাইয়া", "Mitu"],
           ["Uddin", "Begum", "Hossain", "Akter", "Ahmed", "Khatun", "আক্তার", "Islam"]),
    "TR": (["Ayşe", "Mehmet", "Çağla", "Emre", "Zeynep", "İbrahim"], ["Yılmaz", "Öztürk", "Şahin", "Doğan", "Kılıç", "Güneş"]),
    None: (["Demo", "Test", "Sample"], ["Operator", "Worker", "User"]),
}
CUSTOMERS = ["Nordic Basics AB", "Maison Lumière SARL", "Urban Thread Co.", "Sakura Apparel 株式会社", "Café Moda S.L.",
             "Blue Harbor Outfitters", "Kaufhaus Süd GmbH", "Trail & Peak Inc.", "Demo Buyer", "Test Buyer Ltd"]
FREE_NOTES = ["Needle broke 🪡, replaced", "机器故障 — fixed by mechanic", "Перерыв на обед задержан", "Nähmaschine neu eingestellt",
              "Operator O'Neil covered for absent colleague", "Bundle re-counted:\nfront panels short by 2", "✅ checked by QA 👍",
              "ভুল সাইজ লেবেল, পরিবর্তন করা হয়েছে", "imported from \\\\fileserver\\prod\\2024-05.xlsx", "Tạm dừng do mất điện",
              "50% rework; \"urgent\" per buyer", "縫製ライン2 — 糸切れ", "line\r\nwindows line ending"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL", "3XL"]
COLORS = ["Navy", "Black", "Heather Grey", "Off-White", "Olive", "Burgundy", "Indigo Rinse", "Sky Blue"]
USER_AGENTS = ["Mozilla/5.0 (Linux; Android 12; SM-T505) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
               "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/125.0 Safari/537.36",
               "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", "FloorTablet/2.3.1 (kiosk)",
               "python-requests/2.31.0", "Playwright e2e runner"]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def ts(x):
    return x.strftime("%Y-%m-%d %H:%M:%S")


def ts_us(x):
    return x.strftime("%Y-%m-%d %H:%M:%S.%f")


def hms(h, m=0, s=0):
    return "%02d:%02d:%02d" % (h % 24, m, s)


def rand_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def rand_ip(rng):
    if rng.random() < 0.15:
        return "2001:db8:%x:%x::%x" % (rng.randrange(65536), rng.randrange(65536), rng.randrange(1, 65536))
    return "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))


def at(day, rng, h0=6, h1=22, micro=False):
    """A datetime on `day` between hours h0 and h1."""
    x = dt.datetime(day.year, day.month, day.day, h0) + dt.timedelta(seconds=rng.randrange((h1 - h0) * 3600))
    return x.replace(microsecond=rng.randrange(1000000)) if micro else x


def maybe_note(rng, p_text=0.08, p_empty=0.04):
    r = rng.random()
    if r < p_text:
        return rng.choice(FREE_NOTES)
    return "" if r < p_text + p_empty else None


class Sink:
    """Buffers rows per table (given as keyword arguments) and inserts them in batches."""

    def __init__(self, con, batch=5000):
        self.con, self.batch, self.buf, self.cols, self.sql = con, batch, {}, {}, {}
        for (name,) in con.execute("SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"):
            cols = [r[1] for r in con.execute('PRAGMA table_info("%s")' % name)]
            self.cols[name] = cols
            self.sql[name] = 'INSERT INTO "%s" VALUES (%s)' % (name, ",".join("?" * len(cols)))
            self.buf[name] = []

    def add(self, table, **row):
        cols = self.cols[table]
        if len(row) != len(cols):
            raise KeyError("%s: got %s, want %s" % (table, sorted(row), cols))
        b = self.buf[table]
        b.append(tuple(row[c] for c in cols))
        if len(b) >= self.batch:
            self.flush(table)

    def flush(self, table=None):
        for t in [table] if table else list(self.buf):
            if self.buf[t]:
                self.con.executemany(self.sql[t], self.buf[t])
                self.buf[t] = []


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------
def generate(con, seed, scale):
    for stmt in schema_statements():
        con.execute(stmt)
    out = Sink(con)

    def R(name):  # one independent, reproducible stream per section
        return random.Random("%d/%s" % (seed, name))

    span = DAYS_PER_SCALE * scale
    start = HISTORY_END - dt.timedelta(days=span - 1)
    days = [start + dt.timedelta(days=i) for i in range(span)]
    workdays = [d for d in days if d.weekday() != 6]
    setup = dt.datetime(2023, 11, 6, 9, 30)     # when the platform was installed

    # --- tier 0 -----------------------------------------------------------
    out.add("alembic_version", version_num=ALEMBIC_HEAD)
    r = R("clients")
    for i, (code, name, country, tz) in enumerate(CLIENTS, 1):
        created = setup + dt.timedelta(days=i - 1, seconds=r.randrange(20000))
        out.add("clients", id=i, code=code, name=name, country=country, timezone=tz, is_active=1, created_at=ts(created),
                updated_at=None if i % 3 == 0 else ts(created + dt.timedelta(days=r.randrange(1, 120))))
    client_id = {c[0]: i for i, c in enumerate(CLIENTS, 1)}
    country_of = {i: c[2] for i, c in enumerate(CLIENTS, 1)}
    for i, (name, desc) in enumerate(ROLES, 1):
        out.add("roles", id=i, name=name, description=desc)
    for i, code in enumerate(PERMISSIONS, 1):
        out.add("permissions", id=i, code=code, description=None if i == 4 else "Allows " + code.replace(".", " "))
    for i, (code, name, sev) in enumerate(DEFECT_TYPES, 1):
        out.add("defect_types", id=i, code=code, name=name, severity=sev, is_active=0 if code == "OLD" else 1)
    for i, (code, desc, cat, planned) in enumerate(DOWNTIME_REASONS, 1):
        out.add("downtime_reasons", id=i, code=code, description=desc, category=cat, is_planned=planned)
    for cid, parent, name, order in CATEGORIES:
        out.add("product_categories", id=cid, parent_id=parent, name=name, order=order)
    mtype = {}
    for i, (code, name, kw) in enumerate(MACHINE_TYPES, 1):
        out.add("machine_types", id=i, code=code, name=name, power_kw=kw)
        mtype[code] = i

    # --- tier 1 -----------------------------------------------------------
    r = R("sites")
    sites, site_no = [], 0          # (site_id, client_id)
    cities = {"GB": [("Leicester", 52.6369, -1.1398), ("Manchester", 53.4808, -2.2426)], "MX": [("Puebla", 19.0414, -98.2063)],
              "DE": [("Mönchengladbach", 51.1805, 6.4428)], "VN": [("Biên Hòa", 10.9574, 106.8426), ("Đà Nẵng", 16.0544, 108.2022)],
              "BD": [("Gazipur", 23.9999, 90.4203), ("Narayanganj", 23.6238, 90.5), ("Chittagong", 22.3569, 91.7832)],
              "TR": [("Denizli", 37.7765, 29.0864)], None: [("Demo City", None, None)]}
    for cid in range(1, len(CLIENTS) + 1):
        for city, lat, lon in cities[country_of[cid]]:
            site_no += 1
            addr = r.choice([None, "", "%d Mill Road" % r.randrange(1, 200), "Lô %d, KCN Amata" % r.randrange(1, 90)])
            out.add("sites", id=site_no, client_id=cid, name="%s Plant" % city, city=city, address=addr,
                    latitude=lat, longitude=lon, opened_on=(dt.date(2010, 1, 1) + dt.timedelta(days=r.randrange(4000))).isoformat())
            sites.append((site_no, cid))
    dept_sewing, did = {}, 0
    for cid in range(1, len(CLIENTS) + 1):
        root = did + 1
        for j, name in enumerate(["Production", "Cutting", "Sewing", "Finishing", "Quality"]):
            did += 1
            out.add("departments", id=did, client_id=cid, parent_id=None if j == 0 else root, name=name,
                    cost_center=[None, "", "CC-%02d%d" % (cid, j)][(cid + j) % 3])
            if name == "Sewing":
                dept_sewing[cid] = did
    r = R("users")
    uid = {u[0]: i for i, u in enumerate(USERS, 1)}
    users_by_client = {}
    for i, (name, role, ccode, sup, full, email, loc, active) in enumerate(USERS, 1):
        created = setup + dt.timedelta(days=r.randrange(0, 30), seconds=r.randrange(86400))
        never = name in ("e2e_operator", "operator6", "legacy.import", "nguyen.lan")
        last = None if never else dt.datetime(2024, 5, 20) + dt.timedelta(seconds=r.randrange(11 * 86400), microseconds=r.randrange(10**6))
        out.add("users", id=i, username=name, email=email, password_hash=PASSWORD_HASHES[name], full_name=full, role=role,
                client_id=client_id.get(ccode), supervisor_id=uid.get(sup), locale=loc, is_active=active,
                created_at=ts(created), last_login=None if last is None else ts_us(last))
        if active:
            users_by_client.setdefault(client_id.get(ccode), []).append(i)
    active_users = [i for i, u in enumerate(USERS, 1) if u[7]]
    shifts_of, sid = {}, 0           # client -> [(shift_id, start_hour, hours)]
    for cid in range(1, len(CLIENTS) + 1):
        pattern = [("Day", 6, 8), ("Evening", 14, 8)] + ([("Night", 22, 8)] if CLIENTS[cid - 1][0] == "GLOBAL-APPAREL" else [])
        if cid in (6, 7):
            pattern = [("General", 8, 9)]
        for name, h, n in pattern:
            sid += 1
            out.add("shifts", id=sid, client_id=cid, name=name, start_time=hms(h), end_time=hms(h + n), break_minutes=30 if n == 8 else 60)
            shifts_of.setdefault(cid, []).append((sid, h, n))
    r = R("customers")
    customers, cuid = [], 0          # (customer_id, client_id)
    for cid in range(1, len(CLIENTS) + 1):
        for k in range(1 if cid >= 6 else 2):
            cuid += 1
            name = CUSTOMERS[8 + (cid % 2)] if cid >= 6 else CUSTOMERS[(cid * 2 + k) % 8]
            out.add("customers", id=cuid, client_id=cid, name=name, country=r.choice(["SE", "FR", "US", "JP", "ES", "DE", None]),
                    contact_email=r.choice([None, "", "buying@%s.example" % re.sub(r"[^a-z]", "", name.lower())[:20]]),
                    notes=maybe_note(r, 0.3, 0.2))
            customers.append((cuid, cid))
    role_id = {name: i for i, (name, _) in enumerate(ROLES, 1)}
    for role, perms in ROLE_PERMS.items():
        for p in perms:
            out.add("role_permissions", role_id=role_id[role], permission_id=PERMISSIONS.index(p) + 1)
    settings = [(None, "site_name", "Floor Platform", "Shown in the header"), (None, "default_locale", "en", None),
                (None, "maintenance_mode", False, ""), (None, "feature_flags", {"capacity_planner": True, "kpi_v2": False,
                 "beta": ["andon", "ai_line_balance"]}, "Rollout flags"),
                (None, "smtp", {"host": "smtp.example.com", "port": 587, "use_tls": True, "from": "Floor Platform <noreply@example.com>"}, None),
                (None, "kpi_thresholds", {"efficiency": {"warn": 65.0, "critical": 50.0}, "quality": {"warn": 97.5, "critical": 95.0}}, None),
                (None, "allowed_origins", ["http://localhost:3000", "https://floor-demo.example"], "CORS")]
    for cid in range(1, len(CLIENTS) + 1):
        settings += [(cid, "timezone", CLIENTS[cid - 1][3], None),
                     (cid, "efficiency_target", {"pct": 60.0 + 2.5 * cid, "by_shift": {"Day": 70.0, "Evening": 65.0}}, None),
                     (cid, "welcome_message", ["Welcome 👋", "¡Bienvenidos!", "Willkommen, schön dass Sie da sind", "Xin chào 👋",
                                               "স্বাগতম", "Welcome to the demo", "E2E", "Hoş geldiniz"][cid - 1], None)]
    for i, (cid, key, value, desc) in enumerate(settings, 1):
        out.add("app_settings", id=i, client_id=cid, key=key, value=json.dumps(value, ensure_ascii=(i % 2 == 0)),
                description=desc, updated_at=ts(setup + dt.timedelta(hours=i)))
    hol = [("01-01", "New Year's Day"), ("05-01", "Labour Day"), ("12-25", "Christmas Day"), ("03-26", "Independence Day / Ngày lễ")]
    hid = 0
    for cid in range(1, len(CLIENTS) + 1):
        for k, (md, name) in enumerate(hol[: 2 + cid % 3]):
            hid += 1
            out.add("holidays", id=hid, client_id=cid, holiday_date="2024-" + md, name=name, is_paid=int(k != 3))

    # --- tier 2 -----------------------------------------------------------
    r = R("user_roles")
    for i, u in enumerate(USERS, 1):
        extra = ["supervisor", "leader"] if u[1] == "poweruser" else ["viewer"] if u[0] == "olga.petrova" else []
        for role in [u[1]] + extra:
            out.add("user_roles", user_id=i, role_id=role_id[role], granted_at=ts(setup + dt.timedelta(days=1, seconds=r.randrange(864000))))
    r = R("lines")
    lines, line_id = [], 0           # (line_id, client_id, site_id, active)
    for site, cid in sites:
        for k in range(3 if cid == 5 else 2):
            line_id += 1
            active = 0 if line_id == 7 else 1
            out.add("production_lines", id=line_id, site_id=site, department_id=None if line_id % 9 == 0 else dept_sewing[cid],
                    code="L%02d" % (k + 1), name="Line %d — %s" % (k + 1, ["Knits", "Wovens", "Denim"][k]),
                    capacity_per_hour=r.choice([60, 75, 90, 120]), is_active=active)
            lines.append((line_id, cid, site, active))
    r = R("operators")
    line_ops, client_ops, op_id = {}, {}, 0
    demo_op_user = {client_id[u[2]]: [] for u in USERS if u[1] == "operator" and u[2]}
    for u in USERS:
        if u[1] == "operator" and u[2] and u[7]:
            demo_op_user[client_id[u[2]]].append(uid[u[0]])
    for lid, cid, _, _ in lines:
        firsts, lasts = NAMES[country_of[cid]]
        for k in range(6):
            op_id += 1
            linked = demo_op_user.get(cid, [])
            user = linked.pop(0) if linked and k == 0 else None
            full = "%s %s" % (r.choice(firsts), r.choice(lasts)) if country_of[cid] != "VN" else "%s %s" % (r.choice(lasts), r.choice(firsts))
            out.add("operators", id=op_id, client_id=cid, department_id=dept_sewing[cid], user_id=user,
                    employee_no="E%04d" % op_id, full_name=full,
                    hire_date=None if op_id % 17 == 0 else (dt.date(2015, 1, 1) + dt.timedelta(days=r.randrange(3200))).isoformat(),
                    skill_grade=r.choice(["A", "B", "B", "C", None]), hourly_rate=round(r.uniform(1.2, 18.5), 2),
                    is_active=0 if op_id % 23 == 0 else 1, notes=maybe_note(r, 0.15, 0.1))
            line_ops.setdefault(lid, []).append(op_id)
            client_ops.setdefault(cid, []).append(op_id)
    r = R("styles")
    styles, st_id, ops_of_style, opn_id = [], 0, {}, 0     # styles: (style_id, client_id)
    leaves = [4, 5, 6, 7, 9, 10]
    for cuid, cid in customers:
        for k in range(3 if cid <= 5 else 2):
            st_id += 1
            cat = r.choice(leaves)
            tpl = OP_TEMPLATES[cat]
            chosen = sorted(r.sample(range(len(tpl)), r.randint(6, len(tpl))))
            ops = []
            for seq, j in enumerate(chosen, 1):
                opn_id += 1
                name, mach, sam = tpl[j]
                ops.append((opn_id, seq, name, mach, round(sam * r.uniform(0.85, 1.2), 4)))
            ops_of_style[st_id] = [(o[0], o[4]) for o in ops]
            name = [c for c in CATEGORIES if c[0] == cat][0][2]
            out.add("styles", id=st_id, customer_id=cuid, category_id=cat, style_no="%s-%s-%d" % (CLIENTS[cid - 1][0][:4], name[:2].upper(), 1000 + st_id),
                    description=r.choice([None, "", "%s, %s" % (name, r.choice(["organic cotton", "stretch denim", "piqué 220 g/m²", "recycled poly — 再生"]))]),
                    season=r.choice(["SS24", "AW24", "SS25", None]), total_sam=round(sum(o[4] for o in ops), 4),
                    fob_price=round(r.uniform(2.5, 48.0), 2), created_at=ts(setup + dt.timedelta(days=r.randrange(40), seconds=r.randrange(86400))))
            styles.append((st_id, cid))
            for oid, seq, name, mach, sam in ops:
                out.add("operations", id=oid, style_id=st_id, machine_type_id=mtype.get(mach), sequence=seq,
                        code="OP%03d" % seq, name=name, sam=sam, is_critical=int(sam > 1.0 or "attach" in name.lower()))
    r = R("scenarios")
    scn = scl = 0
    for site, cid in sites:
        site_lines = [l for l in lines if l[2] == site]
        for k in range(2):
            scn += 1
            h0 = HISTORY_END + dt.timedelta(days=3 + 7 * k)
            params = {"horizon_weeks": 4, "working_days": [1, 2, 3, 4, 5, 6], "shifts": [s[0] for s in shifts_of[cid]],
                      "absenteeism_pct": round(r.uniform(3, 12), 1), "overtime": {"allowed": k == 1, "max_hours_per_week": 12},
                      "notes": ["Peak season — Hochsaison", "ramadan schedule রমজান", "baseline"][r.randrange(3)]}
            result = None if k == 1 and site % 2 else {"total_capacity_min": round(r.uniform(2e5, 9e5), 2), "bottleneck": {"line": site_lines[0][0],
                      "operation": "Sleeve attach"}, "utilisation_by_week": [round(r.uniform(55, 110), 1) for _ in range(4)]}
            out.add("capacity_scenarios", id=scn, site_id=site, created_by=r.choice(users_by_client.get(cid, [1])),
                    name="%s %s" % (["Baseline", "What-if: +1 shift"][k], h0.isoformat()), horizon_start=h0.isoformat(),
                    horizon_end=(h0 + dt.timedelta(days=27)).isoformat(), parameters=json.dumps(params, ensure_ascii=False),
                    result=None if result is None else json.dumps(result), created_at=ts(at(HISTORY_END - dt.timedelta(days=k), r)))
            for lid, _, _, _ in site_lines:
                scl += 1
                out.add("capacity_scenario_lines", id=scl, scenario_id=scn, line_id=lid, planned_efficiency=round(r.uniform(55, 85), 2),
                        available_hours=round(r.uniform(150, 420), 2), load_minutes=round(r.uniform(5000, 90000), 2))
    r = R("api_tokens")
    for i, name in enumerate(["admin", "poweruser", "e2e_admin", "supervisor1", "rahim.uddin", "e2e_operator"], 1):
        raw = bytes(r.getrandbits(8) for _ in range(32))
        out.add("api_tokens", id=i, user_id=uid[name], name=["CI export", "BI connector", "e2e", "Tablet sync", "ERP bridge", "e2e"][i - 1],
                prefix="cvt_%04x" % r.getrandbits(16), token_digest=hashlib.sha256(raw).digest(),
                scopes=None if i == 6 else json.dumps(["production:read", "kpi:read"] + (["admin"] if i == 1 else [])),
                created_at=ts(setup + dt.timedelta(days=10 * i)), last_used_at=None if i > 4 else ts(at(HISTORY_END, r)), revoked=int(i == 5))

    # --- tier 3 and 4 dimensions ------------------------------------------
    r = R("line_operators")
    for lid, cid, _, _ in lines:
        for k, op in enumerate(line_ops[lid]):
            out.add("line_operators", line_id=lid, operator_id=op, assigned_on=(dt.date(2023, 11, 13) + dt.timedelta(days=r.randrange(60))).isoformat(),
                    position=["helper", "operator", "operator", "checker", None][k % 5])
        if lid % 4 == 1:   # floaters also work on a neighbouring line of the same client
            other = [l[0] for l in lines if l[1] == cid and l[0] != lid]
            if other:
                out.add("line_operators", line_id=other[0], operator_id=line_ops[lid][1], assigned_on="2024-02-01", position="floater")
    client_opns = {}
    for st, cid in styles:
        client_opns.setdefault(cid, []).extend(ops_of_style[st])
    for cid, ops in sorted(client_ops.items()):
        for op in ops:
            for opn, _ in r.sample(client_opns[cid], 3):
                out.add("operator_skills", operator_id=op, operation_id=opn, efficiency_pct=round(r.uniform(40, 125), 2),
                        certified_on=None if r.random() < 0.2 else (dt.date(2023, 6, 1) + dt.timedelta(days=r.randrange(300))).isoformat())
    machines_of, mid = {}, 0
    brands = ["JUKI", "Brother", "Pegasus", "Siruba", "Jack", "Yamato", None]
    for lid, cid, _, _ in lines:
        for k in range(5):
            mid += 1
            code = ["SNL", "OL", "FL", "DNL", "BT"][k]
            out.add("machines", id=mid, line_id=None if mid % 19 == 0 else lid, machine_type_id=mtype[code], asset_tag="AT-%02d-%05d" % (cid, mid),
                    brand=r.choice(brands), purchased_on=(dt.date(2012, 1, 1) + dt.timedelta(days=r.randrange(4000))).isoformat(),
                    last_service_at=None if k == 4 else ts(at(HISTORY_END - dt.timedelta(days=r.randrange(90)), r)))
            machines_of.setdefault(lid, []).append(mid)
    r = R("work_orders")
    plans, wo, wsz, lp, ht = [], 0, 0, 0, 0      # plans: (plan_id, line_id, client_id, style_id, [size_ids])
    for st, cid in styles:
        clines = [l[0] for l in lines if l[1] == cid and l[3]]
        for k in range(2):
            wo += 1
            created = setup + dt.timedelta(days=20 + r.randrange(150), seconds=r.randrange(86400))
            qty = r.choice([600, 1200, 2400, 5000, 12000])
            out.add("work_orders", id=wo, client_id=cid, style_id=st, order_no="WO-%d-%05d" % (created.year, wo), quantity=qty,
                    due_date=(HISTORY_END + dt.timedelta(days=r.randrange(-30, 60))).isoformat(),
                    status=r.choice(["released", "in_progress", "in_progress", "completed", "on_hold"]), priority=r.randint(1, 5),
                    unit_price=round(r.uniform(1.8, 35.0), 2) if k == 0 else float(r.randint(3, 20)),
                    notes=maybe_note(r, 0.25, 0.1), created_at=ts(created), updated_at=None if k else ts(created + dt.timedelta(days=3)))
            sizes = []
            for color in r.sample(COLORS, r.randint(1, 2)):
                for size in SIZES[1:5]:
                    wsz += 1
                    out.add("work_order_sizes", id=wsz, work_order_id=wo, size=size, color=color, quantity=max(1, qty // 8))
                    sizes.append(wsz)
            for line in r.sample(clines, 1 if r.random() < 0.7 or len(clines) < 2 else 2):
                lp += 1
                p0 = HISTORY_END - dt.timedelta(days=r.randrange(0, 40))
                out.add("line_plans", id=lp, work_order_id=wo, line_id=line, planned_start=p0.isoformat(),
                        planned_end=(p0 + dt.timedelta(days=r.randint(5, 30))).isoformat(), target_per_hour=r.choice([40, 55, 70, 90]),
                        planned_efficiency=round(r.uniform(55, 80), 2), status=r.choice(["planned", "running", "done"]))
                plans.append((lp, line, cid, st, sizes))
                for h in range(8):
                    ht += 1
                    out.add("hourly_targets", id=ht, line_plan_id=lp, target_date=p0.isoformat(), hour_start=hms(7 + h),
                            target_units=r.choice([40, 55, 70, 90]) - (10 if h in (0, 7) else 0))
    out.flush()

    # --- fact tables (scale with --scale) ---------------------------------
    r = R("kpi")
    kid = 0
    for day in workdays:
        for lid, cid, _, active in lines:
            if not active:
                continue
            for shift, h, n in shifts_of[cid]:
                kid += 1
                avail = float(n * 60 - 30) * 6
                eff = round(r.uniform(42.0, 108.0), 2)
                out.add("kpi_snapshots", id=kid, line_id=lid, shift_id=shift, snapshot_date=day.isoformat(),
                        output_units=int(avail * eff / 100 / 0.9), earned_minutes=round(avail * eff / 100, 2), available_minutes=avail,
                        efficiency_pct=eff, quality_pct=round(r.uniform(91.0, 100.0), 2), oee_pct=None if r.random() < 0.1 else round(eff * r.uniform(0.75, 0.95), 2),
                        computed_at=ts(dt.datetime(day.year, day.month, day.day, (h + n) % 24, 5) + dt.timedelta(days=1 if h + n >= 24 else 0)))
    r = R("attendance")
    all_ops = [o for lid, _, _, _ in lines for o in line_ops[lid]]
    op_client = {o: cid for cid, ops in client_ops.items() for o in ops}
    aid = 0
    for day in workdays:
        for op in sorted(r.sample(all_ops, 20)):
            aid += 1
            shift, h, n = r.choice(shifts_of[op_client[op]])
            status = r.choices(["present", "late", "absent", "leave"], [80, 10, 6, 4])[0]
            if status in ("absent", "leave"):
                cin = None
            elif status == "late":
                cin = hms(h, 6 + r.randrange(40), r.randrange(60))
            else:
                cin = hms(h - 1, 45 + r.randrange(15), r.randrange(60)) if r.random() < 0.7 else hms(h, r.randrange(6), r.randrange(60))
            out.add("operator_attendance", id=aid, operator_id=op, shift_id=shift, work_date=day.isoformat(), clock_in=cin,
                    clock_out=None if cin is None or (day == HISTORY_END and r.random() < 0.5) else hms(h + n, r.randrange(30), r.randrange(60)),
                    status=status)
    r = R("sessions")
    for _ in range(120 * scale):
        u = r.choice(active_users)
        created = at(r.choice(days), r, 0, 24, micro=True)
        out.add("user_sessions", id=rand_uuid(r), user_id=u, token="%064x" % r.getrandbits(256), ip_address=rand_ip(r),
                user_agent=r.choice(USER_AGENTS + [None]), created_at=ts_us(created),
                expires_at=ts_us(created + (dt.timedelta(hours=12) if r.random() < 0.7 else dt.timedelta(days=30))), revoked=int(r.random() < 0.2))
    r = R("notifications")
    for i in range(1, 150 * scale + 1):
        created = at(r.choice(days), r, micro=True)
        read = r.random() < 0.6
        kind, title = r.choice([("kpi_alert", "Line efficiency below 50%% on %s"), ("downtime", "Downtime > 30 min — %s"),
                                ("quality", "Inspection failed: %s"), ("system", "Scheduled maintenance window %s"),
                                ("planning", "Work order due soon · %s")])
        out.add("notifications", id=i, user_id=r.choice(active_users), kind=kind, title=title % created.date().isoformat(),
                body=r.choice([None, "", "Please review the hourly board.", "请检查第 2 线的产量。", "Проверьте, пожалуйста, линию 3.", "🔴 Action needed"]),
                is_read=int(read), created_at=ts_us(created), read_at=ts_us(created + dt.timedelta(minutes=r.randrange(1, 600))) if read else None)
    r = R("audit")
    entities = ["work_orders", "users", "production_entries", "styles", "app_settings", "line_plans", "operators"]
    user_client = {i: client_id.get(u[2]) for i, u in enumerate(USERS, 1)}
    for i in range(1, 200 * scale + 1):
        action = r.choice(["create", "update", "update", "delete", "login", "export"])
        entity = "users" if action == "login" else r.choice(entities)
        actor = None if r.random() < 0.1 else r.choice(active_users)
        change = {"status": r.choice(["in_progress", "completed", "on_hold"]), "quantity": r.randrange(100, 5000), "note": maybe_note(r, 0.2, 0.1)}
        payload = {"create": {"after": change}, "update": {"before": {"status": "released", "quantity": r.randrange(100, 5000)}, "after": change},
                   "delete": None if r.random() < 0.5 else {"before": change}, "login": {"method": "password", "mfa": False, "ua": r.choice(USER_AGENTS)},
                   "export": {"format": r.choice(["xlsx", "csv", "pdf"]), "rows": r.randrange(10, 20000), "filters": {"from": days[0].isoformat(), "lines": []}}}[action]
        out.add("audit_log", id=i, actor_user_id=actor, client_id=user_client.get(actor) if actor else r.choice([None, r.randint(1, len(CLIENTS))]),
                action=action, entity=entity, entity_id=None if action == "export" else r.randrange(1, 500), ip_address=r.choice([None, rand_ip(r)]),
                payload=None if payload is None else json.dumps(payload, ensure_ascii=(i % 3 != 0)), created_at=ts_us(at(r.choice(days), r, 0, 24, micro=True)))
    r = R("events")
    etypes = ["production.entry.created", "bundle.completed", "quality.inspection.failed", "downtime.started", "user.login",
              "kpi.threshold.breached", "work_order.status_changed"]
    for i in range(1, 250 * scale + 1):
        cid = r.randint(1, len(CLIENTS))
        et = r.choice(etypes)
        lid = r.choice([l[0] for l in lines if l[1] == cid])
        payload = {"type": et, "version": 2, "line": {"id": lid, "code": "L%02d" % (lid % 3 + 1)},
                   "metrics": {"pieces": r.randrange(0, 120), "efficiency": round(r.uniform(30, 110), 2), "rejects": r.randrange(0, 5)},
                   "tags": r.sample(["night", "rush", "sample", "reorder", "ünïcödé", "緊急"], r.randint(0, 3))}
        if r.random() < 0.2:
            payload["comment"] = r.choice(FREE_NOTES)
        if r.random() < 0.1:
            payload["extra"] = {"nested": {"deep": [1, 2.5, None, True, {"k": "v"}]}}
        out.add("events", id=i, event_uuid=rand_uuid(r), client_id=cid, user_id=r.choice(users_by_client.get(cid, [None]) + [None]),
                event_type=et, payload=json.dumps(payload, ensure_ascii=(i % 4 != 0)), occurred_at=ts_us(at(r.choice(days), r, 0, 24, micro=True)),
                processed=int(r.random() < 0.9))
    r = R("downtime")
    for i in range(1, 60 * scale + 1):
        lid, cid, _, _ = r.choice([l for l in lines if l[3]])
        shift, h, n = r.choice(shifts_of[cid])
        day = r.choice(workdays)
        start_at = at(day, r, h, h + n - 1) if h + n <= 24 else at(day, r, h, 23)
        mins = r.choice([5, 12, 18, 25, 45, 60, 95, 240]) + r.randrange(60) / 60
        ongoing = day == HISTORY_END and r.random() < 0.3
        out.add("downtime_events", id=i, line_id=lid, machine_id=r.choice(machines_of[lid] + [None]), reason_id=r.randint(1, len(DOWNTIME_REASONS)),
                shift_id=shift, reported_by=r.choice(users_by_client.get(cid, []) + [None]), started_at=ts(start_at),
                ended_at=None if ongoing else ts(start_at + dt.timedelta(minutes=mins)), minutes=None if ongoing else round(mins, 2),
                notes=maybe_note(r, 0.3, 0.1))
    r = R("maintenance")
    all_machines = [m for lid, _, _, _ in lines for m in machines_of[lid]]
    for i in range(1, 30 * scale + 1):
        parts = None if r.random() < 0.4 else [{"part": r.choice(["needle DBx1 #14", "looper", "feed dog", "belt", "bobbin case"]), "qty": r.randint(1, 4)}]
        out.add("maintenance_logs", id=i, machine_id=r.choice(all_machines), performed_at=ts(at(r.choice(days), r)),
                technician=r.choice(["Ramón Ortiz", "Hưng Trần", "Klaus Fischer", "Abdul Karim", "Service Co. Ltd"]),
                cost=None if r.random() < 0.2 else round(r.uniform(0, 450), 2), downtime_hours=round(r.uniform(0.1, 6.0), 3),
                description=maybe_note(r, 0.5, 0.1), parts=None if parts is None else json.dumps(parts))

    # bundles -> production entries -> inspections -> defects -> rework tickets -> sign-offs
    r = R("production")
    inspectors = [uid[u] for u in ("supervisor1", "supervisor2", "supervisor3", "supervisor4", "supervisor5", "leader1", "wang.fang", "rahim.uddin")]
    pe = qi = dfx = rw = so = 0
    for b in range(1, 200 * scale + 1):
        plan_id, lid, cid, st, sizes = r.choice(plans)
        day = r.choice(workdays)
        qty = r.choice([10, 20, 25, 30, 40, 50])
        out.add("bundles", id=b, line_plan_id=plan_id, size_id=r.choice(sizes), bundle_no="BN-%07d" % b, quantity=qty,
                status=r.choice(["cut", "in_line", "done", "done"]), cut_at=ts(at(day, r, 5, 9)))
        for opn, sam in r.sample(ops_of_style[st], min(len(ops_of_style[st]), r.randint(4, 8))):
            pe += 1
            shift, h, n = r.choice(shifts_of[cid])
            eday = min(day + dt.timedelta(days=r.randint(0, 2)), HISTORY_END)
            hour = h + r.randrange(n)
            pieces = r.randint(qty // 2, qty)
            rec = dt.datetime(eday.year, eday.month, eday.day) + dt.timedelta(hours=hour + 1, seconds=r.randrange(900), microseconds=r.randrange(10**6))
            out.add("production_entries", id=pe, bundle_id=b, operation_id=opn, operator_id=r.choice(line_ops[lid]), line_id=lid, shift_id=shift,
                    entry_date=eday.isoformat(), hour_start=hms(hour), pieces=pieces, rejected=r.choice([0, 0, 0, 1, 2]),
                    earned_minutes=round(pieces * sam, 4), source=r.choice(["tablet", "tablet", "manual", "import"]),
                    notes=maybe_note(r, 0.05, 0.03), recorded_at=ts_us(rec))
            if r.random() >= 0.33:
                continue
            qi += 1
            fail = r.random() < 0.3
            nd = r.randint(1, 2) if fail else 0
            out.add("quality_inspections", id=qi, production_entry_id=pe, inspector_id=r.choice(inspectors + [None]),
                    inspected_at=ts(rec + dt.timedelta(minutes=r.randrange(5, 120))), sample_size=r.choice([5, 8, 13]), defects_found=nd,
                    result="fail" if fail else "pass", aql=r.choice([1.0, 1.5, 2.5, 4.0]),
                    ambient_humidity=None if r.random() < 0.3 else round(r.uniform(40, 85), 1), notes=maybe_note(r, 0.1, 0.05))
            for _ in range(nd):
                dfx += 1
                photo = None if r.random() < 0.7 else (b"" if r.random() < 0.1 else b"\x89PNG\r\n\x1a\n" + bytes(r.getrandbits(8) for _ in range(r.randint(8, 40))))
                out.add("inspection_defects", id=dfx, inspection_id=qi, defect_type_id=r.randint(1, len(DEFECT_TYPES) - 1), quantity=r.randint(1, 4),
                        location=r.choice([None, "", "left sleeve", "collar", "hem — front", "back yoke", "pocket"]), photo=photo, notes=maybe_note(r, 0.15, 0.05))
                if r.random() >= 0.7:
                    continue
                rw += 1
                opened = rec + dt.timedelta(hours=r.randint(1, 5))
                closed = r.random() < 0.75
                out.add("rework_tickets", id=rw, defect_id=dfx, assigned_operator_id=r.choice(line_ops[lid] + [None]),
                        status="closed" if closed else r.choice(["open", "in_progress"]), opened_at=ts(opened),
                        closed_at=ts(opened + dt.timedelta(minutes=r.randrange(10, 300))) if closed else None,
                        minutes_spent=round(r.uniform(2, 45), 2) if closed else None)
                if closed:
                    so += 1
                    out.add("rework_signoffs", id=so, ticket_id=rw, signed_by=r.choice(inspectors), approved=int(r.random() < 0.9),
                            comment=maybe_note(r, 0.3, 0.1), signed_at=ts(opened + dt.timedelta(hours=6, seconds=r.randrange(3600))))
    out.flush()


# ---------------------------------------------------------------------------
# Output: SQLite file, or a dump in the form `sqlite3 .dump` writes
# ---------------------------------------------------------------------------
def write_sqlite(path, seed, scale):
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    con = sqlite3.connect(tmp, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    generate(con, seed, scale)
    con.execute("COMMIT")
    con.close()
    os.replace(tmp, path)


def sql_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)          # shortest text that round-trips exactly (quote() keeps only 15 digits)
    if isinstance(v, bytes):
        return "X'%s'" % v.hex()
    # Same convention as the sqlite3 shell: newlines and CRs become replace(...,char(10/13)),
    # with a marker that does not already occur in the text.
    s = "'%s'" % v.replace("'", "''")
    if "\r" in v:
        mark = "\\r" if "\\r" not in v else "\\015"
        s = "replace(%s,'%s',char(13))" % (s.replace("\r", mark), mark)
    if "\n" in v:
        mark = "\\n" if "\\n" not in v else "\\012"
        s = "replace(%s,'%s',char(10))" % (s.replace("\n", mark), mark)
    return s


def dump(con, f):
    f.write("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
    tables = con.execute("SELECT name, sql FROM sqlite_schema WHERE type='table' AND sql NOT NULL "
                         "ORDER BY tbl_name='sqlite_sequence', rowid").fetchall()
    for name, sql in tables:
        if name == "sqlite_sequence":
            f.write("DELETE FROM sqlite_sequence;\n")
        else:
            f.write(sql + ";\n")
        for row in con.execute('SELECT * FROM "%s"' % name):
            f.write("INSERT INTO %s VALUES(%s);\n" % (name, ",".join(map(sql_literal, row))))
    for (sql,) in con.execute("SELECT sql FROM sqlite_schema WHERE sql NOT NULL AND type IN ('index','trigger','view') ORDER BY rowid"):
        f.write(sql + ";\n")
    f.write("COMMIT;\n")


def write_output(path, seed, scale):
    if path.endswith(".sql"):
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "gen.sqlite")
            write_sqlite(db, seed, scale)
            con = sqlite3.connect(db)
            with open(path + ".tmp", "w", encoding="utf-8", newline="") as f:
                dump(con, f)
            con.close()
        os.replace(path + ".tmp", path)
    elif path.endswith((".sqlite", ".db")):
        write_sqlite(path, seed, scale)
    else:
        raise SystemExit("OUT must end in .sql, .sqlite or .db: %s" % path)


# ---------------------------------------------------------------------------
# --self-check
# ---------------------------------------------------------------------------
def fk_tiers(con):
    """tier(t) = 0 without parents (self-references ignored), else 1 + max(tier(parent))."""
    tables = [n for (n,) in con.execute("SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    parents = {t: sorted({row[2] for row in con.execute('PRAGMA foreign_key_list("%s")' % t)} - {t}) for t in tables}
    tier = {}

    def visit(t, path):
        if t in path:
            raise AssertionError("FK cycle: " + " -> ".join(path + [t]))
        if t not in tier:
            tier[t] = 1 + max([visit(p, path + [t]) for p in parents[t]], default=-1)
        return tier[t]

    for t in tables:
        visit(t, [])
    return tier


TYPE_RULES = [
    (r"VARCHAR\((\d+)\)", "varchar"), (r"(NUMERIC|DECIMAL)\((\d+), ?(\d+)\)", "numeric"), (r"BOOLEAN", "bool"),
    (r"DATETIME", "datetime"), (r"DATE", "date"), (r"TIME", "time"), (r"JSON", "json"), (r"UUID", "uuid"),
    (r"BLOB", "blob"), (r"INTEGER", "integer"), (r"REAL", "real"), (r"TEXT", "text")]
DT_RE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?")


def check_value(kind, m, v):
    if kind == "varchar":
        return isinstance(v, str) and len(v) <= int(m.group(1))
    if kind == "numeric":
        p, s = int(m.group(2)), int(m.group(3))
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return False
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
        return round(v, s) == v and -d.as_tuple().exponent <= s and abs(d) < Decimal(10) ** (p - s)
    if kind == "bool":
        return v in (0, 1) and isinstance(v, int)
    if kind == "datetime":
        if not (isinstance(v, str) and DT_RE.fullmatch(v)):
            return False
        dt.datetime.strptime(v, "%Y-%m-%d %H:%M:%S.%f" if "." in v else "%Y-%m-%d %H:%M:%S")
        return True
    if kind == "date":
        return isinstance(v, str) and dt.date.fromisoformat(v).isoformat() == v
    if kind == "time":
        return isinstance(v, str) and len(v) == 8 and dt.datetime.strptime(v, "%H:%M:%S") is not None
    if kind == "json":
        json.loads(v)
        return isinstance(v, str)
    if kind == "uuid":
        return isinstance(v, str) and str(uuid.UUID(v)) == v
    return isinstance(v, {"blob": bytes, "integer": int, "real": float, "text": str}[kind])


def validate(path):
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)], "integrity_check"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == [], "foreign_key_check"
    tier = fk_tiers(con)
    assert len(tier) == 45, "table count %d" % len(tier)
    assert sorted(set(tier.values())) == list(range(11)), "tiers %s" % sorted(set(tier.values()))
    selfref = [t for t in tier if any(row[2] == t for row in con.execute('PRAGMA foreign_key_list("%s")' % t))]
    assert selfref, "no self-reference"
    actions = {row[6] for t in tier for row in con.execute('PRAGMA foreign_key_list("%s")' % t)}
    assert {"CASCADE", "SET NULL"} <= actions
    counts = {}
    for t in sorted(tier):
        cols = con.execute('PRAGMA table_info("%s")' % t).fetchall()
        rules = []
        for _, name, decl, notnull, _, _ in cols:
            for pat, kind in TYPE_RULES:
                m = re.fullmatch(pat, decl)
                if m:
                    rules.append((name, notnull, kind, m))
                    break
            else:
                raise AssertionError("%s.%s: unexpected type %s" % (t, name, decl))
        n = 0
        for row in con.execute('SELECT * FROM "%s"' % t):
            n += 1
            for (name, notnull, kind, m), v in zip(rules, row):
                if v is None:
                    assert not notnull, "%s.%s NULL" % (t, name)
                elif not check_value(kind, m, v):
                    raise AssertionError("%s.%s: %r is not %s" % (t, name, v, m.group(0)))
        counts[t] = n
    codes = [c for (c,) in con.execute("SELECT code FROM clients ORDER BY id")]
    assert codes == [c[0] for c in CLIENTS]
    names = [u for (u,) in con.execute("SELECT username FROM users")]
    assert len({u.lower() for u in names}) == len(names) and set(DEMO_USERNAMES) <= set(names)
    for (h,) in con.execute("SELECT password_hash FROM users"):
        assert re.fullmatch(r"\$2b\$12\$[./A-Za-z0-9]{53}", h), h
    seq = dict(con.execute("SELECT name, seq FROM sqlite_sequence"))
    assert seq and all(seq[t] == con.execute('SELECT max(id) FROM "%s"' % t).fetchone()[0] for t in seq)
    con.close()
    return tier, counts


def compare_dump(db_path, sql_path):
    mem = sqlite3.connect(":memory:")
    with open(sql_path, encoding="utf-8") as f:
        mem.executescript(f.read())
    mem.execute("ATTACH DATABASE ? AS src", (db_path,))
    q = "SELECT type, name, tbl_name, sql FROM %s.sqlite_schema"
    assert sorted(mem.execute(q % "main"), key=repr) == sorted(mem.execute(q % "src"), key=repr), "schema differs"
    for (t,) in mem.execute("SELECT name FROM src.sqlite_schema WHERE type='table' ORDER BY name").fetchall():
        cols = [r[1] for r in mem.execute('PRAGMA src.table_info("%s")' % t)]
        sel = ", ".join('typeof("%s"), "%s"' % (c, c) for c in cols)
        n1 = mem.execute('SELECT count(*) FROM main."%s"' % t).fetchone()[0]
        n2 = mem.execute('SELECT count(*) FROM src."%s"' % t).fetchone()[0]
        diff = mem.execute('SELECT count(*) FROM (SELECT %s FROM main."%s" EXCEPT SELECT %s FROM src."%s")' % (sel, t, sel, t)).fetchone()[0]
        diff += mem.execute('SELECT count(*) FROM (SELECT %s FROM src."%s" EXCEPT SELECT %s FROM main."%s")' % (sel, t, sel, t)).fetchone()[0]
        assert n1 == n2 and diff == 0, "%s: rows %d vs %d, %d differ" % (t, n1, n2, diff)
    mem.close()


def self_check(seed, scale):
    with tempfile.TemporaryDirectory() as d:
        paths = [os.path.join(d, n) for n in ("a.sqlite", "a.sql", "b.sqlite", "b.sql")]
        for p in paths:
            write_output(p, seed, scale)
        for x, y in ((0, 2), (1, 3)):
            with open(paths[x], "rb") as f1, open(paths[y], "rb") as f2:
                assert f1.read() == f2.read(), "not deterministic: " + paths[x]
        tier, counts = validate(paths[0])
        compare_dump(paths[0], paths[1])
        size = os.path.getsize(paths[1])
    print("self-check OK (seed %d, scale %d): deterministic, 45 tables, 11 tiers, integrity ok, "
          "foreign keys ok, every value fits its type, .sql round-trips exactly" % (seed, scale))
    for k in range(max(tier.values()) + 1):
        names = sorted(t for t in tier if tier[t] == k)
        print("tier %2d (%d): %s" % (k, len(names), ", ".join(names)))
    for t in sorted(counts, key=lambda t: (tier[t], t)):
        print("  %-26s tier %2d %8d rows" % (t, tier[t], counts[t]))
    print("  total rows %d; .sql dump %d bytes" % (sum(counts.values()), size))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[2],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", metavar="OUT", nargs="?", help="output path ending in .sql, .sqlite or .db")
    ap.add_argument("--scale", type=int, default=1, help="multiplier for the fact tables (default 1)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--self-check", action="store_true", help="generate in a temp dir and verify (see below)")
    a = ap.parse_args(argv)
    if a.scale < 1:
        ap.error("--scale must be >= 1")
    if not a.out and not a.self_check:
        ap.error("OUT is required (or use --self-check)")
    if a.out and not a.out.endswith((".sql", ".sqlite", ".db")):
        ap.error("OUT must end in .sql, .sqlite or .db")
    if a.self_check:
        try:
            self_check(a.seed, a.scale)
        except (AssertionError, ValueError) as e:   # ValueError: unparseable date/JSON/UUID
            print("self-check FAILED: %s" % e, file=sys.stderr)
            return 1
    if a.out:
        write_output(a.out, a.seed, a.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
