//! The command line: clap definitions, one file per subcommand, shared option groups
//! defined once. Each subcommand returns an `Outcome`; `main.rs` maps it to the exit
//! codes of DESIGN.md (0 success, 1 a check failed, 2 usage or configuration error,
//! 3 runtime failure).

mod gate;
mod golive;
mod harden;
mod init;
mod inspect;
mod lint;
mod migrate;
pub mod output;
mod plan;
mod types;
mod verify;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::target::url::TargetUrl;
use crate::target::Dialect;
use crate::workspace::TargetFiles;

pub use output::write_stdout;

/// Move a client's SQLite database to PostgreSQL or MariaDB, prove nothing was lost,
/// and harden it for go-live.
///
/// Start with `cutover inspect client.sqlite`, then `cutover plan client.sqlite --dialect postgres`
/// to see the exact DDL before anything is written. SOURCE is a SQLite file or a `.sql`
/// dump as `sqlite3 .dump` writes it.
#[derive(Debug, Parser)]
#[command(name = "cutover", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Inspect(inspect::InspectArgs),
    Plan(plan::PlanArgs),
    Lint(lint::LintArgs),
    Migrate(migrate::MigrateArgs),
    Verify(verify::VerifyArgs),
    Harden(harden::HardenArgs),
    Gate(gate::GateArgs),
    Golive(golive::GoliveArgs),
    Init(init::InitArgs),
    Types(types::TypesArgs),
}

/// Where the source comes from: a path, or the `source` of a config file.
#[derive(Debug, Args, Clone)]
pub struct SourceOpts {
    /// The SQLite database file or `.sql` dump to read (default: `source` in the config file).
    #[arg(value_name = "SOURCE")]
    pub source: Option<PathBuf>,
    /// Read settings from this cutover.toml; flags on the command line win over it.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The application framework whose create-mode conventions apply: django, sqlalchemy,
    /// rails, laravel or none (default: `app` in the config, else detected from the
    /// framework's bookkeeping tables). Give the same to plan, migrate and verify, or set
    /// it once in cutover.toml.
    #[arg(long, value_name = "APP")]
    pub app: Option<String>,
    /// Views, translated from SQLite's SQL: skip, best-effort (default: one that cannot be
    /// translated or that the target rejects is a warning) or strict (it fails the run, exit 3).
    #[arg(long, value_enum, value_name = "POLICY")]
    pub views: Option<crate::config::LogicPolicy>,
    /// CHECK constraints, translated from SQLite's SQL: skip, best-effort (default) or strict.
    #[arg(long, value_enum, value_name = "POLICY")]
    pub checks: Option<crate::config::LogicPolicy>,
}

/// Which target: a URL, or just a dialect when no server is involved.
#[derive(Debug, Args, Clone)]
pub struct TargetOpts {
    /// Target URL: postgres://user@host:5432/db, mariadb://user@host:3306/db (or mysql://), sqlite://file.sqlite.
    /// A password in the URL is never printed.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Plan for this dialect without a URL (no server needed).
    #[arg(long, value_enum, conflicts_with = "to")]
    pub dialect: Option<Dialect>,
    /// PostgreSQL schema for the tables (default: public).
    #[arg(long, value_name = "SCHEMA")]
    pub target_schema: Option<String>,
}

/// The migrated database and the hardening profile, for `harden`, `gate` and `golive`.
#[derive(Debug, Args, Clone)]
pub struct HardenedOpts {
    /// Read `target`, `target_schema` and the hardening profile (`profile = "FILE"` or a
    /// `[harden]` table) from this cutover.toml; `golive` also reads its `source`.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Target URL: postgres://user@host:5432/db, mariadb://user@host:3306/db (or mysql://) or
    /// sqlite://file.sqlite. Wins over the config's `target`. A password in it is never printed.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// PostgreSQL schema of the application's tables (default: the config's, else public).
    #[arg(long, value_name = "SCHEMA")]
    pub target_schema: Option<String>,
    /// The hardening profile (TOML, schema/profile.schema.json). Wins over the config's.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// The application's production env file. Wins over the profile's `env_file`.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    #[command(flatten)]
    pub system: SystemDatabaseOpts,
}

/// The refusal of a server's own databases, and the flag that lifts it.
#[derive(Debug, Args, Clone, Copy)]
pub struct SystemDatabaseOpts {
    /// Allow a target URL that names one of the server's own databases (postgres, template0,
    /// template1, mysql, information_schema, performance_schema, sys); refused otherwise.
    #[arg(long)]
    pub allow_system_database: bool,
}

/// What `HardenedOpts` resolve to.
pub struct Hardened {
    pub config: Config,
    pub target: TargetUrl,
    pub target_schema: Option<String>,
    pub profile: crate::harden::profile::Profile,
    pub env_file: Option<PathBuf>,
}

