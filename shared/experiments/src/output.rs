//! Output files (`--timeline`, `--trace`, `--charts`): every one checked before anything
//! runs, and written whole at the end.
//!
//! A run can take minutes, so a path that cannot take its output must be refused before
//! the run, with exit status 2; and until the run is over, nothing is created, truncated
//! or written, so a command refused for any reason leaves the user's files as they were.
//!
//! The checks, [`OutputFile::check`]: an existing path must be a regular file (a folder,
//! a FIFO, a socket or a device is refused: opening a FIFO would block the run before it
//! starts, and renaming over `/dev/null` would replace the device); its folder must exist
//! (or, for a folder the run creates, its nearest existing ancestor) and be writable; and
//! [`distinct`] refuses two options that name one file, which would leave neither whole.
//!
//! The write, [`OutputFile::write`]: the bytes go to a temporary file beside the target,
//! which is then renamed over it, so a crash or a full disk leaves the old file or the
//! new one, never half of one.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use async_lab_runtime::file::{folder_of, not_a_file, write_whole};

use crate::cli::CliError;

/// An output file that passed its checks: written only by [`OutputFile::write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// The option that named it, for messages (`--timeline`).
    pub option: &'static str,
    /// The path as the user gave it.
    pub path: PathBuf,
}

impl OutputFile {
    /// Checks, without creating or changing anything, that `path` can take the output
    /// that `option` names.
    pub fn check(option: &'static str, path: &Path) -> Result<OutputFile, CliError> {
        let refuse = |why: String| CliError::Usage(format!("{option} {}: {why}", path.display()));
        match fs::metadata(path) {
            Ok(metadata) => {
                if let Some(kind) = not_a_file(&metadata) {
                    return Err(refuse(format!("is {kind}, not a regular file")));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(refuse(format!("cannot write there: {e}"))),
        }
        let folder = folder_of(path);
        writable_folder(&folder).map_err(|e| refuse(format!("cannot write there: {e}")))?;
        Ok(OutputFile {
            option,
            path: path.to_path_buf(),
        })
    }

    /// Writes `bytes` whole: into a temporary file beside the target, then renamed over
    /// it. On failure the target is as it was and the temporary file is gone.
    pub fn write(&self, bytes: &[u8]) -> io::Result<()> {
        write_whole(&self.path, bytes)
    }

    /// Where this file really is (its folder's canonical path, joined with its name),
    /// so that `a.svg` and `./dir/../a.svg` are seen to be one file.
    fn identity(&self) -> PathBuf {
        let folder = folder_of(&self.path);
        let folder = fs::canonicalize(&folder).unwrap_or(folder);
        match self.path.file_name() {
            Some(name) => folder.join(name),
            None => folder,
        }
    }
}

/// Checks that an output folder (`--timeline DIR`, `--charts DIR`) can be created or
/// written, without creating it: an existing path must be a folder, and the folder (or
/// its nearest existing ancestor, where the run will create it) writable. Call
/// [`create_folder`] once every check has passed.
pub fn check_folder(option: &'static str, dir: &Path) -> Result<(), CliError> {
    let refuse = |why: String| CliError::Usage(format!("{option} {}: {why}", dir.display()));
    match fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => {
            writable_folder(dir).map_err(|e| refuse(format!("cannot write there: {e}")))
        }
        Ok(_) => Err(refuse("is not a folder".to_string())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let ancestor = dir
                .ancestors()
                .skip(1)
                .map(|a| {
                    if a.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        a
                    }
                })
                .find(|a| fs::symlink_metadata(a).is_ok())
                .unwrap_or(Path::new("."));
            writable_folder(ancestor).map_err(|e| refuse(format!("cannot create it: {e}")))
        }
        Err(e) => Err(refuse(format!("cannot write there: {e}"))),
    }
}

/// Creates a checked output folder, after every check of the run has passed.
pub fn create_folder(option: &'static str, dir: &Path) -> Result<(), CliError> {
    fs::create_dir_all(dir)
        .map_err(|e| CliError::Usage(format!("{option} {}: cannot create it: {e}", dir.display())))
}

/// Refuses two outputs that name the same file: both would be written, and the last one
/// would silently replace the first.
pub fn distinct(outputs: &[&OutputFile]) -> Result<(), CliError> {
    for (i, a) in outputs.iter().enumerate() {
        for b in &outputs[i + 1..] {
            if a.identity() == b.identity() {
                return Err(CliError::Usage(format!(
                    "{} {} and {} {} name the same file: give each its own",
                    a.option,
                    a.path.display(),
                    b.option,
                    b.path.display()
                )));
            }
        }
    }
    Ok(())
}

/// Whether files can be created in `dir`: it is a folder, and the OS grants writing in
/// it (`access(2)`, which also says no for a read-only file system).
fn writable_folder(dir: &Path) -> io::Result<()> {
    let metadata = fs::metadata(dir)?;
    if !metadata.is_dir() {
        return Err(io::Error::from(io::ErrorKind::NotADirectory));
    }
    #[cfg(target_os = "linux")]
    rustix::fs::access(
        dir,
        rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK,
    )?;
    #[cfg(not(target_os = "linux"))]
    if metadata.permissions().readonly() {
        return Err(io::Error::from(io::ErrorKind::PermissionDenied));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("async-lab-output-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    }

    fn usage(result: Result<impl std::fmt::Debug, CliError>) -> String {
        match result {
            Err(CliError::Usage(line)) => line,
            other => panic!("not a usage error: {other:?}"),
        }
    }

    #[test]
    fn a_checked_file_is_untouched_until_written_whole() {
        let dir = scratch("whole");
        let path = dir.join("t.svg");
        fs::write(&path, "old").expect("written");
        let output = OutputFile::check("--timeline", &path).expect("checked");
        assert_eq!(fs::read_to_string(&path).expect("read"), "old");
        output.write(b"new").expect("written");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new");
        let left: Vec<_> = fs::read_dir(&dir).expect("listed").collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn folders_and_fifos_are_refused_and_one_file_cannot_take_two_outputs() {
        let dir = scratch("refused");
        assert_eq!(
            usage(OutputFile::check("--trace", &dir)),
            format!("--trace {}: is a folder, not a regular file", dir.display())
        );
        assert_eq!(
            usage(OutputFile::check("--trace", Path::new("/dev/null"))),
            "--trace /dev/null: is a character device, not a regular file"
        );
        let a = OutputFile::check("--timeline", &dir.join("x")).expect("checked");
        let b = OutputFile::check("--trace", &dir.join("./x")).expect("checked");
        assert!(distinct(&[&a]).is_ok());
        assert_eq!(
            usage(distinct(&[&a, &b]).map(|()| 0)),
            format!(
                "--timeline {} and --trace {} name the same file: give each its own",
                a.path.display(),
                b.path.display()
            )
        );
    }

    #[test]
    fn a_folder_to_create_is_checked_but_not_created() {
        let dir = scratch("folder");
        let new = dir.join("a/b");
        check_folder("--charts", &new).expect("its ancestor is writable");
        assert!(!new.exists());
        let file = dir.join("f");
        fs::write(&file, "").expect("written");
        assert_eq!(
            usage(check_folder("--charts", &file).map(|()| 0)),
            format!("--charts {}: is not a folder", file.display())
        );
        assert_eq!(
            usage(check_folder("--charts", &file.join("under")).map(|()| 0)),
            format!(
                "--charts {}: cannot write there: Not a directory (os error 20)",
                file.join("under").display(),
            )
        );
    }
}
