//! Source files and byte spans.
//!
//! Every parsed node carries a [`Span`] (file id + byte range). Line and column are
//! computed only when a diagnostic is reported, from the line index kept here, so
//! the hot path never pays for them.

use std::sync::Arc;

/// Index of a file inside a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range inside one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span { file, start: start as u32, end: end.max(start) as u32 }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One input file: its display name, its text and the byte offset of every line start.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
    /// The folder files named by this source may be read from (see `files.rs`);
    /// `None` for stdin and plug-in input: they may read no file.
    pub root: Option<std::path::PathBuf>,
    /// Byte offset (in `text`) of the first sequence that was not UTF-8 in the
    /// bytes read; `text` holds U+FFFD there. Reported as P014 by the parse stage.
    pub invalid_utf8_at: Option<usize>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// A file of `text`; a leading byte-order mark is dropped (YAML allows one,
    /// and it is no part of the first key).
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let mut text: Arc<str> = text.into();
        if let Some(rest) = text.strip_prefix('\u{feff}') {
            text = rest.into();
        }
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        SourceFile { name: name.into(), text, root: None, invalid_utf8_at: None, line_starts }
    }

    /// The byte range of whole lines around `[start, end)`: from `before` lines
    /// above the line of `start` to `after` lines below the line of `end`
    /// (newline included), and the 0-based number of its first line.
    pub fn lines_around(
        &self,
        start: usize,
        end: usize,
        before: usize,
        after: usize,
    ) -> (std::ops::Range<usize>, usize) {
        let line_of = |offset: usize| {
            let offset = offset.min(self.text.len()) as u32;
            match self.line_starts.binary_search(&offset) {
                Ok(i) => i,
                Err(i) => i - 1,
            }
        };
        let first = line_of(start).saturating_sub(before);
        let last = line_of(end.max(start)) + after;
        let from = self.line_starts[first] as usize;
        let to = self.line_starts.get(last + 1).map_or(self.text.len(), |s| *s as usize);
        (from..to, first)
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = offset.min(self.text.len() as u32);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let end = (offset as usize).max(start);
        let column = self.text.get(start..end).map(|s| s.chars().count()).unwrap_or(end - start);
        (line + 1, column + 1)
    }
}

/// All files of one compilation.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        self.files.push(SourceFile::new(name, text));
        FileId(self.files.len() as u32 - 1)
    }

    /// Adds a file read from disk whose references may be read inside `root`.
    pub fn add_rooted(
        &mut self,
        name: impl Into<String>,
        text: impl Into<Arc<str>>,
        root: impl Into<std::path::PathBuf>,
    ) -> FileId {
        let id = self.add(name, text);
        self.files[id.0 as usize].root = Some(root.into());
        id
    }

    /// Adds a file from raw bytes: text that is not UTF-8 is kept (lossily, so
    /// that the report can show where) and flagged for P014.
    pub fn add_bytes(&mut self, name: impl Into<String>, bytes: Vec<u8>, root: Option<std::path::PathBuf>) -> FileId {
        let (text, invalid) = match String::from_utf8(bytes) {
            Ok(t) => (t, None),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(valid))
            }
        };
        // A leading BOM is dropped by `add`: offsets shift by its three bytes.
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let id = self.add(name, text);
        let file = &mut self.files[id.0 as usize];
        file.root = root;
        file.invalid_utf8_at = invalid.map(|v| v.saturating_sub(bom));
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }
}

/// Folders a directory walk enters at most (links can make a small tree look huge).
pub const MAX_WALKED_FOLDERS: usize = 10_000;

/// A mesh test file (`*.test.yaml`, docs/testing.md): input of `fmc test`,
/// not of a build, so a directory build passes it over.
pub fn is_mesh_test(path: &std::path::Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
}

/// Every `*.yaml`/`*.yml` file under `dir` but mesh tests, recursively, sorted. Links are
/// followed, but a folder that resolves to one of its own ancestors is not
/// entered again (so `a -> .` cannot loop), and a file reached by several paths
/// is read once, under the path that sorts first (so the choice never depends on
/// the order the filesystem lists entries in).
pub fn yaml_files(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, String> {
    use std::path::PathBuf;
    let canonical =
        |p: &std::path::Path| std::fs::canonicalize(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let mut found: Vec<PathBuf> = Vec::new();
    let mut todo: Vec<(PathBuf, Vec<PathBuf>)> = vec![(dir.to_path_buf(), Vec::new())];
    let mut walked = 0;
    while let Some((d, mut ancestors)) = todo.pop() {
        let real = canonical(&d)?;
        if ancestors.contains(&real) {
            continue;
        }
        walked += 1;
        if walked > MAX_WALKED_FOLDERS {
            return Err(format!("{} holds more than {MAX_WALKED_FOLDERS} folders (through links)", dir.display()));
        }
        ancestors.push(real);
        let entries = std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in entries {
            let p = entry.map_err(|e| format!("cannot read {}: {e}", d.display()))?.path();
            if p.is_dir() {
                // A tree fmc wrote (`-o`) is output, not input.
                if !crate::files::is_written_tree(&p) {
                    todo.push((p, ancestors.clone()));
                }
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") && !is_mesh_test(&p) {
                // The kustomization of a tree fmc wrote, given as the input
                // itself (`fmc diff deploy-a deploy-b`), is fmc's: not input.
                if p.file_name().is_some_and(|n| n == "kustomization.yaml") && crate::files::is_written_tree(&d) {
                    continue;
                }
                found.push(p);
            }
        }
    }
    found.sort();
    let mut seen = std::collections::BTreeSet::new();
    Ok(found.into_iter().filter(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))).collect())
}

/// Reads every input path into a source map (files sorted within directories).
pub fn load_sources(paths: &[std::path::PathBuf]) -> Result<SourceMap, String> {
    let mut sources = SourceMap::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            sources.add_bytes("<stdin>", bytes, None);
        } else if path.is_dir() {
            // A directory argument is the root of every file inside it.
            for file in yaml_files(path)? {
                add_input_file(&mut sources, &file, path)?;
            }
        } else {
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            add_input_file(&mut sources, path, folder)?;
        }
    }
    Ok(sources)
}

fn add_input_file(sources: &mut SourceMap, path: &std::path::Path, root: &std::path::Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    sources.add_bytes(path.display().to_string(), bytes, Some(root.to_path_buf()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_characters() {
        let f = SourceFile::new("a.yaml", "ab\nçd: x\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'ç' is two bytes: the 'd' after it is byte 5 but column 2.
        assert_eq!(f.line_col(5), (2, 2));
    }
}
