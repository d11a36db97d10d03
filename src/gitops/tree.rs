//! `fmc build -o DIR`: one file per object, in a reviewable layout, plus a
//! `kustomization.yaml` listing them.
//!
//! Layout: `DIR/<namespace>/<kind>-<name>.yaml` (`_no-namespace/` for objects without a
//! namespace). Every file fmc writes starts with [`HEADER`]; that is how it
//! recognises its own files: stale ones are removed, files without the header are
//! never touched (and never overwritten: a clash is an error).
//!
//! The tree is written by a stranger's input (object kinds, names and namespaces
//! come from charts and repositories), so this module holds the guarantees of
//! docs/security.md ("the output tree"):
//! - every path is built from [`segment`]s, each checked on its own (no `.`,
//!   `..`, empty, separator or NUL; over-long file names shortened with a hash), so
//!   no object can name a file outside DIR or replace `kustomization.yaml`;
//! - DIR is read without following symbolic links, a link is never written
//!   through, removed or descended into, and nothing outside DIR is touched;
//! - a write is all-or-nothing: every new file is staged beside its target
//!   first, and only when all are staged are they renamed into place (the
//!   kustomization last) and stale files removed; a failure removes the staged
//!   files and leaves the previous tree exactly as it was;
//! - builds into one DIR are serialised by an advisory lock on DIR itself;
//! - several environments (`--all-envs`) are one tree ([`nest`]): each
//!   `DIR/<environment>` is a path segment checked like any other, so a link
//!   committed as `DIR/prod` is refused like a link anywhere below DIR, and
//!   the environments are written together or not at all;
//! - a failed first build into a new DIR removes the folders it created,
//!   DIR included: nothing is left behind.

use crate::emit::yaml::to_yaml;
use crate::render::Manifest;
use similar::TextDiff;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

pub use crate::files::{HEADER, is_written_tree};
const KUSTOMIZATION: &str = "kustomization.yaml";
/// Longest file name written (most filesystems allow 255 bytes).
const MAX_FILE_NAME: usize = 200;
/// Suffix of a file staged beside its target before the rename.
const STAGED: &str = ".fmc-staged";

/// The files fmc wants in the directory: relative path → content.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tree {
    pub files: BTreeMap<PathBuf, String>,
    /// The folders (relative to DIR) whose stale fmc files this tree
    /// replaces; empty for DIR as a whole. A nested tree of environments
    /// owns only its environments' folders.
    pub roots: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add(PathBuf),
    Modify(PathBuf),
    Remove(PathBuf),
}

/// One path segment, checked on its own: never empty, `.` or `..`, never a
/// separator or NUL inside. Everything this module joins onto DIR is one.
pub fn segment(s: &str) -> Result<&str, String> {
    let bad = s.is_empty() || s == "." || s == ".." || s.contains(['/', '\\', '\0']);
    if bad {
        return Err(format!("`{}` cannot be a file or folder name in the output tree", s.escape_debug()));
    }
    Ok(s)
}

fn file_name(m: &Manifest, group: Option<&str>) -> Result<PathBuf, String> {
    let dir = if m.namespace.is_empty() { "_no-namespace" } else { segment(&m.namespace)? };
    let kind = segment(&m.kind)?.to_ascii_lowercase();
    // An object without a name (a `List`, a `generateName` object) is named
    // after its input document, which is unique.
    let mut stem = if m.name.is_empty() {
        format!("{kind}-doc{}", m.provenance.doc)
    } else {
        format!("{kind}-{}", segment(&m.name)?)
    };
    if let Some(g) = group {
        stem = format!("{stem}-{}", g.replace('.', "-"));
    }
    let stem = crate::names::shorten(&stem, MAX_FILE_NAME);
    let file = format!("{stem}.yaml");
    Ok(PathBuf::from(dir).join(segment(&file)?))
}

/// Plans the tree for `manifests` (already in emission order).
pub fn plan(manifests: &[Manifest]) -> Result<Tree, String> {
    let mut files = BTreeMap::new();
    let mut listed = Vec::new();
    for m in manifests {
        let mut path = file_name(m, None)?;
        if files.contains_key(&path) {
            // Same kind and name in two API groups: keep both, distinguished by group.
            let group = m.api_version.split('/').next().unwrap_or("core");
            path = file_name(m, Some(group))?;
        }
        if files.contains_key(&path) {
            return Err(format!("two objects would be written to {}", path.display()));
        }
        files.insert(path.clone(), format!("{HEADER}\n{}", m.yaml));
        listed.push(path);
    }
    let resources: Vec<serde_json::Value> =
        listed.iter().map(|p| p.to_string_lossy().replace('\\', "/").into()).collect();
    let kustomization = serde_json::json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
        // kustomize's default (legacy) order would put custom resources such as
        // PulsarTopic after the StatefulSets that need them: keep fmc's order.
        "sortOptions": {"order": "fifo"},
    });
    files.insert(PathBuf::from(KUSTOMIZATION), format!("{HEADER}\n{}", to_yaml(&kustomization)));
    // Paths sort component by component, so a path that is another's folder
    // sorts right before it: comparing neighbours finds every clash in one pass.
    let mut sorted = files.keys().zip(files.keys().skip(1));
    if let Some((clash, _)) = sorted.find(|(file, next)| next.starts_with(file)) {
        return Err(format!("{} would be both a file and a folder of the output tree", clash.display()));
    }
    Ok(Tree { files, roots: Vec::new() })
}

