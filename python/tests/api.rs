//! The runner's `pulsar` package against the pulsar-client wheel's public API:
//! every public name of `pulsar.functions` and `pulsar.schema`, and every
//! public method's signature, is in the runner's package. The wheel (test
//! only, from PyPI) is in the project's venv (scripts/setup.sh).

use std::path::PathBuf;
use std::process::Command;

/// Prints `module.name` and `module.Class.method(signature)` lines of the
/// `pulsar` package found first on the path.
const DUMP: &str = r#"
import importlib, inspect, pulsar
print("from " + pulsar.__file__)
for name in ["pulsar.functions.function", "pulsar.functions.context", "pulsar.functions.serde", "pulsar.schema"]:
    module = importlib.import_module(name)
    for attr in sorted(dir(module)):
        if attr.startswith("_") or attr in ("abstractmethod", "pickle") or inspect.ismodule(getattr(module, attr)):
            continue
        value = getattr(module, attr)
        print("%s.%s" % (name, attr))
        if inspect.isclass(value):
            # Own or inherited: what user code can call is what counts.
            for method in sorted(dir(value)):
                member = getattr(value, method)
                own_init = method == "__init__" and member is not object.__init__
                if callable(member) and (not method.startswith("_") or own_init):
                    sig = inspect.signature(member)
                    # Annotations name the wheel's C types (`_pulsar.Client`): compared without.
                    bare = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
                    sig = sig.replace(parameters=bare, return_annotation=inspect.Signature.empty)
                    print("%s.%s.%s%s" % (name, attr, method, sig))
"#;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn dump(python: &PathBuf, path: Option<PathBuf>) -> Vec<String> {
    let mut command = Command::new(python);
    // Not the crate's folder: `python -c` puts the working folder first on sys.path.
    command.arg("-c").arg(DUMP).current_dir(std::env::temp_dir());
    if let Some(p) = path {
        command.env("PYTHONPATH", p);
    }
    let out = command.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn every_public_name_and_signature_of_the_wheel_is_in_the_runners_package() {
    let venv_python = root().join(".venv/bin/python");
    if !venv_python.exists() {
        assert!(std::env::var_os("CI").is_none(), "no .venv (run scripts/setup.sh)");
        eprintln!("skipping: no .venv with the pulsar-client wheel (run scripts/setup.sh)");
        return;
    }
    let wheel = dump(&venv_python, None);
    assert!(wheel.iter().any(|l| l.starts_with("pulsar.functions.context.Context.publish(")), "the wheel: {wheel:?}");
    // The runner's package, ahead of the wheel on the same interpreter.
    let ours = dump(&venv_python, Some(root().join("python")));
    assert!(ours[0].ends_with("python/pulsar/__init__.py"), "the runner's package was imported: {}", ours[0]);
    assert!(wheel[0].contains("site-packages"), "the wheel was imported: {}", wheel[0]);
    let missing: Vec<&String> = wheel.iter().skip(1).filter(|l| !ours.contains(l)).collect();
    assert!(
        missing.is_empty(),
        "not in the runner's package:\n{}",
        missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}
