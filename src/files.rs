//! The one way fmc reads a file an input names (a schema's `file:`).
//!
//! Inputs come from repositories, charts and packages that may be hostile, so a
//! reference is confined the way kustomize's default load restrictor confines
//! it: it resolves against the folder of the document that names it and must
//! stay inside a *root* — the directory argument given on the command line,
//! else the document's own folder, or `--root DIR` — after every symbolic link
//! is resolved. Absolute paths, `..` that leaves the root, links that point out
//! of it, `/proc`, `/dev` and `/sys`, and anything but a regular file are
//! refused before a byte is read; so is every reference from stdin and the
//! plug-in modes unless `--root` is given. The lexical check comes first, so a
//! refused path is never even looked up (no probing of the host's files), and a
//! refusal never quotes a file.
//!
//! Errors are typed: a [`ReadError::Refused`] becomes diagnostic R014, a
//! [`ReadError::Failed`] (missing, unreadable, too large) the caller's own code.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Largest file read (a schema or `.proto`).
pub const MAX_FILE_BYTES: u64 = 4 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Outside the root, or a kind of file fmc never reads.
    Refused(String),
    /// Inside the root but not readable as text.
    Failed(String),
    /// Inside the root, but no such file.
    Missing(Missing),
}

/// A file reference that names nothing: where it was looked for, and the
/// names beside it (for "did you mean").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The path looked for, relative to the root (`.` and `..` resolved).
    pub in_root: String,
    /// The file names in the folder it was looked for in.
    pub siblings: Vec<String>,
}

/// The folder a document's file references resolve against: its file's
/// folder; for input with no folder of its own (stdin, the plug-in modes),
/// the folder its name gives inside `root` — a KRM item's path annotation,
/// or `root` itself. [`read_confined`] still confines the result to `root`.
pub fn document_folder(file: &crate::source::SourceFile, root: Option<&Path>) -> std::path::PathBuf {
    let parent = Path::new(&file.name).parent().map(Path::to_path_buf).unwrap_or_default();
    match root {
        Some(root) if file.root.is_none() && !parent.is_absolute() => root.join(parent),
        _ => parent,
    }
}

/// Reads `rel`, named by a document in folder `base`, confined to `root`.
pub fn read_confined(root: Option<&Path>, base: &Path, rel: &str) -> Result<String, ReadError> {
    let bytes = read_confined_bytes(root, base, rel)?;
    String::from_utf8(bytes).map_err(|_| ReadError::Failed(format!("{rel} is not UTF-8 text")))
}

/// [`read_confined`] for a binary file (a WebAssembly module `fmc test` runs).
pub fn read_confined_bytes(root: Option<&Path>, base: &Path, rel: &str) -> Result<Vec<u8>, ReadError> {
    let Some(root) = root else {
        return Err(ReadError::Refused(
            "this input has no folder (stdin or a plug-in mode), so it may name no file unless `--root DIR` is given"
                .into(),
        ));
    };
    let rel_path = Path::new(rel);
    if rel_path.is_absolute() || rel.starts_with('\\') {
        return Err(ReadError::Refused(format!("`{rel}` is an absolute path; name files relative to the mesh file")));
    }
    let root_abs = absolute(root);
    let wanted = normalize(&absolute(base).join(rel_path));
    if !wanted.starts_with(&root_abs) {
        return Err(outside(rel));
    }
    let real = match std::fs::canonicalize(&wanted) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing(&root_abs, &wanted)),
        Err(e) => return Err(ReadError::Failed(format!("cannot read {rel}: {e}"))),
    };
    let real_root = std::fs::canonicalize(&root_abs).unwrap_or(root_abs);
    if !real.starts_with(&real_root) {
        return Err(outside(rel));
    }
    if ["/proc", "/dev", "/sys"].iter().any(|p| real.starts_with(p)) {
        return Err(ReadError::Refused(format!("`{rel}` is a system file (under /proc, /dev or /sys)")));
    }
    read_regular(&real, rel)
}

