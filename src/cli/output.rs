//! Writing reports: everything for people and scripts goes to stdout in one write; a
//! closed pipe (`cutover plan … | head`) is not an error. The formatting the library
//! shares with the commands (tables, thousands, private files) is `crate::output`.

use std::io::Write;

use super::CliError;

pub fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Runtime(anyhow::anyhow!("writing to stdout: {e}"))),
    }
}

pub fn json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Runtime(e.into()))?;
    write_stdout(&(text + "\n"))
}
