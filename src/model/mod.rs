//! Typed input: what the parse stage hands to resolve.
//!
//! Each resource remembers where it came from ([`Origin`]: document index and the
//! path of its spec inside the document) so that any later stage can point a
//! diagnostic at the exact YAML node without keeping spans in the typed structs.

pub mod common;
pub mod connection;
pub mod dsl;
pub mod reference;
pub mod spec;
pub mod streams;

use crate::ast::{Document, PathSeg};
use crate::source::Span;
pub use spec::{ComponentKind, ComponentSpec};
use std::collections::BTreeMap;

pub const FM_API_VERSION: &str = "compute.functionmesh.io/v1alpha1";
pub const FM_GROUP: &str = "compute.functionmesh.io";
pub const FMC_API_VERSION: &str = "fmc.functionmesh.io/v1alpha1";

/// Where a typed value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub doc: usize,
    /// Path from the document root to the spec object (e.g. `spec` or `spec.functions[2]`).
    pub base: Vec<PathSeg>,
}

impl Origin {
    /// Whether the input itself writes the value at `rel` (as opposed to a default).
    pub fn written(&self, docs: &[Document], rel: &[&str]) -> bool {
        docs[self.doc].root.find(&self.path(rel)).is_some()
    }

    /// The span of the value at `rel` (relative to the spec), or its nearest existing ancestor.
    pub fn span(&self, docs: &[Document], rel: &[&str]) -> Span {
        let path = self.path(rel);
        let root = &docs[self.doc].root;
        match (root.find(&path), self.native_path(root, rel)) {
            (None, Some(native)) => root.lookup(&native).span,
            _ => root.lookup(&path).span,
        }
    }

    /// The span of the key at `rel`, falling back to the nearest existing node.
    pub fn key_span(&self, docs: &[Document], rel: &[&str]) -> Span {
        let path = self.path(rel);
        let root = &docs[self.doc].root;
        match (root.find(&path), self.native_path(root, rel)) {
            (None, Some(native)) => root.key_span(&native),
            _ => root.key_span(&path),
        }
    }

    /// For a component of a native mesh (base `spec.<list>.<key>.spec`, the
    /// escape hatch): where the native field that set operator field `rel` is
    /// written, when it exists. Checks written against the operator spec then
    /// point at the line the user wrote.
    fn native_path(&self, root: &crate::ast::Node, rel: &[&str]) -> Option<Vec<PathSeg>> {
        let native_base = match self.base.as_slice() {
            [PathSeg::Key(s), PathSeg::Key(list), PathSeg::Key(_) | PathSeg::Entry(_), PathSeg::Key(hatch)]
                if s == "spec" && hatch == "spec" && matches!(list.as_str(), "functions" | "sources" | "sinks") =>
            {
                &self.base[..3]
            }
            _ => return None,
        };
        let native: Vec<&str> = match rel {
            // The component as a whole: its name.
            [] => Vec::new(),
            ["className", ..] => vec!["className"],
            ["replicas", ..] => vec!["parallelism"],
            ["minReplicas", ..] => vec!["autoscaling", "minParallelism"],
            ["maxReplicas", ..] => vec!["autoscaling", "maxParallelism"],
            ["output", "producerConf", ..] => vec!["producer"],
            ["input", "topics", i, ..] => vec!["inputs", i],
            ["input", ..] => vec!["inputs"],
            ["output", ..] => vec!["output"],
            ["java" | "python" | "golang", "jar" | "py" | "go", ..] => vec!["file"],
            ["java" | "python" | "golang", "jarLocation" | "pyLocation" | "goLocation", ..] => vec!["package"],
            ["python", "log", ..] => vec!["log"],
            ["java" | "python" | "golang", ..] => vec!["runtime"],
            ["secretsMap", name, ..] => vec!["secrets", name],
            ["funcConfig" | "sourceConfig" | "sinkConfig", rest @ ..] => {
                std::iter::once("config").chain(rest.iter().copied()).collect()
            }
            ["subscriptionName", ..] => vec!["subscription", "name"],
            ["subscriptionPosition", ..] => vec!["subscription", "position"],
            ["deadLetterTopic", ..] => vec!["retries", "deadLetterTopic"],
            ["maxMessageRetry", ..] => vec!["retries", "max"],
            ["timeout", ..] => vec!["timeoutMs"],
            ["statefulConfig", ..] => vec!["state"],
            ["windowConfig", ..] => vec!["window"],
            ["pulsar", ..] => vec!["cluster"],
            ["pod", rest @ ..] => std::iter::once("pod").chain(rest.iter().copied()).collect(),
            [field, rest @ ..]
                if matches!(
                    *field,
                    "image"
                        | "resources"
                        | "processingGuarantee"
                        | "logTopic"
                        | "tenant"
                        | "namespace"
                        | "runtimeFlags"
                        | "logTopicAgent"
                        | "skipToLatest"
                        | "autoAck"
                ) =>
            {
                std::iter::once(*field).chain(rest.iter().copied()).collect()
            }
            _ => return None,
        };
        let mut path = native_base.to_vec();
        let mut node = root.lookup(&path);
        for seg in native {
            let next = match (seg.parse::<usize>(), &node.value) {
                (Ok(i), crate::ast::Value::Seq(_)) => PathSeg::Index(i),
                _ => PathSeg::Key(seg.to_string()),
            };
            path.push(next);
            match root.find(&path) {
                Some(n) => node = n,
                None => {
                    path.pop();
                    break;
                }
            }
        }
        Some(path)
    }

