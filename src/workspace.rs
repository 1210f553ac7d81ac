//! The files cutover keeps for each target, when no option names them: the state file,
//! the verification report, the hardening journal and the go-live reports live in
//! `.cutover/<short target id>/` of the current folder, so that a staging rehearsal and
//! the production run started from the same folder never read or overwrite each other's
//! files, and `verify`, `harden`, `gate` and `golive` find the files of the target they
//! are given. The short id comes from the target's identity (`TargetUrl::short_id`:
//! host_port_database and a hash; never a user or password). Explicit options win.
//!
//! The folder is created (mode 0700) by the commands that write into it; a `target` file
//! in it names the target (its identity) for people who list `.cutover/`. Files written
//! by cutover 0.1 in the current folder (`cutover-state.json`, `cutover-verify.json`,
//! `cutover-journal.json`) are still found when the folder has none yet and they record
//! this target.

use std::path::{Path, PathBuf};

use crate::target::url::{same_target, TargetUrl};

/// The folder of per-target folders, in the current folder.
pub const ROOT: &str = ".cutover";

/// The default files of one target.
#[derive(Debug, Clone)]
pub struct TargetFiles {
    pub dir: PathBuf,
    target: String,
    identity: String,
}

impl TargetFiles {
    pub fn of(target: &TargetUrl) -> TargetFiles {
        TargetFiles::in_schema(target, None)
    }

    /// The files of a target's PostgreSQL schema (`--target-schema`): a schema other than
    /// `public` is a target of its own (a rehearsal in schema `staging` of the production
    /// database keeps its files apart). Engines without schemas ignore it.
    pub fn in_schema(target: &TargetUrl, schema: Option<&str>) -> TargetFiles {
        let identity = match schema {
            Some(s) if target.dialect.engine().default_schema().is_some_and(|d| d != s) => {
                format!("{}#{s}", target.identity())
            }
            _ => target.identity(),
        };
        TargetFiles {
            dir: Path::new(ROOT).join(crate::target::url::short_id_for(&identity)),
            target: target.to_string(),
            identity,
        }
    }

    /// The migration's state file.
    pub fn state(&self) -> PathBuf {
        self.or_legacy(self.dir.join("state.json"), "cutover-state.json", Legacy::TopLevel)
    }

    /// The verification report (what `gate` and `golive` read).
    pub fn verify_report(&self) -> PathBuf {
        self.or_legacy(self.dir.join("verify.json"), "cutover-verify.json", Legacy::TopLevel)
    }

    /// The hardening journal.
    pub fn journal(&self) -> PathBuf {
        self.or_legacy(self.dir.join("journal.json"), "cutover-journal.json", Legacy::Runs)
    }

    /// The Markdown report of the golive run that started at `stamp` (`20261206T214500Z`):
    /// every run keeps its own.
    pub fn golive_report(&self, stamp: &str) -> PathBuf {
        self.dir.join(format!("golive-{stamp}.md"))
    }

    /// A copy of the last golive run's report.
    pub fn golive_latest(&self) -> PathBuf {
        self.dir.join("golive-latest.md")
    }

    /// Create the folder (0700: the state file and the journal name the client's tables
    /// and rows) and its `target` file.
    pub fn create(&self) -> std::io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        if !self.dir.exists() {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.dir)?;
        }
        let named = self.dir.join("target");
        if !named.exists() {
            std::fs::write(named, format!("{}\n", self.identity))?;
        }
        Ok(())
    }

    /// The file in the target's folder, or the 0.1 default in the current folder when only
    /// that one exists and it records this target.
    fn or_legacy(&self, path: PathBuf, legacy: &str, how: Legacy) -> PathBuf {
        let old = Path::new(legacy);
        if path.exists() || !old.exists() {
            return path;
        }
        let Ok(text) = std::fs::read_to_string(old) else { return path };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else { return path };
        let targets: Vec<&str> = match how {
            Legacy::TopLevel => json["target"].as_str().into_iter().collect(),
            Legacy::Runs => json["runs"]
                .as_array()
                .map(|runs| runs.iter().filter_map(|r| r["target"].as_str()).collect())
                .unwrap_or_default(),
        };
        if targets.iter().any(|t| same_target(t, &self.target)) {
            old.to_path_buf()
        } else {
            path
        }
    }
}

/// Where a 0.1 file names its target.
enum Legacy {
    TopLevel,
    Runs,
}

/// Create the folder of a file about to be written when it is missing (0700), as the
/// default `.cutover/<target>/` is for the first command that writes there.
pub fn create_parent(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) if !dir.exists() => std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir),
        _ => Ok(()),
    }
}

/// A writing command's file: the option when given, else the target's default (its
/// folder created).
pub fn chosen(
    given: Option<&PathBuf>,
    default: impl FnOnce() -> PathBuf,
    files: &TargetFiles,
) -> std::io::Result<PathBuf> {
    match given {
        Some(p) => Ok(p.clone()),
        None => {
            let path = default();
            if path.starts_with(&files.dir) {
                files.create()?;
            }
            Ok(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_targets_two_folders() {
        let staging = TargetFiles::of(&TargetUrl::parse("postgres://app:pw@staging.db:5432/shop").unwrap());
        let prod = TargetFiles::of(&TargetUrl::parse("postgres://app:pw@prod.db:5432/shop").unwrap());
        assert_ne!(staging.dir, prod.dir);
        assert!(staging.dir.starts_with(".cutover"));
        assert!(!staging.dir.to_string_lossy().contains("pw"));
        let again = TargetFiles::of(&TargetUrl::parse("postgresql://other@staging.db/shop?sslmode=require").unwrap());
        assert_eq!(staging.dir, again.dir);
        let url = TargetUrl::parse("postgres://app@prod.db/shop").unwrap();
        assert_eq!(TargetFiles::in_schema(&url, Some("public")).dir, prod.dir);
        let rehearsal = TargetFiles::in_schema(&url, Some("staging"));
        assert_ne!(rehearsal.dir, prod.dir);
        assert!(rehearsal.dir.to_string_lossy().contains("prod.db_5432_shop_staging-"), "{:?}", rehearsal.dir);
        let maria = TargetUrl::parse("mariadb://root@h/shop").unwrap();
        assert_eq!(TargetFiles::in_schema(&maria, Some("x")).dir, TargetFiles::of(&maria).dir);
    }
}
