//! Reading inputs: files, directories of YAML files (sorted), or stdin.

use crate::source::SourceMap;
use crate::source::yaml_files;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Reads every input path into a source map (files sorted within directories).
pub fn load_sources(paths: &[PathBuf]) -> Result<SourceMap, String> {
    let mut sources = SourceMap::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("cannot read stdin: {e}"))?;
            sources.add_bytes("<stdin>", bytes, None);
        } else if path.is_dir() {
            // A directory argument is the root of every file inside it.
            for file in yaml_files(path)? {
                add_file(&mut sources, &file, path)?;
            }
        } else {
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            add_file(&mut sources, path, folder)?;
        }
    }
    Ok(sources)
}

fn add_file(sources: &mut SourceMap, path: &Path, root: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    sources.add_bytes(path.display().to_string(), bytes, Some(root.to_path_buf()));
    Ok(())
}
