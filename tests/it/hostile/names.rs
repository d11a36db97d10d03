//! Values that become object names, namespaces or folders go through the same
//! checks wherever they come from (docs/security.md): `--namespace` and its
//! environment variable, topic segments, policy numbers; and no URL fmc
//! copies carries a password.

use super::{fmc, write};

const FUNCTION: &str = "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec:\n  className: C\n  input: {topics: [persistent://public/default/in]}\n  java: {jar: /pulsar/f.jar}\n  pulsar: {pulsarConfig: pulsar}\n  resources: {requests: {memory: 1G}, limits: {memory: 1G}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: pulsar}\ndata: {webServiceURL: 'http://b:8080', brokerServiceURL: 'pulsar://b:6650'}\n";

/// N3: every bad `--namespace` (flag or FMC_NAMESPACE-style environment, KRM
/// config) is a usage error, and nothing is written.
#[test]
fn a_namespace_option_is_a_namespace_or_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.yaml");
    write(&input, FUNCTION);
    let long = "a".repeat(100);
    for bad in ["x$(id)", "../../etc", "UPPER", "a b", long.as_str(), "kustomization.yaml", ""] {
        let out = dir.path().join("deploy");
        let run = fmc().args(["build", "--namespace", bad]).arg(&input).arg("-o").arg(&out).output().expect("run");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(stderr.contains("is not a namespace"), "{bad:?}: {stderr}");
        assert!(!out.exists(), "{bad:?}: something was written");
    }
    let ok = fmc().args(["build", "--namespace", "team-a"]).arg(&input).output().expect("run");
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    // The same checks for a KRM function's config.
    let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {namespace: '../up'}}\nitems: []\n";
    let out = fmc::gitops::krm::run_krm(list, &fmc::options::BuildOptions::default());
    assert!(out.failed && out.text.contains("is not a namespace"), "{}", out.text);
}

fn mesh(topics: &str, extra: &str) -> String {
    format!(
        "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: Mesh\nmetadata: {{name: m, namespace: streams}}\nspec:\n  clusters:\n    c: {{brokerServiceUrl: 'pulsar://b:6650', webServiceUrl: 'http://b:8080'}}\n  topics:\n    u: {{external: true}}\n{topics}\n  functions:\n    f: {{runtime: native, jq: '.', inputs: [t]}}\n    g: {{runtime: native, jq: '.', inputs: [u], output: t}}\n{extra}"
    )
}

fn compile_provisioned(text: &str) -> fmc::pipeline::CompileOutput {
    let sources = crate::support::sources_from_text("mesh.yaml", text);
    let options = fmc::options::BuildOptions {
        provision: Some(fmc::options::Provisioner::ResourcesOperator),
        ..Default::default()
    };
    fmc::pipeline::compile(&sources, &options)
}

/// N5: tenant, namespace and topic segments are ones Pulsar and Kubernetes
/// accept; a name that would address something else is C009.
#[test]
fn topic_segments_that_address_something_else_are_refused() {
    for topic in [
        "persistent://../ns1/x",
        "persistent://t/../x",
        "persistent://t/ns/..",
        "persistent://t/ns/a\u{0}b",
        "persistent://t$/ns/x",
    ] {
        let text = mesh(&format!("    t: {{topic: \"{}\"}}", topic.replace('\0', "\\0")), "");
        let out = compile_provisioned(&text);
        assert!(out.diagnostics.iter().any(|d| d.code == "C009"), "{topic:?}: {:?}", out.diagnostics);
        assert!(out.manifests.is_empty(), "{topic:?}");
    }
    // Names Pulsar accepts that Kubernetes would not take as they are still
    // give valid object names.
    let out = compile_provisioned(&mesh("    t: {topic: 'persistent://my_tenant/ns.v1/Orders:x=1'}", ""));
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    for m in out.manifests.iter().filter(|m| m.kind.starts_with("Pulsar")) {
        assert!(fmc::names::object_name_problem(&m.name).is_none() && !m.name.contains(".."), "{}", m.name);
        assert!(
            m.name.split('.').all(|l| l.starts_with(|c: char| c.is_ascii_alphanumeric())
                && l.ends_with(|c: char| c.is_ascii_alphanumeric())),
            "{}",
            m.name
        );
    }
}

/// N7: policy numbers the broker refuses are P008.
#[test]
fn policy_numbers_the_broker_refuses_are_p008() {
    let cases = [
        ("    t: {policies: {maxProducers: -5}}", ""),
        ("    t: {policies: {maxUnAckedMessagesPerConsumer: -1}}", ""),
        ("    t: {policies: {compactionThreshold: -1}}", ""),
        ("    t: {}", "  namespaces:\n    public/default: {policies: {bundles: -3}}\n"),
        ("    t: {}", "  namespaces:\n    public/default: {policies: {bundles: 0}}\n"),
        ("    t: {}", "  namespaces:\n    public/default: {policies: {maxConsumersPerTopic: -2}}\n"),
    ];
    for (topics, extra) in cases {
        let out = compile_provisioned(&mesh(topics, extra));
        let found = out.diagnostics.iter().find(|d| d.code == "P008");
        assert!(
            found.is_some_and(|d| d.message.contains("the broker refuses")),
            "{topics} {extra}: {:?}",
            out.diagnostics
        );
        assert!(out.manifests.is_empty());
    }
    let fine = compile_provisioned(&mesh(
        "    t: {policies: {maxProducers: 0}}",
        "  namespaces:\n    public/default: {policies: {bundles: 4}}\n",
    ));
    assert!(!fine.has_errors(), "{:?}", fine.diagnostics);
}

/// N6: a password inside any URL fmc copies is C015, and nothing is rendered.
#[test]
fn urls_with_passwords_are_c015_wherever_fmc_copies_them() {
    let cluster = mesh("    t: {}", "").replace("'pulsar://b:6650'", "'pulsar://admin:PW@b:6650'");
    let web = mesh("    t: {}", "").replace("'http://b:8080'", "'http://admin:PW@b:8080'");
    let package = mesh("    t: {}", "").replace(
        "f: {runtime: native, jq: '.', inputs: [t]}",
        "f: {runtime: native, package: 'https://u:PW@example.com/f.wasm', sha256: '0000000000000000000000000000000000000000000000000000000000000000', inputs: [t]}",
    );
    let jar = FUNCTION.replace("jar: /pulsar/f.jar", "jar: f.jar, jarLocation: 'https://u:PW@repo/f.jar'");
    let connector = FUNCTION.replace("  java:", "  funcConfig: {jdbcUrl: 'jdbc:postgresql://u:PW@db/x'}\n  java:");
    for (what, text) in [
        ("brokerServiceUrl", cluster),
        ("webServiceUrl", web),
        ("package", package),
        ("jarLocation", jar),
        ("config URL", connector),
    ] {
        let sources = crate::support::sources_from_text("in.yaml", &text);
        let out = fmc::pipeline::compile(&sources, &Default::default());
        assert!(out.diagnostics.iter().any(|d| d.code == "C015" && d.is_error()), "{what}: {:?}", out.diagnostics);
        assert!(out.manifests.iter().all(|m| !m.yaml.contains("PW")), "{what}: a rendered object carries the password");
        assert!(out.manifests.is_empty(), "{what}");
    }
}
