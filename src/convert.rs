//! `fmc convert`: operator resources → the native mesh DSL, for migration.
//!
//! Functions, Sources, Sinks and FunctionMesh members become components of one
//! `Mesh` per Kubernetes namespace. What the DSL says natively is lifted out of
//! the operator spec (every field that has a native counterpart: docs/dsl.md
//! lists them, with topics declared and `pulsarConfig` ConfigMaps as clusters);
//! everything else stays, unchanged, in the component's `spec` escape hatch,
//! so building the converted mesh renders exactly the manifests the original
//! renders (a test checks this over the whole corpus).
//! Topics not both written and read inside the input are marked `external`.
//! Every other document (ConfigMaps, Secrets, BackendConfigs, native meshes,
//! unmanaged resources) is copied byte for byte.

use crate::diagnostics::Diagnostics;
use crate::model::*;
use crate::source::SourceMap;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// One component to write, before topics are named.
struct Member {
    key: String,
    kind: ComponentKind,
    meta: Meta,
    spec: ComponentSpec,
}

/// Converts every file of `sources`; `Err` carries the parse diagnostics.
pub fn convert(sources: &SourceMap) -> Result<String, Diagnostics> {
    let (input, diags) = crate::parse::parse(sources);
    if diags.has_errors() {
        return Err(diags);
    }
    let mut by_namespace: BTreeMap<Option<String>, Vec<Member>> = BTreeMap::new();
    let mut verbatim = Vec::new();
    for res in input.resources {
        match res {
            Resource::Component(c) if !unmanaged(&c.meta) => {
                let member = Member { key: c.meta.name.clone(), kind: c.kind, meta: c.meta.clone(), spec: c.spec };
                by_namespace.entry(c.meta.namespace.clone()).or_default().push(member);
            }
            Resource::Mesh(m) if !unmanaged(&m.meta) => {
                for (kind, list) in [
                    (ComponentKind::Function, &m.spec.functions),
                    (ComponentKind::Source, &m.spec.sources),
                    (ComponentKind::Sink, &m.spec.sinks),
                ] {
                    for spec in list.iter().flatten() {
                        let key = format!("{}-{}", m.meta.name, spec.name.clone().unwrap_or_default());
                        let meta = Meta { name: key.clone(), namespace: m.meta.namespace.clone(), ..Meta::default() };
                        by_namespace.entry(m.meta.namespace.clone()).or_default().push(Member {
                            key,
                            kind,
                            meta,
                            spec: spec.clone(),
                        });
                    }
                }
            }
            other => verbatim.push(doc_index(&other)),
        }
    }
    let mut out = String::new();
    let all: Vec<&Member> = by_namespace.values().flatten().collect();
    let topics = TopicNames::new(&all);
    for (ns, members) in &by_namespace {
        out.push_str("---\n");
        out.push_str(&crate::emit::yaml::to_yaml(&mesh_document(ns.as_deref(), members, &topics)));
    }
    for doc in verbatim {
        let d = &input.documents[doc];
        let text = &sources.get(d.file).text;
        out.push_str("---\n");
        out.push_str(&text[d.root.span.start as usize..d.root.span.end as usize]);
        out.push('\n');
    }
    Ok(out)
}

fn unmanaged(meta: &Meta) -> bool {
    meta.annotations.get(crate::resolve::MANAGED_ANNOTATION).map(String::as_str) == Some("false")
}

fn doc_index(res: &Resource) -> usize {
    match res {
        Resource::Component(c) => c.origin.doc,
        Resource::Mesh(m) => m.origin.doc,
        Resource::DslMesh(m) => m.origin.doc,
        Resource::BackendConfig(b) => b.origin.doc,
        Resource::ClusterProvided(c) => c.origin.doc,
        Resource::Passthrough(p) => p.origin.doc,
    }
}

/// Logical names for topic addresses: the last path segment, made unique.
struct TopicNames {
    names: BTreeMap<String, String>,
    written: BTreeSet<String>,
    read: BTreeSet<String>,
}