impl HardenedOpts {
    /// The target and its schema only (`harden --undo` needs no profile).
    pub fn resolve_target(&self) -> Result<(TargetUrl, Option<String>), CliError> {
        let config = match &self.config {
            Some(p) => Config::load(p).map_err(|e| CliError::Usage(e.into()))?,
            None => Config::default(),
        };
        let target = target_url(self.to.as_ref(), &config, self.system)?;
        Ok((target, self.target_schema.clone().or(config.target_schema)))
    }

    /// Flags first, then the config file, then the profile.
    pub fn resolve(&self) -> Result<Hardened, CliError> {
        let config = match &self.config {
            Some(p) => Config::load(p).map_err(|e| CliError::Usage(e.into()))?,
            None => Config::default(),
        };
        let target = target_url(self.to.as_ref(), &config, self.system)?;
        let profile = harden::profile_for(&config, self.profile.as_ref())?;
        Ok(Hardened {
            target,
            target_schema: self.target_schema.clone().or_else(|| config.target_schema.clone()),
            env_file: self.env_file.clone().or_else(|| profile.env_file.clone()),
            profile,
            config,
        })
    }
}

/// `--jobs N`, else the number of cores.
pub fn jobs(flag: Option<usize>) -> usize {
    flag.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// The target URL from `--to`, else the config's `target`; refused (exit 2) before any
/// connection when it names no database, or a system database without the flag.
pub fn target_url(to: Option<&String>, config: &Config, system: SystemDatabaseOpts) -> Result<TargetUrl, CliError> {
    let url = match to {
        Some(u) => u.clone(),
        None => config.target_url().map_err(|e| CliError::Usage(e.into()))?.ok_or_else(|| {
            usage("no target: pass --to URL (postgres://…, mariadb://…, sqlite://…) or set `target` in cutover.toml")
        })?,
    };
    let url = TargetUrl::parse(&url).map_err(|e| CliError::Usage(e.into()))?;
    let url = url.allow_system_database(system.allow_system_database);
    url.check_database().map_err(|e| CliError::Usage(e.into()))?;
    Ok(url)
}

/// Where `verify` writes its report and `gate` reads it when no flag says: the hardening
/// profile's `gate.verify_report` when the config names a profile, else the target's
/// `.cutover/<target>/verify.json`.
pub fn default_verify_report(config: &Config, files: &TargetFiles) -> PathBuf {
    let profile =
        (config.profile.is_some() || config.harden.is_some()).then(|| harden::profile_for(config, None).ok()).flatten();
    profile.and_then(|p| p.gate.verify_report).unwrap_or_else(|| files.verify_report())
}

/// A file a writing command uses: the option when given, else the target's default, its
/// folder created (exit 3 when it cannot be).
pub fn file_or_default(
    given: Option<&PathBuf>,
    default: impl FnOnce() -> PathBuf,
    files: &TargetFiles,
) -> Result<PathBuf, CliError> {
    crate::workspace::chosen(given, default, files)
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("{}: cannot create the folder: {e}", files.dir.display())))
}

/// Output format for commands that report something.
#[derive(Debug, Args, Clone, Copy)]
pub struct OutputOpts {
    /// Print machine-readable JSON on stdout instead of the human report.
    #[arg(long)]
    pub json: bool,
}

/// How a command ended, when it ran to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// A check found problems (exit 1).
    ChecksFailed,
}

/// Why a command could not run, with the exit code class it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Usage or configuration (exit 2).
    #[error("{0}")]
    Usage(anyhow::Error),
    /// Runtime failure: I/O, source, connection (exit 3).
    #[error("{0}")]
    Runtime(anyhow::Error),
    /// Stopped by SIGINT (exit 130) or SIGTERM (exit 143) with everything recorded.
    #[error("interrupted: {message}")]
    Interrupted { signal: crate::interrupt::Interrupted, message: String },
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Runtime(_) => 3,
            CliError::Interrupted { signal, .. } => signal.exit_code(),
        }
    }

    /// How `main` prints it: `error: …`, or `interrupted: …` for a stop on a signal.
    pub fn report(&self) -> String {
        match self {
            CliError::Interrupted { .. } => self.to_string(),
            _ => format!("error: {self}"),
        }
    }
}

