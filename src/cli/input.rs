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
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read stdin: {e}"))?;
            sources.add("<stdin>", text);
        } else if path.is_dir() {
            for file in yaml_files(path)? {
                add_file(&mut sources, &file)?;
            }
        } else {
            add_file(&mut sources, path)?;
        }
    }
    Ok(sources)
}

fn add_file(sources: &mut SourceMap, path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))?;
    sources.add(path.display().to_string(), text);
    Ok(())
}