impl TopicNames {
    fn new(members: &[&Member]) -> Self {
        let mut t = TopicNames { names: BTreeMap::new(), written: BTreeSet::new(), read: BTreeSet::new() };
        for m in members {
            for topic in lifted_inputs(m).into_iter().flatten() {
                t.read.insert(topic.clone());
                t.name(&topic);
            }
            if let Some(topic) = lifted_output(m) {
                t.written.insert(topic.clone());
                t.name(&topic);
            }
            for topic in lifted_dead_letter(m).into_iter().chain(m.spec.log_topic.clone()) {
                t.written.insert(topic.clone());
                t.name(&topic);
            }
        }
        t
    }

    fn name(&mut self, address: &str) {
        if self.names.contains_key(address) {
            return;
        }
        let base = address.rsplit('/').next().filter(|s| !s.is_empty()).unwrap_or("topic").to_string();
        let taken: BTreeSet<&String> = self.names.values().collect();
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        self.names.insert(address.to_string(), name);
    }
}

/// The input topics the DSL can say natively (a plain list without repeats).
fn lifted_inputs(m: &Member) -> Option<Vec<String>> {
    if m.kind == ComponentKind::Source {
        return None;
    }
    let topics = m.spec.input.as_ref()?.topics.clone()?;
    let unique: BTreeSet<&String> = topics.iter().collect();
    (!topics.is_empty() && unique.len() == topics.len()).then_some(topics)
}

/// The dead-letter topic, when the DSL can say it (`retries` needs its `max`).
fn lifted_dead_letter(m: &Member) -> Option<String> {
    m.spec.max_message_retry?;
    m.spec.dead_letter_topic.clone().filter(|t| !t.is_empty() && m.kind != ComponentKind::Source)
}

fn lifted_output(m: &Member) -> Option<String> {
    if m.kind == ComponentKind::Sink {
        return None;
    }
    m.spec.output.as_ref()?.topic.clone().filter(|t| !t.is_empty())
}

/// What every member on one cluster says alike, and the cluster's declaration
/// can therefore say once: the Pulsar name, TLS, OAuth2 (each only when
/// lowering gives back exactly the operator's block).
struct ClusterLift {
    pulsar_name: Option<String>,
    tls: Option<crate::model::common::TlsConfig>,
    oauth2: Option<crate::model::common::OAuth2Config>,
}

impl ClusterLift {
    fn of(members: &[&Member]) -> ClusterLift {
        fn same<T: Clone + PartialEq>(members: &[&Member], f: impl Fn(&Member) -> Option<T>) -> Option<T> {
            let first = f(members.first()?)?;
            members.iter().all(|m| f(m).as_ref() == Some(&first)).then_some(first)
        }
        let pulsar = |m: &Member| m.spec.pulsar.clone().unwrap_or_default();
        // Lowering writes `enabled` (default true) and both CA fields or neither.
        let tls = same(members, |m| pulsar(m).tls_config)
            .filter(|t| t.enabled.is_some() && t.cert_secret_name.is_some() == t.cert_secret_key.is_some());
        let only_oauth2 = |a: crate::model::common::AuthConfig| {
            let o = a.oauth2_config.clone()?;
            (a == crate::model::common::AuthConfig { oauth2_config: Some(o.clone()), ..Default::default() })
                .then_some(o)
        };
        ClusterLift {
            pulsar_name: same(members, |m| m.spec.cluster_name.clone()),
            tls,
            oauth2: same(members, |m| pulsar(m).auth_config.and_then(only_oauth2)),
        }
    }

