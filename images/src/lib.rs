//! fmc's runner images as OCI image layouts, written directly: one layer, no
//! container engine, no daemon, byte-for-byte reproducible.
//!
//! Why our own writer rather than umoci and skopeo: a reproducible image is a
//! matter of what goes into the bytes — entries sorted, every time, owner and
//! user name fixed, a gzip header without a time or a name, a config without
//! history or a build date — and a writer of a hundred lines states all of it
//! where a reviewer reads it, while a tool's defaults (umoci writes the build
//! time and a history entry) would each need a flag and a test. The layout is
//! the OCI image-spec's: `oci-layout`, `index.json`, `blobs/sha256/…`, which
//! skopeo copies to any registry and every runtime unpacks.

use flate2::Compression;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// One entry of the image's filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file with these bytes and this mode.
    File {
        bytes: Vec<u8>,
        mode: u32,
    },
    Dir,
    Symlink(String),
}

/// What an image is: its files by absolute path, and its runtime config.
#[derive(Debug, Clone, Default)]
pub struct Image {
    pub entries: BTreeMap<String, Entry>,
    /// `Entrypoint`, `User`, `Env`, `ExposedPorts`, `WorkingDir`, `Labels`.
    pub config: serde_json::Map<String, Value>,
}

impl Image {
    /// Adds a file from the host, keeping whether it is executable.
    pub fn add_file(&mut self, host: &Path, to: &str) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let bytes = std::fs::read(host).map_err(|e| format!("cannot read {}: {e}", host.display()))?;
        let executable = std::fs::metadata(host).map(|m| m.permissions().mode() & 0o111 != 0).unwrap_or(false);
        self.add_bytes(to, bytes, if executable { 0o755 } else { 0o644 });
        Ok(())
    }

    pub fn add_bytes(&mut self, to: &str, bytes: Vec<u8>, mode: u32) {
        self.add_parents(to);
        self.entries.insert(normal(to), Entry::File { bytes, mode });
    }

    pub fn add_symlink(&mut self, to: &str, target: &str) {
        self.add_parents(to);
        self.entries.insert(normal(to), Entry::Symlink(target.to_string()));
    }

    /// Adds a host folder's files under `to`, symlinks as symlinks, except
    /// where `keep` says no (given the path relative to `host`).
    pub fn add_tree(&mut self, host: &Path, to: &str, keep: &dyn Fn(&Path) -> bool) -> Result<(), String> {
        let mut stack = vec![host.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let read = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            for entry in read {
                let path = entry.map_err(|e| e.to_string())?.path();
                let rel = path.strip_prefix(host).expect("invariant: under host");
                if !keep(rel) {
                    continue;
                }
                let inside = format!("{}/{}", to.trim_end_matches('/'), rel.display());
                let meta = std::fs::symlink_metadata(&path).map_err(|e| e.to_string())?;
                if meta.file_type().is_symlink() {
                    let target = std::fs::read_link(&path).map_err(|e| e.to_string())?;
                    self.add_symlink(&inside, &target.display().to_string());
                } else if meta.is_dir() {
                    stack.push(path);
                } else {
                    self.add_file(&path, &inside)?;
                }
            }
        }
        Ok(())
    }

    fn add_parents(&mut self, to: &str) {
        let mut path = PathBuf::from(normal(to));
        while let Some(parent) = path.parent().map(Path::to_path_buf) {
            let text = parent.display().to_string();
            if text.is_empty() || text == "/" {
                break;
            }
            self.entries.entry(text).or_insert(Entry::Dir);
            path = parent;
        }
    }

    /// The layer: a tar of every entry, sorted, owned by root, time 0.
    pub fn layer_tar(&self) -> Result<Vec<u8>, String> {
        let mut tar = tar::Builder::new(Vec::new());
        tar.mode(tar::HeaderMode::Deterministic);
        for (path, entry) in &self.entries {
            let name = path.trim_start_matches('/');
            let mut header = tar::Header::new_ustar();
            header.set_mtime(0);
            header.set_uid(0);
            header.set_gid(0);
            let written = match entry {
                Entry::File { bytes, mode } => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_mode(*mode);
                    header.set_size(bytes.len() as u64);
                    tar.append_data(&mut header, name, bytes.as_slice())
                }
                Entry::Dir => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_mode(0o755);
                    header.set_size(0);
                    tar.append_data(&mut header, format!("{name}/"), std::io::empty())
                }
                Entry::Symlink(target) => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_mode(0o777);
                    header.set_size(0);
                    tar.append_link(&mut header, name, target)
                }
            };
            written.map_err(|e| format!("cannot add {path} to the layer: {e}"))?;
        }
        tar.into_inner().map_err(|e| e.to_string())
    }
}

