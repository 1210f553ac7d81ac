//! cutover: move a client's SQLite database to PostgreSQL or MariaDB, prove that
//! nothing was lost, and harden the new database for go-live.
//!
//! The library holds everything; `main.rs` only parses arguments and maps the result
//! to an exit code. Modules follow the product: `source` reads SQLite, `plan` decides
//! how it lands, `target` knows each engine, `convert` turns values, `gate` decides go or no-go,
//! `cli` is the command line on top. `docs/architecture.md` maps every module, its layer
//! and its invariants.

pub mod apps;
pub mod check;
pub mod cli;
pub mod config;
pub mod convert;
pub mod copy;
pub mod dialect;
pub mod existing;
pub mod faults;
pub mod forms;
pub mod gate;
pub mod golive;
pub mod harden;
pub mod hash;
pub mod interrupt;
pub mod job;
pub mod lint;
pub mod mapping;
pub mod output;
pub mod plan;
pub mod report;
pub mod schema;
pub mod source;
pub mod target;
pub mod translate;
pub mod types;
pub mod value;
pub mod verify;
pub mod workspace;
