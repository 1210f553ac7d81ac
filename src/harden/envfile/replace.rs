//! Putting a new env file in place of the old one: a backup first (mode 0600, never
//! overwriting another), then a temporary file beside it with the old file's owner,
//! flushed and renamed over the old one, so a crash leaves one whole file or the other.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::harden::HardenError;

/// Copy `bytes` (the old file) to `<name>.bak-<UTC timestamp>` beside `path`, mode 0600,
/// never overwriting an existing file.
pub(super) fn write_backup(path: &Path, bytes: &[u8]) -> Result<PathBuf, HardenError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let name = file_name(path);
    let mut last_error = None;
    for n in 0..100 {
        let suffix = if n == 0 { String::new() } else { format!("-{n}") };
        let backup = path.with_file_name(format!("{name}.bak-{stamp}{suffix}"));
        match create_private(&backup) {
            Ok(mut file) => {
                let written = file.write_all(bytes).and_then(|()| file.sync_all());
                written.map_err(|source| HardenError::Write {
                    path: backup.clone(),
                    action: "write the backup of the env file",
                    source,
                })?;
                return Ok(backup);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some((backup, e)),
            Err(source) => {
                return Err(HardenError::Write { path: backup, action: "create the backup of the env file", source })
            }
        }
    }
    let (path, source) = last_error.unwrap_or_else(|| (path.to_path_buf(), io::ErrorKind::AlreadyExists.into()));
    Err(HardenError::Write { path, action: "create the backup of the env file (too many backups this second)", source })
}

/// Replace `path` with `bytes`: write a temporary file in the same directory (mode 0600,
/// the old file's owner and group), flush it to disk, rename it over `path`, then flush
/// the directory.
pub(super) fn replace_atomically(path: &Path, bytes: &[u8], old: &fs::Metadata) -> Result<(), HardenError> {
    let write_error = |action| move |source| HardenError::Write { path: path.to_path_buf(), action, source };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp =
        tempfile::Builder::new().prefix(&format!("{}.tmp-", file_name(path))).tempfile_in(dir).map_err(|source| {
            HardenError::Write {
                path: dir.to_path_buf(),
                action: "create a temporary file in the env file's directory",
                source,
            }
        })?;
    keep_owner(temp.as_file(), old)
        .map_err(write_error("give the new file the old one's owner (run as that user or as root)"))?;
    make_private(temp.as_file()).map_err(write_error("make the new file readable by its owner only"))?;
    temp.write_all(bytes).map_err(write_error("write the new env file"))?;
    temp.as_file().sync_all().map_err(write_error("flush the new env file to disk"))?;
    temp.persist(path).map_err(|e| write_error("replace the env file")(e.error))?;
    // The rename is done; a directory that cannot be flushed only weakens durability
    // across a power cut, so it is worth a warning, not an error that hides the rotation.
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        log::warn!("{}: could not flush the directory after replacing the env file: {e}", dir.display());
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| ".env".to_string(), |name| name.to_string_lossy().into_owned())
}

/// A new file at `path`, mode 0600; fails if something is already there.
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    // The mode given at creation is filtered by the umask; set it again to be sure.
    make_private(&file)?;
    Ok(file)
}

#[cfg(unix)]
fn make_private(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn make_private(_file: &File) -> io::Result<()> {
    Ok(())
}

/// The application reads its env file as the user it runs as: when root rotates a file
/// that belongs to that user, the new file must belong to it too.
#[cfg(unix)]
fn keep_owner(file: &File, old: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let new = file.metadata()?;
    if (new.uid(), new.gid()) == (old.uid(), old.gid()) {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()))
}

#[cfg(not(unix))]
fn keep_owner(_file: &File, _old: &fs::Metadata) -> io::Result<()> {
    Ok(())
}