    fn declaration(&self, config_map: &str) -> Value {
        let mut decl = Map::new();
        decl.insert("pulsarConfig".into(), config_map.into());
        lift(&mut decl, "clusterName", self.pulsar_name.clone());
        if let Some(t) = &self.tls {
            let mut tls = Map::new();
            lift(&mut tls, "enabled", t.enabled);
            lift(&mut tls, "allowInsecure", t.allow_insecure);
            lift(&mut tls, "hostnameVerification", t.hostname_verification);
            if let (Some(secret), Some(key)) = (&t.cert_secret_name, &t.cert_secret_key) {
                tls.insert("caCert".into(), json!({"secret": secret, "key": key}));
            }
            decl.insert("tls".into(), Value::Object(tls));
        }
        if let Some(o) = &self.oauth2 {
            let mut oauth2 = json!({
                "issuerUrl": o.issuer_url,
                "audience": o.audience,
                "privateKey": {"secret": o.key_secret_name, "key": o.key_secret_key},
            });
            if let Some(scope) = &o.scope {
                oauth2["scope"] = scope.clone().into();
            }
            decl.insert("auth".into(), json!({"oauth2": oauth2}));
        }
        Value::Object(decl)
    }
}

fn mesh_document(namespace: Option<&str>, members: &[Member], topics: &TopicNames) -> Value {
    let mut used = BTreeSet::new();
    // `pulsarConfig` ConfigMaps become clusters, but only when every member
    // names one: a mesh's only cluster is also given to members that name none.
    let cluster_of =
        |m: &Member| m.spec.pulsar.as_ref().and_then(|p| p.pulsar_config.clone()).filter(|c| !c.is_empty());
    let lift_clusters = members.iter().all(|m| cluster_of(m).is_some());
    let clusters: BTreeSet<String> =
        if lift_clusters { members.iter().filter_map(cluster_of).collect() } else { BTreeSet::new() };
    let named: BTreeMap<String, ClusterLift> = clusters
        .iter()
        .map(|c| {
            let on: Vec<&Member> = members.iter().filter(|m| cluster_of(m).as_ref() == Some(c)).collect();
            (c.clone(), ClusterLift::of(&on))
        })
        .collect();
    let mut lists: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for m in members {
        let list = match m.kind {
            ComponentKind::Function => "functions",
            ComponentKind::Source => "sources",
            ComponentKind::Sink => "sinks",
        };
        let decl = component(m, topics, &mut used, lift_clusters, &named);
        lists.entry(list).or_default().insert(m.key.clone(), decl);
    }
    let mut topic_decls = Map::new();
    for address in used {
        let mut t = Map::new();
        t.insert("topic".into(), address.clone().into());
        if !(topics.written.contains(&address) && topics.read.contains(&address)) {
            t.insert("external".into(), true.into());
        }
        topic_decls.insert(topics.names[&address].clone(), Value::Object(t));
    }
    let mut spec = Map::new();
    if !named.is_empty() {
        let decls: Map<String, Value> = named.iter().map(|(c, lift)| (c.clone(), lift.declaration(c))).collect();
        spec.insert("clusters".into(), Value::Object(decls));
    }
    if !topic_decls.is_empty() {
        spec.insert("topics".into(), Value::Object(topic_decls));
    }
    for (list, decls) in lists {
        spec.insert(list.into(), Value::Object(decls));
    }
    let name = match namespace {
        Some(ns) => format!("converted-{ns}"),
        None => "converted".to_string(),
    };
    let mut meta = Map::new();
    meta.insert("name".into(), crate::names::shorten(&name, 63).into());
    if let Some(ns) = namespace {
        meta.insert("namespace".into(), ns.into());
    }
    json!({"apiVersion": FMC_API_VERSION, "kind": "Mesh", "metadata": meta, "spec": spec})
}

