//! `generate --out DIR`: every file of a run is written, or none is;
//! `import --out FILE`: the file is written whole, or not at all.
//!
//! Each file goes to a temporary file in `DIR` first, synced to disk; only
//! when all of them are written are they renamed into place, then the
//! directory is synced so that the renames survive a crash. On an error
//! before the renames no file of `DIR` has changed and every temporary
//! file is removed. A new file gets the mode any new file gets (0666 less
//! the umask, 0644 under the usual 022), so that `named` or `nsd` running
//! as their own users can read it; a replaced file keeps its mode.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Why `--out DIR` was not written.
#[derive(Debug, thiserror::Error)]
pub enum OutError {
    /// `DIR` could not be created.
    #[error("cannot create `{}`: {source}", dir.display())]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A file's name is taken by a directory, which a rename cannot replace.
    #[error("cannot write `{}`: a directory of that name is in the way", path.display())]
    Directory {
        /// The file that would have been written.
        path: PathBuf,
    },
    /// The file exists and may not be replaced (`import --out` without
    /// `--force`).
    #[error("`{}` already exists; it is kept: choose another name, or pass `--force` to replace it", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A file (its temporary, the rename, or the directory's sync) could
    /// not be written.
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        /// The file, or `DIR` for its sync.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// Writes each `(file name, contents)` into `dir` (created if missing),
/// all or none; returns the paths written, in order.
pub fn write_files(dir: &Path, files: Vec<(String, Vec<u8>)>) -> Result<Vec<PathBuf>, OutError> {
    fs::create_dir_all(dir).map_err(|source| OutError::CreateDir {
        dir: dir.to_owned(),
        source,
    })?;
    // Dropping a `NamedTempFile` removes it: an early return below
    // leaves no temporary behind.
    let mut staged: Vec<(NamedTempFile, PathBuf)> = Vec::with_capacity(files.len());
    for (name, contents) in files {
        let path = dir.join(name);
        let temp = stage(&path, &contents, dir)?;
        staged.push((temp, path));
    }
    let mut written = Vec::with_capacity(staged.len());
    for (temp, path) in staged {
        temp.persist(&path).map_err(|err| OutError::Write {
            path: path.clone(),
            source: err.error,
        })?;
        written.push(path);
    }
    sync_dir(dir).map_err(|source| OutError::Write {
        path: dir.to_owned(),
        source,
    })?;
    Ok(written)
}

/// Writes `contents` to `path` whole or not at all: a synced temporary
/// file beside it is renamed into place, and the directory synced. Without
/// `replace` an existing `path` is kept, checked by the rename itself
/// (no race between a check and the write).
pub fn write_file(path: &Path, contents: &[u8], replace: bool) -> Result<(), OutError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = stage(path, contents, dir)?;
    let persisted = match replace {
        true => temp.persist(path),
        false => temp.persist_noclobber(path),
    };
    persisted.map_err(|err| match err.error.kind() {
        io::ErrorKind::AlreadyExists => OutError::Exists {
            path: path.to_owned(),
        },
        _ => OutError::Write {
            path: path.to_owned(),
            source: err.error,
        },
    })?;
    sync_dir(dir).map_err(|source| OutError::Write {
        path: dir.to_owned(),
        source,
    })
}

/// Writes `contents` to a synced temporary file in `dir` with the mode
/// `path` has or, when it does not exist, a new file's.
fn stage(path: &Path, contents: &[u8], dir: &Path) -> Result<NamedTempFile, OutError> {
    let fail = |source| OutError::Write {
        path: path.to_owned(),
        source,
    };
    let existing = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(OutError::Directory {
                path: path.to_owned(),
            });
        }
        // A symbolic link is replaced by the file, as a rename does.
        Ok(meta) if meta.is_file() => Some(meta.permissions()),
        Ok(_) => None,
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => return Err(fail(err)),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".senderzone-");
    // What `open(2)` is asked for any new file; the umask then takes away
    // what the user does not want others to have (tempfile's own default,
    // 0600, would hide a zone from the name server's user).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temp = builder.tempfile_in(dir).map_err(fail)?;
    if let Some(permissions) = existing {
        // Set on the open file, past the umask: the replaced file's mode.
        temp.as_file().set_permissions(permissions).map_err(fail)?;
    }
    temp.write_all(contents).map_err(fail)?;
    temp.as_file().sync_all().map_err(fail)?;
    Ok(temp)
}

/// Makes the renames into `dir` durable (fsync(2) of the directory).
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Elsewhere a directory cannot be opened to sync it.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