fn normal(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

/// `sha256:<hex>` of the bytes.
pub fn digest(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Gzip without a time, a name or an OS byte that varies.
fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut gz = flate2::GzBuilder::new().mtime(0).operating_system(255).write(Vec::new(), Compression::default());
    gz.write_all(bytes).map_err(|e| e.to_string())?;
    gz.finish().map_err(|e| e.to_string())
}

/// What was written: the manifest's digest and the blobs' sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub manifest_digest: String,
    pub compressed_bytes: u64,
    pub unpacked_bytes: u64,
}

/// Writes `image` as an OCI image layout in `dir` (replacing what is there),
/// tagged `tag`; `annotations` go on the manifest (source, revision).
pub fn write_layout(
    image: &Image,
    dir: &Path,
    tag: &str,
    annotations: &BTreeMap<String, String>,
) -> Result<Written, String> {
    let tar = image.layer_tar()?;
    let layer = gzip(&tar)?;
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": image.config,
        "rootfs": {"type": "layers", "diff_ids": [digest(&tar)]},
    });
    let config = serde_json::to_vec(&config).map_err(|e| e.to_string())?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "digest": digest(&config), "size": config.len()},
        "layers": [{"mediaType": LAYER_TYPE, "digest": digest(&layer), "size": layer.len()}],
        "annotations": annotations,
    });
    let manifest = serde_json::to_vec(&manifest).map_err(|e| e.to_string())?;
    let index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": [{
            "mediaType": MANIFEST_TYPE,
            "digest": digest(&manifest),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).map_err(|e| format!("cannot create {}: {e}", blobs.display()))?;
    for blob in [&layer, &config, &manifest] {
        let name = digest(blob).trim_start_matches("sha256:").to_string();
        std::fs::write(blobs.join(name), blob).map_err(|e| e.to_string())?;
    }
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    Ok(Written {
        manifest_digest: digest(&manifest),
        compressed_bytes: layer.len() as u64,
        unpacked_bytes: tar.len() as u64,
    })
}

/// The manifest and config of the one image in a layout.
pub fn read_layout(dir: &Path) -> Result<(Value, Value), String> {
    let read_json = |path: PathBuf| -> Result<Value, String> {
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    };
    let blob = |d: &Value| dir.join("blobs/sha256").join(d.as_str().unwrap_or_default().trim_start_matches("sha256:"));
    let index = read_json(dir.join("index.json"))?;
    let manifest = read_json(blob(&index["manifests"][0]["digest"]))?;
    let config = read_json(blob(&manifest["config"]["digest"]))?;
    Ok((manifest, config))
}

/// Unpacks the layout's layers into `root` (a runtime's root filesystem).
pub fn unpack(dir: &Path, root: &Path) -> Result<Value, String> {
    let (manifest, config) = read_layout(dir)?;
    std::fs::create_dir_all(root).map_err(|e| e.to_string())?;
    for layer in manifest["layers"].as_array().into_iter().flatten() {
        let name = layer["digest"].as_str().unwrap_or_default().trim_start_matches("sha256:");
        let file = std::fs::File::open(dir.join("blobs/sha256").join(name)).map_err(|e| e.to_string())?;
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        archive.set_preserve_permissions(true);
        archive.unpack(root).map_err(|e| format!("cannot unpack layer {name}: {e}"))?;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Image {
        let mut image = Image::default();
        image.add_bytes("/bin/tool", b"#!tool".to_vec(), 0o755);
        image.add_bytes("/etc/conf", b"x = 1\n".to_vec(), 0o644);
        image.add_symlink("/usr/bin/tool", "/bin/tool");
        image.config.insert("Entrypoint".into(), json!(["/bin/tool"]));
        image
    }

    #[test]
    fn the_same_image_written_twice_has_the_same_digest_and_unpacks_to_its_files() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let labels = BTreeMap::from([("org.opencontainers.image.revision".to_string(), "abc".to_string())]);
        let first = write_layout(&sample(), a.path(), "1", &labels).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let second = write_layout(&sample(), b.path(), "1", &labels).unwrap();
        assert_eq!(first, second);
        let root = tempfile::tempdir().unwrap();
        let config = unpack(a.path(), root.path()).unwrap();
        assert_eq!(std::fs::read(root.path().join("etc/conf")).unwrap(), b"x = 1\n");
        assert_eq!(std::fs::read_link(root.path().join("usr/bin/tool")).unwrap(), Path::new("/bin/tool"));
        assert_eq!(config["config"]["Entrypoint"][0], "/bin/tool");
        let mut changed = sample();
        changed.add_bytes("/etc/conf", b"x = 2\n".to_vec(), 0o644);
        let third = write_layout(&changed, b.path(), "1", &labels).unwrap();
        assert_ne!(first.manifest_digest, third.manifest_digest);
    }
}