    fn path(&self, rel: &[&str]) -> Vec<PathSeg> {
        let mut path = self.base.clone();
        for seg in rel {
            path.push(match seg.parse::<usize>() {
                Ok(i) => PathSeg::Index(i),
                Err(_) => PathSeg::Key((*seg).to_string()),
            });
        }
        path
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// A Function, Source or Sink document.
#[derive(Debug, Clone)]
pub struct ComponentDoc {
    pub kind: ComponentKind,
    pub meta: Meta,
    pub spec: ComponentSpec,
    pub origin: Origin,
    /// Inputs and outputs with schemas, when a native mesh declared them.
    pub io: Option<streams::DeclaredIo>,
    /// The fmc runner's configuration, for the native runtime.
    pub native: Option<NativeRunner>,
    /// What a native mesh asks to be rendered around the workload; operator
    /// resources get theirs from the build options and annotations in resolve.
    pub around: Option<Around>,
    /// What a native mesh's Python function runs on, when it says (`runner:`);
    /// operator resources say it by annotation, read in resolve.
    pub python_runner: Option<crate::options::RunnerChoice>,
    /// The hex SHA-256 a native mesh pins a Python function's code with.
    pub code_sha256: Option<String>,
    /// The schemas a native mesh's function declares to the broker (the
    /// runner's `declaredSchemas`), for a Python function that resolve puts on
    /// fmc's runner; a native function has them in its configuration already.
    pub declared_schemas: Option<serde_json::Value>,
}

/// What fmc renders around a component's workload, each opt-in
/// (`render/around.rs`): a disruption budget, a metrics monitor, and KEDA
/// backlog autoscaling in place of an HPA.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Around {
    /// `maxUnavailable` of the PodDisruptionBudget, when one is asked for
    /// (rendered only when the component can run more than one replica).
    pub disruption_budget: Option<k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
    /// The Prometheus Operator monitor (`Pod` or `Service`), when one is asked for.
    pub monitor: Option<crate::options::MonitorKind>,
    /// KEDA's Pulsar scaler on the component's inputs.
    pub backlog: Option<BacklogTrigger>,
}

/// A KEDA `ScaledObject` with one Pulsar trigger per input topic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BacklogTrigger {
    /// The admin (web service) URL of the component's cluster.
    pub admin_url: String,
    pub msg_backlog_threshold: i64,
    pub activation_msg_backlog_threshold: Option<i64>,
    pub min_replicas: i32,
    pub max_replicas: i32,
    /// Input topic addresses, each with whether it is partitioned.
    pub topics: Vec<(String, bool)>,
    /// The cluster's token, for a `TriggerAuthentication` (`authModes: bearer`).
    pub bearer_token: Option<dsl::SecretKeyRef>,
    /// The cluster's CA certificate, for the same (`ca`: KEDA then verifies the admin URL with it).
    pub ca: Option<dsl::SecretKeyRef>,
}

/// A component run by fmc's own runner (`runtime: native`) instead of a Pulsar
/// Functions instance: the runner's JSON configuration (its whole contract
/// with the compiler, see engine/src/config.rs) and its image.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeRunner {
    pub config: serde_json::Value,
    pub image: Option<String>,
    /// `package: configmap://NAME/KEY`: the ConfigMap the pod mounts the module from.
    pub module_config_map: Option<(String, String)>,
    /// A Python function's code, when an init container puts it in
    /// [`DOWNLOAD_DIR`] for the runner (render/native.rs).
    pub code: Option<RunnerCode>,
}

/// How a Python function's code (or a Go function's binary) reaches fmc's
/// runner, which runs in its own image: downloaded as the operator downloads
/// packages, or copied out of the image the operator would have run (where
/// `python.py` or `golang.go` names it). A pinned `http(s)` URL needs neither:
/// the runner fetches and checks it itself.
#[derive(Debug, Clone, PartialEq)]
pub enum RunnerCode {
    /// The operator's downloader init container fetches `pyLocation`/`goLocation`.
    Download,
    /// An init container of `image` copies `path` out of it.
    Copy { image: String, path: String },
}

