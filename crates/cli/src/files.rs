//! Writing the files a cell folder holds: private keys with mode 0600, everything else with
//! the default mode, and the folder's own entry fsynced so a crash cannot lose a new file.

use std::fs;
use std::io::Write;
use std::path::Path;

use fusioncell_keys::SigningKey;

/// A file operation failed; names the path.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {error}")]
pub struct FileError {
    /// The file.
    pub path: String,
    /// Why (not a `source`: the message already says it, once).
    pub error: std::io::Error,
}

fn err(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |error| FileError {
        path: path.display().to_string(),
        error,
    }
}

/// Writes `contents` to a new file; `secret` files get mode 0600 from the moment they exist.
/// Refuses to overwrite an existing file.
pub fn write_new(path: &Path, contents: &[u8], secret: bool) -> Result<(), FileError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = secret;
    let mut file = options.open(path).map_err(err(path))?;
    file.write_all(contents).map_err(err(path))?;
    file.sync_all().map_err(err(path))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(err(dir))?;
    }
    Ok(())
}

/// Writes `ID.key` (PKCS#8 v1 PEM, 0600) and `ID.pub` (SPKI PEM) into `dir`.
pub fn write_key_pair(dir: &Path, id: &str, key: &SigningKey) -> Result<(), FileError> {
    write_new(
        &dir.join(format!("{id}.key")),
        key.to_pkcs8_pem().as_bytes(),
        true,
    )?;
    write_new(
        &dir.join(format!("{id}.pub")),
        key.public_key().to_pem().as_bytes(),
        false,
    )
}

/// Creates a folder (and its parents).
pub fn create_dir(path: &Path) -> Result<(), FileError> {
    fs::create_dir_all(path).map_err(err(path))
}

/// Reads a file as text, naming it on error.
pub fn read_text(path: &Path) -> Result<String, FileError> {
    fs::read_to_string(path).map_err(err(path))
}

/// Reads a file as bytes, naming it on error.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, FileError> {
    fs::read(path).map_err(err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn private_keys_are_0600_and_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::generate().unwrap();
        write_key_pair(dir.path(), "israel", &key).unwrap();
        let mode = fs::metadata(dir.path().join("israel.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(write_key_pair(dir.path(), "israel", &key).is_err());
        let back = SigningKey::from_pkcs8_pem(&read_text(&dir.path().join("israel.key")).unwrap())
            .unwrap();
        assert_eq!(back.public_key(), key.public_key());
    }
}
