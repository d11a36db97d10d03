//! `fmc-images`: builds the runner images (`scripts/images.sh` calls it) and
//! unpacks a layout into a root filesystem (the pod harness's runtime root).
//!
//! - `fmc-images native --binary PATH --out DIR [--revision REV]`: the static
//!   runner alone (what runner/Dockerfile copies), as uid 65532.
//! - `fmc-images python --binary PATH --out DIR [--revision REV]`: the runner
//!   built with its Python engine, the shared libraries it and Python's
//!   extension modules load, and Debian's CPython standard library without
//!   its tests, GUI toolkits and installers.
//! - `fmc-images unpack --layout DIR --to ROOT`.
//!
//! Each build prints `<name> <digest> <compressed bytes> <unpacked bytes>`.

use fmc_images::{Image, unpack, write_layout};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const NSSWITCH: &str = "hosts: files dns\n";
/// Debian's CPython standard library, and what of it the image leaves out:
/// the test suite, GUI toolkits, the IDE, installers and the static library.
const STDLIB: &str = "/usr/lib/python3.11";
const STDLIB_LEFT_OUT: [&str; 10] = [
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "pydoc_data",
    "config-3.11-x86_64-linux-gnu",
    "site-packages",
    "dist-packages",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("native") => build(&args[1..], "fmc/runner", native),
        Some("python") => build(&args[1..], "fmc/runner-python", python),
        Some("unpack") => flag(&args[1..], "--layout")
            .and_then(|layout| Ok((layout, flag(&args[1..], "--to")?)))
            .and_then(|(layout, to)| unpack(Path::new(&layout), Path::new(&to)).map(|_| ())),
        _ => Err("usage: fmc-images native|python --binary PATH --out DIR [--revision REV] [--source URL] | unpack --layout DIR --to ROOT".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fmc-images: {e}");
            ExitCode::from(2)
        }
    }
}

fn flag(args: &[String], name: &str) -> Result<String, String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().ok_or(format!("{name} is required"))
}

/// The runner images' version tag (the runner crate's version).
const TAG: &str = "0.1.0";

fn build(args: &[String], repository: &str, recipe: fn(&Path) -> Result<Image, String>) -> Result<(), String> {
    let binary = PathBuf::from(flag(args, "--binary")?);
    let out = PathBuf::from(flag(args, "--out")?);
    let revision = flag(args, "--revision").unwrap_or_else(|_| "unknown".into());
    // Where the source is (the clone's `origin`): a constant of the build, so
    // two builds of one commit agree.
    let source = flag(args, "--source").unwrap_or_else(|_| "unknown".into());
    let mut image = recipe(&binary)?;
    let labels = BTreeMap::from([
        ("org.opencontainers.image.source".to_string(), source),
        ("org.opencontainers.image.revision".to_string(), revision),
        ("org.opencontainers.image.title".to_string(), repository.to_string()),
        ("org.opencontainers.image.version".to_string(), TAG.to_string()),
    ]);
    image.config.insert("Labels".into(), json!(labels));
    let written = write_layout(&image, &out, TAG, &labels)?;
    println!("{repository}:{TAG} {} {} {}", written.manifest_digest, written.compressed_bytes, written.unpacked_bytes);
    Ok(())
}

fn common(image: &mut Image, binary: &Path) -> Result<(), String> {
    image.add_file(binary, "/fmc-runner")?;
    // `localhost` and Service names resolve through /etc/hosts (the kubelet mounts it), then DNS.
    image.add_bytes("/etc/nsswitch.conf", NSSWITCH.as_bytes().to_vec(), 0o644);
    image.config.insert("Entrypoint".into(), json!(["/fmc-runner"]));
    image.config.insert("User".into(), json!("65532:65532"));
    image.config.insert("ExposedPorts".into(), json!({"9094/tcp": {}}));
    image.config.insert("WorkingDir".into(), json!("/"));
    Ok(())
}

fn native(binary: &Path) -> Result<Image, String> {
    if !shared_libraries(binary)?.is_empty() {
        return Err(format!("{} is not static: the native image holds the binary alone", binary.display()));
    }
    let mut image = Image::default();
    common(&mut image, binary)?;
    Ok(image)
}

fn python(binary: &Path) -> Result<Image, String> {
    let mut image = Image::default();
    common(&mut image, binary)?;
    let keep = |rel: &Path| {
        let first = rel.components().next().map(|c| c.as_os_str().to_string_lossy().to_string()).unwrap_or_default();
        !STDLIB_LEFT_OUT.contains(&first.as_str())
    };
    image.add_tree(Path::new(STDLIB), STDLIB, &keep)?;
    // The runner's libraries and every extension module's, at their paths.
    let mut needed: BTreeSet<PathBuf> = shared_libraries(binary)?;
    let dynload = Path::new(STDLIB).join("lib-dynload");
    for entry in std::fs::read_dir(&dynload).map_err(|e| format!("{}: {e}", dynload.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "so") {
            needed.extend(shared_libraries(&path)?);
        }
    }
    for library in needed {
        add_library(&mut image, &library)?;
    }
    image.config.insert(
        "Env".into(),
        json!(["PYTHONHOME=/usr", "PYTHONDONTWRITEBYTECODE=1", "PATH=/usr/local/bin:/usr/bin:/bin"]),
    );
    Ok(image)
}

/// A library at its path, and at the path its symlinks name (`libc.so.6` → the file).
fn add_library(image: &mut Image, library: &Path) -> Result<(), String> {
    let real = std::fs::canonicalize(library).map_err(|e| format!("{}: {e}", library.display()))?;
    let at = library.display().to_string();
    image.add_file(&real, &real.display().to_string())?;
    if real != library {
        image.add_symlink(&at, &real.display().to_string());
    }
    Ok(())
}

/// The shared libraries `ldd` says a binary loads (and its interpreter);
/// none for a static binary.
fn shared_libraries(binary: &Path) -> Result<BTreeSet<PathBuf>, String> {
    let out = std::process::Command::new("ldd").arg(binary).output().map_err(|e| format!("cannot run ldd: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next().filter(|p| p.starts_with('/')),
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            found.insert(PathBuf::from(p));
        }
    }
    Ok(found)
}