/// The command reference: `--help` of cutover and of every subcommand, as Markdown.
/// docs/cli.md is this text; a test keeps the two equal.
pub fn reference_markdown() -> String {
    use clap::CommandFactory;
    let mut root = Cli::command().term_width(100);
    let mut out = String::from("# Command reference\n\nGenerated from `--help` (`UPDATE_DOCS=1 cargo test --test docs_in_sync` rewrites it).\n\n");
    out.push_str(&format!("## cutover\n\n```text\n{}\n```\n", root.render_long_help().to_string().trim_end()));
    let names: Vec<String> = root.get_subcommands().map(|c| c.get_name().to_string()).filter(|n| n != "help").collect();
    for name in names {
        if let Some(sub) = root.find_subcommand_mut(&name) {
            let mut sub = sub.clone().bin_name(format!("cutover {name}")).term_width(100);
            out.push_str(&format!(
                "\n## cutover {name}\n\n```text\n{}\n```\n",
                sub.render_long_help().to_string().trim_end()
            ));
        }
    }
    out
}

/// JSON Schemas of the files and reports cutover reads or writes, by file name in `schema/`.
pub fn json_schemas() -> Vec<(&'static str, String)> {
    let render = |s: schemars::schema::RootSchema| serde_json::to_string_pretty(&s).unwrap_or_default() + "\n";
    vec![
        ("config.schema.json", render(schemars::schema_for!(crate::config::Config))),
        ("plan.schema.json", render(schemars::schema_for!(crate::plan::Plan))),
        ("inspect.schema.json", render(schemars::schema_for!(inspect::InspectReport))),
        ("report.schema.json", render(schemars::schema_for!(crate::report::MigrationReport))),
        ("state.schema.json", render(schemars::schema_for!(crate::copy::state::State))),
        ("profile.schema.json", render(schemars::schema_for!(crate::harden::profile::Profile))),
        ("journal.schema.json", render(schemars::schema_for!(crate::harden::journal::Journal))),
        ("harden.schema.json", render(schemars::schema_for!(crate::harden::run::HardenReport))),
        ("lint.schema.json", render(schemars::schema_for!(crate::lint::LintReport))),
        ("verify.schema.json", render(schemars::schema_for!(crate::verify::VerifyReport))),
        ("gate.schema.json", render(schemars::schema_for!(crate::gate::GateReport))),
    ]
}

pub fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(anyhow::anyhow!(msg.into()))
}

pub fn run(cli: Cli) -> Result<Outcome, CliError> {
    match cli.command {
        Command::Inspect(a) => inspect::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Lint(a) => lint::run(a),
        Command::Migrate(a) => migrate::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Harden(a) => harden::run(a),
        Command::Gate(a) => gate::run(a),
        Command::Golive(a) => golive::run(a),
        Command::Init(a) => init::run(a),
        Command::Types(a) => types::run(a),
    }
}

/// Settings resolved from flags and the config file (flags win).
pub struct Resolved {
    pub config: Config,
    pub source: PathBuf,
}

pub fn resolve_source(opts: &SourceOpts) -> Result<Resolved, CliError> {
    let mut config = match &opts.config {
        Some(p) => Config::load(p).map_err(|e| CliError::Usage(e.into()))?,
        None => Config::default(),
    };
    if let Some(app) = &opts.app {
        config.app = Some(app.clone());
    }
    if opts.views.is_some() {
        config.views = opts.views;
    }
    if opts.checks.is_some() {
        config.checks = opts.checks;
    }
    let source = opts.source.clone().or_else(|| config.source.clone()).ok_or_else(|| {
        usage("no SOURCE given: pass the SQLite file or .sql dump, or --config with `source = \"...\"`")
    })?;
    Ok(Resolved { config, source })
}

/// The dialect (and URL, when given) from flags, then the config file.
pub fn resolve_target(opts: &TargetOpts, config: &Config) -> Result<(Dialect, Option<TargetUrl>), CliError> {
    let url = match (&opts.to, opts.dialect) {
        (Some(u), _) => Some(u.clone()),
        (None, Some(_)) => None,
        (None, None) => config.target_url().map_err(|e| CliError::Usage(e.into()))?,
    };
    if let Some(u) = url {
        let url = TargetUrl::parse(&u).map_err(|e| CliError::Usage(e.into()))?;
        return Ok((url.dialect, Some(url)));
    }
    match opts.dialect.or(config.dialect) {
        Some(d) => Ok((d, None)),
        None => Err(usage(
            "no target given: pass --to URL (postgres://, mariadb://, sqlite://) or --dialect postgres|mariadb|sqlite",
        )),
    }
}

/// Open and read a source, mapping its errors to exit code 3 with the file named.
pub fn read_source(
    path: &std::path::Path,
    scope: crate::source::StatsScope,
) -> Result<crate::schema::SourceSchema, CliError> {
    let mut source = crate::source::Source::open(path).map_err(|e| CliError::Runtime(e.into()))?;
    source.read_schema_with(scope).map_err(|e| CliError::Runtime(e.into()))
}
