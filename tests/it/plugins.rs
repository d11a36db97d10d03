//! fmc inside the real tools: Helm 3 and Helm 4 post-rendering, kpt (fn eval and
//! fn render), and kubectl kustomize with the legacy exec plug-in. The commands
//! are the ones the README shows. Under CI a missing tool fails the test.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chart() -> PathBuf {
    project_root().join("examples/helm/pulsar-function")
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).to_string()
}

/// The ConfigMap document exactly as the chart renders it (without post-rendering).
fn plain_configmap(helm3: &Path, home: &Path) -> String {
    let plain = text(&helm(helm3, home, &["template", "r", chart().to_str().unwrap()]).stdout);
    plain.split("\n---\n").find(|d| d.contains("kind: ConfigMap")).unwrap().trim().to_string()
}

#[test]
fn helm3_post_renderer() {
    let Some(helm3) = tool("helm3") else { return };
    let home = tempfile::tempdir().unwrap();
    let chart = chart();
    let ok = helm(
        &helm3,
        home.path(),
        &[
            "template",
            "r",
            chart.to_str().unwrap(),
            "--post-renderer",
            fmc_bin(),
            "--post-renderer-args",
            "post-render",
        ],
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let out = text(&ok.stdout);
    assert!(out.contains("kind: StatefulSet\nmetadata:") && out.contains("name: r-exclaim-function\n"), "{out}");
    // Pass-through documents are unchanged, byte for byte (the YAML 1.1 `"on"` stays quoted as written).
    assert!(out.contains(&plain_configmap(&helm3, home.path())), "{out}");
    assert!(out.contains("helm.sh/hook: test"), "Helm 3 appends hooks unrendered");

    let broken = helm(
        &helm3,
        home.path(),
        &[
            "template",
            "r",
            chart.to_str().unwrap(),
            "--set",
            "typo=true",
            "--post-renderer",
            fmc_bin(),
            "--post-renderer-args",
            "post-render",
        ],
    );
    assert!(!broken.status.success());
    let err = text(&broken.stderr);
    assert!(err.contains("P007") && err.contains("did you mean `replicas`?"), "{err}");
}

#[test]
fn helm4_post_renderer_plugin() {
    let Some(helm4) = tool("helm4") else { return };
    let home = tempfile::tempdir().unwrap();
    let chart = chart();
    let out_dir = home.path().join("out");
    let ok = helm(
        &helm4,
        home.path(),
        &[
            "template",
            "r",
            chart.to_str().unwrap(),
            "--post-renderer",
            "fmc",
            "--output-dir",
            out_dir.to_str().unwrap(),
        ],
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    // Helm 4 files each document by its postrender-filename annotation: the
    // generated objects carry the one of the Function they came from.
    let function_file = std::fs::read_to_string(out_dir.join("pulsar-function/templates/function.yaml")).unwrap();
    assert!(function_file.contains("kind: StatefulSet") && function_file.contains("kind: Service"), "{function_file}");
    assert!(!function_file.contains("kind: Function\n"));
    let hook = std::fs::read_to_string(out_dir.join("pulsar-function/templates/smoke-test.yaml")).unwrap();
    assert!(hook.contains("helm.sh/hook: test"), "hooks pass through");

    let broken = helm(
        &helm4,
        home.path(),
        &["template", "r", chart.to_str().unwrap(), "--set", "typo=true", "--post-renderer", "fmc"],
    );
    assert!(!broken.status.success());
    // Helm 4 discards the renderer's stderr: the diagnostics are in the file.
    let log = std::fs::read_to_string(home.path().join("fmc-diagnostics.log")).unwrap();
    assert!(log.contains("P007") && log.contains("replica"), "{log}");
}

fn function_yaml() -> String {
    std::fs::read_to_string(corpus_root().join("integration/java-function/manifests.yaml")).unwrap()
}

#[test]
fn kpt_fn_eval_exec() {
    if !conformance() {
        return;
    }
    let Some(kpt) = tool("kpt") else { return };
    let exec = format!("{} krm", fmc_bin());
    let ok =
        run_with_stdin(Command::new(&kpt).args(["fn", "eval", "-", "--exec", &exec, "-o", "unwrap"]), &function_yaml());
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let out = text(&ok.stdout);
    assert!(out.contains("kind: StatefulSet") && out.contains("name: function-sample-function"), "{out}");
    assert!(out.contains("kind: ConfigMap") && !out.contains("kind: Function\n"), "{out}");

    let broken = function_yaml().replace("  replicas: 1", "  replica: 1");
    let failed = run_with_stdin(Command::new(&kpt).args(["fn", "eval", "-", "--exec", &exec, "-o", "unwrap"]), &broken);
    assert!(!failed.status.success());
    let err = text(&failed.stderr);
    assert!(err.contains("P007: unknown field `replica`"), "{err}");
}

#[test]
fn kpt_fn_render_with_a_kptfile() {
    if !conformance() {
        return;
    }
    let Some(kpt) = tool("kpt") else { return };
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("function.yaml"), function_yaml()).unwrap();
    let kptfile = format!(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations: {{config.kubernetes.io/local-config: \"true\"}}\npipeline:\n  mutators:\n  - exec: {}\n    configMap: {{cleanupHooks: \"true\"}}\n",
        project_root().join("plugins/kpt/fmc-krm.sh").display()
    );
    std::fs::write(pkg.join("Kptfile"), kptfile).unwrap();
    let out = Command::new(&kpt)
        .args(["fn", "render", "pkg", "--allow-exec", "-o", "unwrap"])
        .current_dir(dir.path())
        .env("FMC_BIN", fmc_bin())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rendered = text(&out.stdout);
    assert!(rendered.contains("kind: StatefulSet") && rendered.contains("kind: HorizontalPodAutoscaler"), "{rendered}");
}

#[test]
fn kubectl_kustomize_legacy_plugin() {
    if !conformance() {
        return;
    }
    let Some(kubectl) = tool("kubectl") else { return };
    let dir = tempfile::tempdir().unwrap();
    let kz = dir.path();
    std::fs::write(kz.join("kustomization.yaml"), "resources: [function.yaml]\ntransformers: [meshbuild.yaml]\n")
        .unwrap();
    std::fs::write(kz.join("meshbuild.yaml"), "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: MeshBuild\nmetadata:\n  name: fmc\nspec:\n  namespace: default\n").unwrap();
    let run = |function: &str| {
        std::fs::write(kz.join("function.yaml"), function).unwrap();
        Command::new(&kubectl)
            .args(["kustomize", "--enable-alpha-plugins"])
            .arg(kz)
            .env("KUSTOMIZE_PLUGIN_HOME", project_root().join("plugins/kustomize"))
            .env("FMC_BIN", fmc_bin())
            .output()
            .unwrap()
    };
    let ok = run(&function_yaml());
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let out = text(&ok.stdout);
    assert!(out.contains("kind: StatefulSet") && out.contains("name: test-pulsar"), "{out}");
    let failed = run(&function_yaml().replace("  replicas: 1", "  replica: 1"));
    assert!(!failed.status.success());
    assert!(text(&failed.stderr).contains("P007"), "{}", text(&failed.stderr));
}

/// Neither Helm hands the release namespace to a post-renderer (README,
/// "The release namespace"): the documented argument carries it into the
/// labels and selectors fmc derives from it, in Helm 3 and Helm 4.
#[test]
fn the_release_namespace_reaches_generated_objects_through_the_documented_argument() {
    let chart = chart();
    let chart = chart.to_str().unwrap();
    let helm3_args = ["--post-renderer", fmc_bin(), "--post-renderer-args", "post-render"];
    let helm4_args = ["--post-renderer", "fmc"];
    for (name, renderer) in [("helm3", &helm3_args[..]), ("helm4", &helm4_args[..])] {
        let Some(bin) = tool(name) else { continue };
        let home = tempfile::tempdir().unwrap();
        let mut args = vec!["template", "r", chart, "-n", "streams"];
        args.extend_from_slice(renderer);
        args.extend(["--post-renderer-args", "--namespace=streams"]);
        let out = helm(&bin, home.path(), &args);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let out = text(&out.stdout);
        assert!(out.contains("compute.functionmesh.io/namespace: streams"), "{name}: {out}");
        assert!(!out.contains("compute.functionmesh.io/namespace: default"), "{name}: {out}");
    }
}

/// Helm 3 and Helm 4 on one machine: Helm 4 installs plug-ins into the
/// folder both share and Helm 3 cannot read a `postrenderer/v1` manifest, so
/// the README points Helm 4 alone at the plug-in (`HELM_PLUGINS`); Helm 3,
/// with the same homes, then loads nothing it cannot read.
#[test]
fn helm3_and_helm4_side_by_side() {
    let (Some(helm3), Some(helm4)) = (tool("helm3"), tool("helm4")) else { return };
    let home = tempfile::tempdir().unwrap();
    let chart = chart();
    let run = |bin: &Path, plugins: Option<&Path>, args: &[&str]| {
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env("HELM_CONFIG_HOME", home.path().join("config"))
            .env("HELM_DATA_HOME", home.path().join("data"))
            .env("HELM_CACHE_HOME", home.path().join("cache"))
            .env("FMC_BIN", fmc_bin())
            .env_remove("HELM_PLUGINS");
        if let Some(p) = plugins {
            cmd.env("HELM_PLUGINS", p);
        }
        cmd.output().unwrap()
    };
    let four = run(
        &helm4,
        Some(&project_root().join("plugins/helm")),
        &["template", "r", chart.to_str().unwrap(), "--post-renderer", "fmc"],
    );
    assert!(four.status.success(), "{}", text(&four.stderr));
    assert!(text(&four.stdout).contains("kind: StatefulSet"));
    let args =
        ["template", "r", chart.to_str().unwrap(), "--post-renderer", fmc_bin(), "--post-renderer-args", "post-render"];
    let three = run(&helm3, None, &args);
    assert!(three.status.success(), "{}", text(&three.stderr));
    assert!(!text(&three.stderr).contains("failed to load plugin"), "{}", text(&three.stderr));
    assert!(text(&three.stdout).contains("kind: StatefulSet"));
}

/// A native mesh without a namespace, post-rendered by Helm 3 and Helm 4
/// without `--namespace`: every object — the workloads and the cluster
/// ConfigMaps fmc generates — carries no namespace, so Helm puts them all in
/// the release namespace together (a generated ConfigMap in `default` would
/// leave the StatefulSets without their configuration).
#[test]
fn a_mesh_post_rendered_without_namespace_stays_in_one_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: mesh\nversion: 0.1.0\n").unwrap();
    std::fs::write(
        chart.join("templates/mesh.yaml"),
        "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: Mesh\nmetadata: {name: shop}\nspec:\n  clusters:\n    local: {brokerServiceUrl: 'pulsar://b:6650', webServiceUrl: 'http://b:8080'}\n  topics:\n    orders: {external: true}\n  functions:\n    tag: {runtime: native, jq: '.', inputs: [orders]}\n",
    )
    .unwrap();
    let chart = chart.to_str().unwrap();
    let helm3_args = ["--post-renderer", fmc_bin(), "--post-renderer-args", "post-render"];
    let helm4_args = ["--post-renderer", "fmc"];
    let mut ran = 0;
    for (name, renderer) in [("helm3", &helm3_args[..]), ("helm4", &helm4_args[..])] {
        let Some(bin) = tool(name) else { continue };
        ran += 1;
        let home = tempfile::tempdir().unwrap();
        let mut args = vec!["template", "r", chart, "-n", "streams"];
        args.extend_from_slice(renderer);
        let out = helm(&bin, home.path(), &args);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let objects = crate::modes::documents(&text(&out.stdout));
        assert!(objects.iter().any(|o| o["kind"] == "StatefulSet") && objects.iter().any(|o| o["kind"] == "ConfigMap"));
        for o in &objects {
            assert!(
                o["metadata"]["namespace"].is_null(),
                "{name}: {} {} carries a namespace",
                o["kind"],
                o["metadata"]["name"]
            );
        }
    }
    if std::env::var_os("CI").is_some() {
        assert_eq!(ran, 2, "under CI both Helms run");
    }
}

/// A JSON schema file inside a kpt package: kpt reads every `.json` file as
/// a resource ("resource must have apiVersion"); a `.krmignore` line keeps
/// the schemas out of kpt's view while fmc still reads them (README).
#[test]
fn kpt_render_with_a_json_schema_file_kept_out_by_krmignore() {
    let Some(kpt) = tool("kpt") else { return };
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(pkg.join("schemas")).unwrap();
    std::fs::write(
        pkg.join("schemas/event.json"),
        r#"{"type": "record", "name": "Event", "fields": [{"name": "id", "type": "string"}]}"#,
    )
    .unwrap();
    std::fs::write(
        pkg.join("mesh.yaml"),
        "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: Mesh\nmetadata: {name: shop, namespace: streams}\nspec:\n  clusters:\n    local: {brokerServiceUrl: 'pulsar://b:6650', webServiceUrl: 'http://b:8080'}\n  schemas:\n    Event: {type: JSON, file: schemas/event.json}\n  topics:\n    events: {external: true, schema: Event}\n  functions:\n    tag: {runtime: native, jq: '.', inputs: [events]}\n",
    )
    .unwrap();
    let kptfile = format!(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations: {{config.kubernetes.io/local-config: \"true\"}}\npipeline:\n  mutators:\n  - exec: {}\n",
        project_root().join("plugins/kpt/fmc-krm.sh").display()
    );
    std::fs::write(pkg.join("Kptfile"), kptfile).unwrap();
    let render = || {
        Command::new(&kpt)
            .args(["fn", "render", "pkg", "--allow-exec", "-o", "unwrap"])
            .current_dir(dir.path())
            .env("FMC_BIN", fmc_bin())
            .env("FMC_ROOT", &pkg)
            .output()
            .unwrap()
    };
    let refused = render();
    assert!(!refused.status.success(), "kpt reads the .json file as a resource: {}", text(&refused.stdout));
    std::fs::write(pkg.join(".krmignore"), "schemas/\n").unwrap();
    let out = render();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("kind: StatefulSet"), "{}", text(&out.stdout));
}