fn component(
    m: &Member,
    topics: &TopicNames,
    used: &mut BTreeSet<String>,
    lift_cluster: bool,
    clusters: &BTreeMap<String, ClusterLift>,
) -> Value {
    let mut decl = Map::new();
    let mut hatch = m.spec.clone();
    lift_fields(m.kind, &mut hatch, &mut decl);
    if lift_cluster {
        let pulsar = hatch.pulsar.as_mut().expect("invariant: every member names a cluster");
        let cluster = pulsar.pulsar_config.take().unwrap_or_default();
        if let Some(lift) = clusters.get(&cluster) {
            if lift.pulsar_name.is_some() {
                hatch.cluster_name = None;
            }
            if lift.tls.is_some() {
                pulsar.tls_config = None;
            }
            if lift.oauth2.is_some() {
                pulsar.auth_config = None;
            }
        }
        decl.insert("cluster".into(), cluster.into());
        if *pulsar == Default::default() {
            hatch.pulsar = None;
        }
    }
    if let Some(dlq) = lifted_dead_letter(m) {
        let max = hatch.max_message_retry.take();
        hatch.dead_letter_topic = None;
        decl.insert("retries".into(), json!({"max": max, "deadLetterTopic": topics.names[&dlq]}));
        used.insert(dlq);
    }
    if let Some(log) = hatch.log_topic.take().filter(|t| !t.is_empty()) {
        decl.insert("logTopic".into(), topics.names[&log].clone().into());
        used.insert(log);
    }
    lift_runtime(&mut hatch, &mut decl);
    // A container emptied by lifting would read back as set-but-empty: it is dropped.
    if let Some(inputs) = lifted_inputs(m) {
        let input = hatch.input.as_mut().expect("invariant: lifted inputs exist");
        input.topics = None;
        if *input == Default::default() {
            hatch.input = None;
        }
        let names: Vec<Value> = inputs.iter().map(|t| topics.names[t].clone().into()).collect();
        used.extend(inputs);
        decl.insert("inputs".into(), names.into());
    }
    if let Some(output) = lifted_output(m) {
        let out = hatch.output.as_mut().expect("invariant: lifted output exists");
        out.topic = None;
        if *out == Default::default() {
            hatch.output = None;
        }
        decl.insert("output".into(), topics.names[&output].clone().into());
        used.insert(output);
    }
    if !m.meta.labels.is_empty() {
        decl.insert("labels".into(), json!(m.meta.labels));
    }
    if !m.meta.annotations.is_empty() {
        decl.insert("annotations".into(), json!(m.meta.annotations));
    }
    let rest = serde_json::to_value(&hatch).expect("invariant: specs serialize");
    if rest.as_object().is_some_and(|o| !o.is_empty()) {
        decl.insert("spec".into(), rest);
    }
    Value::Object(decl)
}

/// Moves `value` (when set) to the native field `key`.
fn lift<T: serde::Serialize>(decl: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        decl.insert(key.into(), serde_json::to_value(v).expect("invariant: specs serialize"));
    }
}

/// Every field with a native counterpart but topics, the cluster and the
/// runtime block (docs/dsl.md, "What the DSL covers").
fn lift_fields(kind: ComponentKind, hatch: &mut ComponentSpec, decl: &mut Map<String, Value>) {
    lift(decl, "name", hatch.name.take());
    lift(decl, "className", hatch.class_name.take());
    lift(decl, "parallelism", hatch.replicas.take());
    lift(decl, "image", hatch.image.take());
    lift(decl, "tenant", hatch.tenant.take());
    lift(decl, "namespace", hatch.namespace.take());
    lift(decl, "resources", hatch.resources.take());
    lift(decl, "processingGuarantee", hatch.processing_guarantee.take());
    lift(decl, "timeoutMs", hatch.timeout.take());
    lift(decl, "volumeMounts", hatch.volume_mounts.take());
    lift(decl, "imagePullPolicy", hatch.image_pull_policy.take());
    lift(decl, "autoAck", hatch.auto_ack.take());
    lift(decl, "maxPendingAsyncRequests", hatch.max_pending_async_requests.take());
    lift(decl, "forwardSourceMessageProperty", hatch.forward_source_message_property.take());
    lift(decl, "negativeAckRedeliveryDelayMs", hatch.negative_ack_redelivery_delay_ms.take());
    lift(decl, "skipToLatest", hatch.skip_to_latest.take());
    lift(decl, "runtimeFlags", hatch.runtime_flags.take());
    lift(decl, "logTopicAgent", hatch.log_topic_agent.take());
    lift(decl, "window", hatch.window_config.take());
    lift(decl, "state", hatch.stateful_config.take());
    lift(decl, "pod", hatch.pod.take());
    // Lowering sets `minReplicas` from `parallelism` when `minParallelism` is
    // absent, so the operator's default (1, from the CRD) is written out.
    if let Some(max) = hatch.max_replicas.take() {
        let min = hatch.min_replicas.take().unwrap_or(1);
        decl.insert("autoscaling".into(), json!({"minParallelism": min, "maxParallelism": max}));
    }
    if hatch.secrets_map.as_ref().is_some_and(|m| m.values().all(|s| s.key.is_some())) {
        let secrets: BTreeMap<String, Value> = hatch
            .secrets_map
            .take()
            .into_iter()
            .flatten()
            .map(|(env, s)| (env, json!({"secret": s.path, "key": s.key})))
            .collect();
        decl.insert("secrets".into(), json!(secrets));
    }
    let config = match kind {
        ComponentKind::Function => &mut hatch.func_config,
        ComponentKind::Source => &mut hatch.source_config,
        ComponentKind::Sink => &mut hatch.sink_config,
    };
    lift(decl, "config", config.take());
    if kind != ComponentKind::Sink
        && let Some(out) = hatch.output.as_mut()
    {
        lift(decl, "producer", out.producer_conf.take());
    }
    if kind != ComponentKind::Source {
        lift_subscription(hatch, decl);
    }
}