/// One tree of several named trees, each in its own folder (`--all-envs -o
/// DIR`: `DIR/<environment>`). Each name is a path segment like any other.
pub fn nest(trees: Vec<(String, Tree)>) -> Result<Tree, String> {
    let mut nested = Tree::default();
    for (name, tree) in trees {
        let root = PathBuf::from(segment(&name)?);
        for (path, text) in tree.files {
            nested.files.insert(root.join(path), text);
        }
        nested.roots.push(root);
    }
    Ok(nested)
}

impl Tree {
    /// Whether a file already in DIR is this tree's to replace or remove.
    fn owns(&self, path: &Path) -> bool {
        self.roots.is_empty() || self.roots.iter().any(|r| path.starts_with(r))
    }
}

/// What DIR holds, read without following links.
#[derive(Debug, Default)]
struct Existing {
    /// Regular `*.yaml`/`*.yml` files (relative path → text).
    files: BTreeMap<PathBuf, String>,
    /// Everything else that is not a directory: links, sockets, FIFOs. Never touched.
    others: BTreeMap<PathBuf, &'static str>,
    /// Folders: a planned file must not land on one.
    folders: std::collections::BTreeSet<PathBuf>,
    /// Regular files that are not YAML: never touched, never a folder.
    plain: std::collections::BTreeSet<PathBuf>,
}

fn existing(dir: &Path) -> Result<Existing, String> {
    let mut out = Existing::default();
    if std::fs::symlink_metadata(dir).is_err() {
        return Ok(out);
    }
    let mut todo = vec![PathBuf::new()];
    while let Some(rel) = todo.pop() {
        let abs = dir.join(&rel);
        let entries = std::fs::read_dir(&abs).map_err(|e| format!("cannot read {}: {e}", abs.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", abs.display()))?;
            let rel = rel.join(entry.file_name());
            // file_type() does not follow links: a link to a folder is not descended into.
            let kind = entry.file_type().map_err(|e| format!("cannot read {}: {e}", dir.join(&rel).display()))?;
            if kind.is_dir() {
                out.folders.insert(rel.clone());
                todo.push(rel);
            } else if kind.is_symlink() {
                out.others.insert(rel, "a symbolic link");
            } else if !kind.is_file() {
                out.others.insert(rel, "not a regular file");
            } else if rel.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let text = std::fs::read(dir.join(&rel)).map_err(|e| format!("cannot read {}: {e}", rel.display()))?;
                out.files.insert(rel, String::from_utf8_lossy(&text).into_owned());
            } else {
                out.plain.insert(rel);
            }
        }
    }
    Ok(out)
}

fn is_ours(text: &str) -> bool {
    crate::files::starts_with_header(text)
}

/// What writing `tree` into `dir` would change, and the unified diff of it.
pub fn changes(dir: &Path, tree: &Tree) -> Result<(Vec<Change>, String), String> {
    let current = existing(dir)?;
    let mut changes = Vec::new();
    let mut diff = String::new();
    for (path, want) in &tree.files {
        refuse_through_link(dir, path, &current)?;
        match current.files.get(path) {
            Some(have) if !is_ours(have) => {
                return Err(format!(
                    "{} exists and was not written by fmc; refusing to overwrite it",
                    dir.join(path).display()
                ));
            }
            Some(have) if have == want => {}
            Some(have) => {
                changes.push(Change::Modify(path.clone()));
                diff.push_str(&unified(have, want, path));
            }
            None => {
                changes.push(Change::Add(path.clone()));
                diff.push_str(&unified("", want, path));
            }
        }
    }
    for (path, have) in &current.files {
        if is_ours(have) && tree.owns(path) && !tree.files.contains_key(path) {
            changes.push(Change::Remove(path.clone()));
            diff.push_str(&unified(have, "", path));
        }
    }
    Ok((changes, diff))
}

/// A planned file, or one of its folders, that is a link or a special file in DIR.
fn refuse_through_link(dir: &Path, path: &Path, current: &Existing) -> Result<(), String> {
    let mut prefix = PathBuf::new();
    for c in path.components() {
        let Component::Normal(c) = c else {
            return Err(format!("{} is not a plain relative path", path.display()));
        };
        prefix.push(c);
        if let Some(what) = current.others.get(&prefix) {
            return Err(format!("{} is {what}; fmc never writes through it", dir.join(&prefix).display()));
        }
        if prefix != path && (current.files.contains_key(&prefix) || current.plain.contains(&prefix)) {
            return Err(format!("{} is a file, not a folder", dir.join(&prefix).display()));
        }
    }
    if current.folders.contains(path) || current.plain.contains(path) {
        return Err(format!("{} exists and was not written by fmc; refusing to replace it", dir.join(path).display()));
    }
    Ok(())
}