/// A Go function started from fmc's runner image instead of the operator's Go
/// runner image (a JRE and every Pulsar jar for one static binary): the
/// runner finds the binary, checks its `sha256` when pinned, and executes it
/// with the instance configuration the operator's command would give it
/// (render/go_launcher.rs; runner/src/launch.rs).
#[derive(Debug, Clone, PartialEq)]
pub struct GoLauncher {
    /// Where the binary is once `code` put it there.
    pub path: Option<String>,
    /// A pinned `http(s)` URL the runner fetches itself (no init container).
    pub url: Option<String>,
    pub sha256: Option<String>,
    /// The CA file the pod mounts for the cluster (`tlsConfig`), which the
    /// runner trusts for `url` too.
    pub tls_trust_certs: Option<String>,
    /// The init container that puts the binary at `path`.
    pub code: Option<RunnerCode>,
}

/// The operator's default Go runner image: where a Go function's binary is
/// when the resource names no `image`.
pub const GO_RUNNER_IMAGE: &str = "streamnative/pulsar-functions-go-runner:2.10.0.0-rc10";

/// The operator's default Python runner image: where a Python function's
/// `python.py` is when the resource names no `image`.
pub const PYTHON_RUNNER_IMAGE: &str = "streamnative/pulsar-functions-python-runner:2.10.0.0-rc10";

/// Where init containers leave a package for the main container (the
/// operator's download volume, mounted at the same path).
pub const DOWNLOAD_DIR: &str = "/pulsar/download";

/// A native `Mesh` document (lowered into components by the `lower` stage).
#[derive(Debug, Clone)]
pub struct DslMeshDoc {
    pub meta: Meta,
    pub spec: dsl::MeshDslSpec,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct MeshDoc {
    pub meta: Meta,
    pub spec: spec::MeshSpec,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct BackendConfigDoc {
    pub meta: Meta,
    pub spec: spec::BackendConfigSpec,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct ClusterProvidedDoc {
    pub meta: Meta,
    pub spec: spec::ClusterProvidedSpec,
    pub origin: Origin,
}

/// A plain Kubernetes object fmc emits as it is: any input document of
/// another kind (copied), or one lowering generated (a cluster's ConfigMap).
#[derive(Debug, Clone)]
pub struct PassthroughDoc {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub value: serde_json::Value,
    pub origin: Origin,
    /// Whether `value` is the input document itself or made from it.
    pub made: Made,
}

/// How an object came to be, said by its type: the plug-in modes copy an
/// input document's text only when everything it produced is that document
/// itself, and otherwise emit what it was compiled to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    /// The input document itself, passed through.
    Copied,
    /// Generated by fmc from the input document.
    Generated,
}

/// Where an emitted object comes from: how it was made, from which input document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    pub made: Made,
    /// Index of the input document.
    pub doc: usize,
}

impl Provenance {
    pub fn copied(doc: usize) -> Provenance {
        Provenance { made: Made::Copied, doc }
    }

    pub fn generated(doc: usize) -> Provenance {
        Provenance { made: Made::Generated, doc }
    }

    pub fn is_generated(self) -> bool {
        self.made == Made::Generated
    }
}

/// Components are boxed: a spec is over 4 KiB, and resolve holds the input
/// list and the component list at once (10,000 unboxed specs cost 45 MB more).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant, reason = "the remaining variants are one per document and small in number")]
pub enum Resource {
    Component(Box<ComponentDoc>),
    Mesh(MeshDoc),
    DslMesh(DslMeshDoc),
    BackendConfig(BackendConfigDoc),
    ClusterProvided(ClusterProvidedDoc),
    Passthrough(PassthroughDoc),
}

/// The parse stage's output: the spanned documents and the typed resources.
#[derive(Debug, Default)]
pub struct Input {
    pub documents: Vec<Document>,
    pub resources: Vec<Resource>,
}

/// Where a native component's module is mounted from a `configmap://NAME/KEY`
/// package: lower writes it into the runner's configuration, render mounts it.
pub const PACKAGE_DIR: &str = "/etc/fmc/package";

/// The label a generated cluster ConfigMap carries: the mesh's name for the
/// cluster (lower sets it, resolve reads it back to name the cluster).
pub const CLUSTER_LABEL: &str = "fmc.functionmesh.io/cluster";

/// The native runner's state folder (its crash journal), on an `emptyDir`
/// that survives container restarts: lower names it in the runner's
/// configuration, render mounts the volume there.
pub const RUNNER_STATE_DIR: &str = "/var/lib/fmc-runner";

/// A package location the Pulsar packages API serves (`function://`,
/// `sink://`, `source://`): check validates it, render downloads it.
pub fn is_package_url(location: &str) -> bool {
    ["function://", "sink://", "source://"].iter().any(|p| location.starts_with(p))
}

/// A package location fetched over HTTP(S).
pub fn is_http_url(location: &str) -> bool {
    location.starts_with("http://") || location.starts_with("https://")
}