/// `wanted` is inside `root` lexically; its folder is listed only when it
/// really is (a link inside the root may lead out of it), so no name from
/// outside the root reaches a diagnostic.
fn missing(root: &Path, wanted: &Path) -> ReadError {
    let in_root = wanted.strip_prefix(root).unwrap_or(wanted).display().to_string();
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let folder = wanted.parent().and_then(|f| std::fs::canonicalize(f).ok()).filter(|f| f.starts_with(&real_root));
    let mut siblings: Vec<String> = folder
        .and_then(|f| std::fs::read_dir(f).ok())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    siblings.sort();
    ReadError::Missing(Missing { in_root, siblings })
}

fn outside(rel: &str) -> ReadError {
    ReadError::Refused(format!("`{rel}` leaves the input's root"))
}

/// A regular file of at most [`MAX_FILE_BYTES`], read through a bounded reader
/// (a file's reported size can lie).
fn read_regular(real: &Path, rel: &str) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(real).map_err(|e| ReadError::Failed(format!("cannot read {rel}: {e}")))?;
    if !meta.is_file() {
        return Err(ReadError::Refused(format!("`{rel}` is not a regular file")));
    }
    let file = std::fs::File::open(real).map_err(|e| ReadError::Failed(format!("cannot read {rel}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Failed(format!("cannot read {rel}: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::Failed(format!("{rel} is larger than 4 MiB")));
    }
    Ok(bytes)
}

fn absolute(p: &Path) -> PathBuf {
    let p = if p.as_os_str().is_empty() { Path::new(".") } else { p };
    normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// `.` and `..` removed lexically (no filesystem access).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The first line of every file `fmc build -o` writes: how fmc recognises
/// its own files (shared by the tree writer and the input walker, which must
/// never read an output tree back as input).
pub const HEADER: &str = "# Generated by fmc from Function Mesh sources. DO NOT EDIT.";

/// Whether `dir` is a tree fmc wrote (its `kustomization.yaml` starts with
/// [`HEADER`]). Only the header's length and a line ending are read.
pub fn is_written_tree(dir: &std::path::Path) -> bool {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(dir.join("kustomization.yaml")) else { return false };
    let mut head = Vec::with_capacity(HEADER.len() + 2);
    file.take(HEADER.len() as u64 + 2).read_to_end(&mut head).is_ok()
        && starts_with_header(&String::from_utf8_lossy(&head))
}

/// Whether a file's text is one fmc wrote: its first line is [`HEADER`].
pub fn starts_with_header(text: &str) -> bool {
    text.lines().next() == Some(HEADER)
}

/// A program beside `beside` (fmc's own folder), else on PATH.
pub fn find_program(name: &str, beside: Option<&Path>) -> Result<PathBuf, String> {
    let on_path = std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    beside
        .map(Path::to_path_buf)
        .into_iter()
        .chain(on_path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("`{name}` not found beside fmc or on PATH (build it: cargo build -p fmc-runner)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(r: Result<String, ReadError>) -> bool {
        matches!(r, Err(ReadError::Refused(_)))
    }

    #[test]
    fn confines_to_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("schemas")).expect("dirs");
        std::fs::write(root.join("schemas/a.avsc"), "{}").expect("write");
        std::fs::write(dir.path().join("secret"), "s3cret").expect("write");
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("schemas/link.avsc")).expect("link");
        assert_eq!(read_confined(Some(&root), &root, "schemas/a.avsc"), Ok("{}".into()));
        assert_eq!(read_confined(Some(&root), &root.join("schemas"), "../schemas/./a.avsc"), Ok("{}".into()));
        assert!(refused(read_confined(Some(&root), &root, "../secret")));
        assert!(refused(read_confined(Some(&root), &root, "schemas/link.avsc")));
        assert!(refused(read_confined(Some(&root), &root, "/etc/passwd")));
        assert!(refused(read_confined(None, &root, "schemas/a.avsc")));
        assert!(refused(read_confined(Some(Path::new("/")), Path::new("/"), "proc/self/environ")));
        assert!(refused(read_confined(Some(&root), &root, "schemas")));
    }
}