/// `subscriptionName`, `subscriptionPosition`, `cleanupSubscription` and the
/// retain flags (a subscription type) → `subscription`.
fn lift_subscription(hatch: &mut ComponentSpec, decl: &mut Map<String, Value>) {
    let mut sub = Map::new();
    lift(&mut sub, "name", hatch.subscription_name.take());
    lift(&mut sub, "position", hatch.subscription_position.take());
    lift(&mut sub, "cleanup", hatch.cleanup_subscription.take());
    match (hatch.retain_ordering, hatch.retain_key_ordering) {
        (Some(true), None) => {
            hatch.retain_ordering = None;
            sub.insert("type".into(), "failover".into());
        }
        (None, Some(true)) => {
            hatch.retain_key_ordering = None;
            sub.insert("type".into(), "key_shared".into());
        }
        _ => {}
    }
    if !sub.is_empty() {
        decl.insert("subscription".into(), Value::Object(sub));
    }
}

/// `java.jar`/`jarLocation` (and the Python and Go forms) → `runtime`, `file`,
/// `package`; then the block's `log` (and Java's `javaOpts`) → `log`, `javaOpts`,
/// which lowering puts back into the block it makes.
fn lift_runtime(hatch: &mut ComponentSpec, decl: &mut Map<String, Value>) {
    let present = [hatch.java.is_some(), hatch.python.is_some(), hatch.golang.is_some()];
    if present.iter().filter(|p| **p).count() != 1 {
        return;
    }
    let (runtime, file, package, log) = if let Some(j) = hatch.java.as_mut().filter(|j| !j.jar.is_empty()) {
        lift(decl, "javaOpts", j.java_opts.take());
        lift(decl, "extraDependenciesDir", j.extra_dependencies_dir.take());
        ("java", std::mem::take(&mut j.jar), j.jar_location.take(), j.log.take())
    } else if let Some(p) = hatch.python.as_mut().filter(|p| !p.py.is_empty()) {
        ("python", std::mem::take(&mut p.py), p.py_location.take(), p.log.take())
    } else if let Some(g) = hatch.golang.as_mut().filter(|g| !g.go.is_empty()) {
        ("go", std::mem::take(&mut g.go), g.go_location.take(), g.log.take())
    } else {
        return;
    };
    lift(decl, "log", log);
    // A block left with nothing but the lifted fields is recreated by lowering.
    if hatch.java.as_ref() == Some(&Default::default()) {
        hatch.java = None;
    }
    if hatch.python.as_ref() == Some(&Default::default()) {
        hatch.python = None;
    }
    if hatch.golang.as_ref() == Some(&Default::default()) {
        hatch.golang = None;
    }
    decl.insert("runtime".into(), runtime.into());
    decl.insert("file".into(), file.into());
    if let Some(p) = package {
        decl.insert("package".into(), p.into());
    }
}