fn unified(old: &str, new: &str, path: &Path) -> String {
    let name = path.to_string_lossy().replace('\\', "/");
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// Writes the tree, removing stale fmc files; returns what changed. Holds the
/// lock on DIR throughout, so a second build into DIR waits for this one.
pub fn write(dir: &Path, tree: &Tree) -> Result<Vec<Change>, String> {
    let made = missing_ancestors(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let result = write_locked(dir, tree);
    if result.is_err() {
        // A failed first build leaves nothing: the folders it made go again
        // (only when empty, so a concurrent build's files are never lost).
        for folder in &made {
            let _ = std::fs::remove_dir(folder);
        }
    }
    result
}

/// DIR and those of its ancestors that do not exist yet, deepest first.
fn missing_ancestors(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && std::fs::symlink_metadata(a).is_err())
        .map(Path::to_path_buf)
        .collect()
}

fn write_locked(dir: &Path, tree: &Tree) -> Result<Vec<Change>, String> {
    let lock = std::fs::File::open(dir).map_err(|e| format!("cannot open {}: {e}", dir.display()))?;
    lock.lock().map_err(|e| format!("cannot lock {}: {e}", dir.display()))?;
    let (changes, _) = changes(dir, tree)?;
    let mut writes: Vec<&PathBuf> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Add(p) | Change::Modify(p) => Some(p),
            Change::Remove(_) => None,
        })
        .collect();
    // Kustomizations are renamed last: until then each lists only files that exist.
    writes.sort_by_key(|p| p.file_name() == Some(KUSTOMIZATION.as_ref()));
    let (mut staged, mut created) = (Vec::new(), Vec::new());
    if let Err(e) = stage_all(dir, tree, &writes, &mut staged, &mut created) {
        unstage(&staged, &created);
        return Err(e);
    }
    for (i, (tmp, target)) in staged.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, target) {
            unstage(&staged[i..], &[]);
            return Err(format!("cannot write {}: {e}", target.display()));
        }
    }
    for change in &changes {
        if let Change::Remove(p) = change {
            let target = dir.join(p);
            std::fs::remove_file(&target).map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
            remove_empty_parents(dir, p);
        }
    }
    Ok(changes)
}

/// Removes staged files and the folders made for them (deepest last made first).
fn unstage(staged: &[(PathBuf, PathBuf)], created: &[PathBuf]) {
    for (tmp, _) in staged {
        let _ = std::fs::remove_file(tmp);
    }
    for folder in created.iter().rev() {
        let _ = std::fs::remove_dir(folder);
    }
}

/// Writes each file beside its target (creating folders, never through links).
fn stage_all(
    dir: &Path,
    tree: &Tree,
    writes: &[&PathBuf],
    staged: &mut Vec<(PathBuf, PathBuf)>,
    created: &mut Vec<PathBuf>,
) -> Result<(), String> {
    for p in writes {
        let target = dir.join(p);
        if let Some(parent) = p.parent() {
            make_folders(dir, parent, created)?;
        }
        let name = p.file_name().expect("invariant: planned paths end in a file name").to_string_lossy();
        let tmp = target.with_file_name(format!(".{name}{STAGED}"));
        let _ = std::fs::remove_file(&tmp);
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            f.write_all(tree.files[*p].as_bytes())?;
            f.sync_all()
        };
        let result = write();
        staged.push((tmp, target.clone()));
        result.map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    Ok(())
}

/// Creates `rel`'s folders under DIR one by one, refusing any that is a link;
/// records the folders it created (removed again if the write fails).
fn make_folders(dir: &Path, rel: &Path, created: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut at = dir.to_path_buf();
    for c in rel.components() {
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(format!("{} is not a folder; fmc never writes through it", at.display())),
            Err(_) => {
                std::fs::create_dir(&at).map_err(|e| format!("cannot create {}: {e}", at.display()))?;
                created.push(at.clone());
            }
        }
    }
    Ok(())
}

/// Removes the now-empty folders of `rel` inside DIR (never DIR itself).
fn remove_empty_parents(dir: &Path, rel: &Path) {
    let mut parent = rel.parent();
    while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
        if std::fs::remove_dir(dir.join(p)).is_err() {
            break;
        }
        parent = p.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn segments_cannot_leave_their_folder() {
        for bad in ["", ".", "..", "a/b", "/etc", "..\\x", "a\0b"] {
            assert!(segment(bad).is_err(), "{bad:?}");
        }
        for ok in ["default", "configmap-x.yaml", "...", "_no-namespace"] {
            assert_eq!(segment(ok), Ok(ok));
        }
    }
}
