//! Functions, sources and sinks of a mesh → `ComponentDoc`s with declared I/O.
//!
//! The component's `spec` escape hatch is the starting point; every native field
//! then sets the operator field it stands for (native wins). Topic references
//! become addresses, schemas become the ports' [`SchemaInfo`], the cluster
//! becomes the `pulsar` block. Codes: R005, R006, R007, R013, P007, P008, P011.

use super::clusters::ClusterUse;
use super::diagnostics as diag;
use super::schemas::SchemaTable;
use super::{Lowered, MeshCtx, schema_ref};
use crate::model::common::{BuiltinHpaRule, GoRuntime, JavaRuntime, PythonRuntime, SecretRef};
use crate::model::dsl::{ComponentDecl, Runtime, SubscriptionType, TopicRef};
use crate::model::streams::{DeclaredIo, Port, PortRole, TopicFacts};
use crate::model::*;
use crate::types::{Kind, Schema, SchemaInfo};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What every component of one mesh refers to.
struct Scope<'s> {
    schemas: &'s SchemaTable,
    topics: &'s BTreeMap<String, TopicFacts>,
    clusters: &'s BTreeMap<String, ClusterUse>,
    /// Addresses of the partitioned topics (KEDA's `isPartitionedTopic`).
    partitioned: std::collections::BTreeSet<String>,
    /// The declared topics by address (ports name topics by address).
    by_address: BTreeMap<&'s str, &'s TopicFacts>,
}

pub fn lower(
    ctx: &mut MeshCtx,
    schemas: &SchemaTable,
    topics: &BTreeMap<String, TopicFacts>,
    clusters: &BTreeMap<String, ClusterUse>,
    out: &mut Lowered,
) {
    let partitioned = topics.values().filter(|t| t.partitions.unwrap_or(0) > 0).map(|t| t.address.clone()).collect();
    let by_address = topics.values().map(|t| (t.address.as_str(), t)).collect();
    let scope = Scope { schemas, topics, clusters, partitioned, by_address };
    // Lowering is the last use of the declarations: move them out.
    let lists = [
        ("functions", ComponentKind::Function, ctx.spec.functions.take()),
        ("sources", ComponentKind::Source, ctx.spec.sources.take()),
        ("sinks", ComponentKind::Sink, ctx.spec.sinks.take()),
    ];
    for (list, kind, members) in lists {
        for (key, decl) in members.unwrap_or_default() {
            if let Some(doc) = component(ctx, &scope, list, kind, &key, decl) {
                out.resources.push(Resource::Component(Box::new(doc)));
            }
        }
    }
}

fn component(
    ctx: &mut MeshCtx,
    scope: &Scope,
    list: &str,
    kind: ComponentKind,
    key: &str,
    mut decl: ComponentDecl,
) -> Option<ComponentDoc> {
    let at = |rel: &[&str]| -> Vec<String> { [list, key].iter().chain(rel.iter()).map(|s| (*s).to_string()).collect() };
    let path = |rel: &[&str]| at(rel);
    if let Some(problem) = crate::names::workload_name_problem(key) {
        let span = ctx.key_span(&[list, key]);
        let what = format!("component key `{key}` (it names the component's objects)");
        ctx.diags.push(crate::parse::diagnostics::invalid_name(span, &what, &problem));
        return None;
    }
    let errors_before = ctx.diags.len();
    let decl = &mut decl;
    foreign_fields(ctx, kind, list, key, decl);
    let defaults = ctx.defaults();
    let mut spec = decl.spec.take().unwrap_or_default();
    set(&mut spec.name, &decl.name);
    set(&mut spec.class_name, &decl.class_name);
    set(&mut spec.tenant, &decl.tenant.clone().or(defaults.tenant.clone()));
    set(&mut spec.namespace, &decl.namespace.clone().or(defaults.namespace.clone()));
    set(&mut spec.image, &decl.image.clone().or(defaults.image.clone()));
    set(&mut spec.replicas, &decl.parallelism.or(defaults.parallelism));
    set(&mut spec.resources, &decl.resources.clone().or(defaults.resources.clone()));
    set(&mut spec.processing_guarantee, &decl.processing_guarantee.or(defaults.processing_guarantee));
    set(&mut spec.timeout, &decl.timeout_ms);
    if decl.pod.is_some() {
        spec.pod = decl.pod.clone();
    }
    same_name_fields(decl, &mut spec);
    runtime(ctx, kind, decl, &mut spec, &path(&["runtime"]));
    runtime_options(decl, &mut spec);
    let cluster = cluster(ctx, scope, decl, &defaults, &mut spec, &path(&["cluster"]));
    let backlog = decl.autoscaling.as_ref().is_some_and(|a| a.backlog.is_some());
    if !backlog {
        autoscaling(ctx, decl, &mut spec, &path(&["autoscaling"]));
    }
    secrets(decl, &mut spec);
    config(kind, decl, &mut spec);
    if kind != ComponentKind::Source {
        let sub = decl.subscription.clone().unwrap_or_default();
        set(&mut spec.subscription_name, &sub.name);
        set(&mut spec.subscription_position, &sub.position.or(defaults.subscription_position));
        set(&mut spec.cleanup_subscription, &sub.cleanup);
        // The operator has no subscription type: it derives one from these flags.
        match sub.kind {
            Some(SubscriptionType::Failover) => spec.retain_ordering = Some(true),
            Some(SubscriptionType::KeyShared) => spec.retain_key_ordering = Some(true),
            Some(SubscriptionType::Shared) | None => {}
        }
    }
    let io = DeclaredIo { cluster, ..ports(ctx, scope, kind, decl, &mut spec, list, key) };
    let native =
        (decl.runtime == Some(Runtime::Native)).then(|| native_runner(ctx, scope, kind, key, decl, &spec, &io, list));
    let around = super::around::around(ctx, decl, &spec, &io, &scope.partitioned, kind, [list, key]);
    refuse_foreign_fields(ctx, decl, key, list, native.is_some());
    if ctx.diags.iter().skip(errors_before).any(|d| d.is_error()) {
        return None;
    }
    let meta = Meta {
        name: key.to_string(),
        namespace: ctx.meta.namespace.clone(),
        labels: decl.labels.clone().unwrap_or_default(),
        annotations: decl.annotations.clone().unwrap_or_default(),
    };
    let origin = ctx.component_origin(list, key);
    let (python_runner, code_sha256) = (decl.runner, decl.sha256.clone().filter(|_| native.is_none()));
    let declared_schemas = if native.is_none() { declared_schemas(ctx, &io) } else { None };
    let around = Some(around);
    Some(ComponentDoc {
        kind,
        meta,
        spec,
        origin,
        io: Some(io),
        native,
        around,
        python_runner,
        code_sha256,
        declared_schemas,
    })
}

/// Native fields with the operator's own names and types.
fn same_name_fields(decl: &ComponentDecl, spec: &mut ComponentSpec) {
    set(&mut spec.volume_mounts, &decl.volume_mounts);
    set(&mut spec.image_pull_policy, &decl.image_pull_policy);
    set(&mut spec.auto_ack, &decl.auto_ack);
    set(&mut spec.max_pending_async_requests, &decl.max_pending_async_requests);
    set(&mut spec.forward_source_message_property, &decl.forward_source_message_property);
    set(&mut spec.negative_ack_redelivery_delay_ms, &decl.negative_ack_redelivery_delay_ms);
    set(&mut spec.skip_to_latest, &decl.skip_to_latest);
    set(&mut spec.runtime_flags, &decl.runtime_flags);
    set(&mut spec.log_topic_agent, &decl.log_topic_agent);
    set(&mut spec.window_config, &decl.window);
    set(&mut spec.stateful_config, &decl.state);
    if decl.producer.is_some() {
        set(&mut spec.output.get_or_insert_with(Default::default).producer_conf, &decl.producer);
    }
}

/// `log` and `javaOpts` go into the runtime block `runtime` made.
fn runtime_options(decl: &ComponentDecl, spec: &mut ComponentSpec) {
    if decl.log.is_some() {
        let slot = match (&mut spec.java, &mut spec.python, &mut spec.golang) {
            (Some(j), _, _) => &mut j.log,
            (_, Some(p), _) => &mut p.log,
            (_, _, Some(g)) => &mut g.log,
            _ => return,
        };
        set(slot, &decl.log);
    }
    if let Some(j) = spec.java.as_mut() {
        set(&mut j.java_opts, &decl.java_opts);
        set(&mut j.extra_dependencies_dir, &decl.extra_dependencies_dir);
    }
}

/// Sets `slot` when `value` is given (native fields win over the escape hatch).
fn set<T: Clone>(slot: &mut Option<T>, value: &Option<T>) {
    if value.is_some() {
        slot.clone_from(value);
    }
}

fn foreign_fields(ctx: &mut MeshCtx, kind: ComponentKind, list: &str, key: &str, decl: &ComponentDecl) {
    let foreign: &[(&str, bool)] = match kind {
        ComponentKind::Source => &[
            ("inputs", decl.inputs.is_some()),
            ("subscription", decl.subscription.is_some()),
            ("retries", decl.retries.is_some()),
            ("timeoutMs", decl.timeout_ms.is_some()),
        ],
        ComponentKind::Sink => &[("output", decl.output.is_some()), ("producer", decl.producer.is_some())],
        ComponentKind::Function => &[],
    };
    for (field, present) in foreign {
        if *present {
            let span = ctx.key_span(&[list, key, field]);
            ctx.diags.push(crate::parse::diagnostics::foreign_field(span, field, kind.kind()));
        }
    }
}

fn runtime(ctx: &mut MeshCtx, kind: ComponentKind, decl: &ComponentDecl, spec: &mut ComponentSpec, path: &[String]) {
    let (file, package) = (decl.file.clone(), decl.package.clone());
    // Connectors run on the Java runtime: it is the default for sources and sinks.
    let connector = kind != ComponentKind::Function && (file.is_some() || package.is_some());
    let runtime = decl.runtime.or(connector.then_some(Runtime::Java));
    match runtime {
        Some(Runtime::Java) => {
            let java = spec.java.get_or_insert_with(JavaRuntime::default);
            if let Some(f) = file {
                java.jar = f;
            }
            set(&mut java.jar_location, &package);
        }
        Some(Runtime::Python) => {
            let py = spec.python.get_or_insert_with(PythonRuntime::default);
            if let Some(f) = file {
                py.py = f;
            }
            set(&mut py.py_location, &package);
        }
        Some(Runtime::Go) => {
            let go = spec.golang.get_or_insert_with(GoRuntime::default);
            if let Some(f) = file {
                go.go = f;
            }
            set(&mut go.go_location, &package);
        }
        // fmc's runner: configured after the ports are known (see `native_runner`).
        Some(Runtime::Native) => {}
        None if file.is_some() || package.is_some() => {
            let p: Vec<&str> = path[..2].iter().map(String::as_str).collect();
            let span = ctx.key_span(&p);
            ctx.diags.push(crate::parse::diagnostics::missing_field(span, "runtime", &p.join(".")));
        }
        None => {}
    }
}

fn cluster(
    ctx: &mut MeshCtx,
    scope: &Scope,
    decl: &ComponentDecl,
    defaults: &crate::model::dsl::Defaults,
    spec: &mut ComponentSpec,
    path: &[String],
) -> Option<String> {
    let only = (scope.clusters.len() == 1 && ctx.spec.clusters.as_ref().is_some_and(|c| c.len() == 1))
        .then(|| scope.clusters.keys().next().cloned())
        .flatten();
    let (name, from_defaults) = match (&decl.cluster, &defaults.cluster) {
        (Some(c), _) => (c.clone(), false),
        (None, Some(c)) => (c.clone(), true),
        (None, None) => (only?, false),
    };
    let Some(use_) = scope.clusters.get(&name) else {
        let declared = ctx.spec.clusters.clone().unwrap_or_default();
        if !declared.contains_key(&name) {
            let span = if from_defaults {
                ctx.span(&["defaults", "cluster"])
            } else {
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                ctx.span(&p)
            };
            let close = ctx.closest(&name, declared.keys(), &["clusters"]);
            ctx.diags.push(diag::unknown("R007", "cluster", span, &name, close, "clusters"));
        }
        return None;
    };
    set(&mut spec.cluster_name, &use_.cluster_name);
    let pulsar = spec.pulsar.get_or_insert_with(Default::default);
    set(&mut pulsar.pulsar_config, &use_.pulsar.pulsar_config);
    set(&mut pulsar.tls_config, &use_.pulsar.tls_config);
    set(&mut pulsar.auth_config, &use_.pulsar.auth_config);
    if !use_.volumes.is_empty() {
        let pod = spec.pod.get_or_insert_with(Default::default);
        pod.volumes.get_or_insert_with(Vec::new).extend(use_.volumes.iter().cloned());
        spec.volume_mounts.get_or_insert_with(Vec::new).extend(use_.mounts.iter().cloned());
    }
    Some(name)
}

fn autoscaling(ctx: &mut MeshCtx, decl: &ComponentDecl, spec: &mut ComponentSpec, path: &[String]) {
    let Some(a) = &decl.autoscaling else { return };
    spec.max_replicas = Some(a.max_parallelism);
    set(&mut spec.min_replicas, &a.min_parallelism.or(spec.replicas));
    let mut rules = Vec::new();
    for (field, percent, rule) in [("cpuPercent", a.cpu_percent, true), ("memoryPercent", a.memory_percent, false)] {
        let Some(p) = percent else { continue };
        let r = match (rule, p) {
            (true, 80) => BuiltinHpaRule::AverageUtilizationCPUPercent80,
            (true, 50) => BuiltinHpaRule::AverageUtilizationCPUPercent50,
            (true, 20) => BuiltinHpaRule::AverageUtilizationCPUPercent20,
            (false, 80) => BuiltinHpaRule::AverageUtilizationMemoryPercent80,
            (false, 50) => BuiltinHpaRule::AverageUtilizationMemoryPercent50,
            (false, 20) => BuiltinHpaRule::AverageUtilizationMemoryPercent20,
            _ => {
                let mut p: Vec<&str> = path.iter().map(String::as_str).collect();
                p.push(field);
                let span = ctx.span(&p);
                let d = crate::parse::diagnostics::invalid_value(span, &p.join("."), "expected 20, 50 or 80");
                ctx.diags.push(d);
                continue;
            }
        };
        rules.push(r);
    }
    if !rules.is_empty() {
        spec.pod.get_or_insert_with(Default::default).builtin_autoscaler = Some(rules);
    }
}

fn secrets(decl: &ComponentDecl, spec: &mut ComponentSpec) {
    let Some(secrets) = &decl.secrets else { return };
    let map = spec.secrets_map.get_or_insert_with(BTreeMap::new);
    for (env, s) in secrets {
        map.insert(env.clone(), SecretRef { path: s.secret.clone(), key: Some(s.key.clone()) });
    }
}

fn config(kind: ComponentKind, decl: &ComponentDecl, spec: &mut ComponentSpec) {
    let slot = match kind {
        ComponentKind::Function => &mut spec.func_config,
        ComponentKind::Source => &mut spec.source_config,
        ComponentKind::Sink => &mut spec.sink_config,
    };
    set(slot, &decl.config);
}

/// Inputs, output, dead-letter and log topics: addresses into the spec, ports into the I/O.
fn ports(
    ctx: &mut MeshCtx,
    scope: &Scope,
    kind: ComponentKind,
    decl: &ComponentDecl,
    spec: &mut ComponentSpec,
    list: &str,
    key: &str,
) -> DeclaredIo {
    let mut io = DeclaredIo::default();
    let java = spec.java.is_some();
    for (i, r) in decl.inputs.iter().flatten().enumerate() {
        let idx = i.to_string();
        let Some(port) = port(ctx, scope, r, &[list, key, "inputs", &idx], PortRole::Input) else { continue };
        let input = spec.input.get_or_insert_with(Default::default);
        let topics = input.topics.get_or_insert_with(Vec::new);
        if !topics.contains(&port.topic) {
            topics.push(port.topic.clone());
        }
        if let (true, Some(k)) = (java, declared_kind(&port.schema)) {
            let specs = input.source_specs.get_or_insert_with(BTreeMap::new);
            let consumer = specs.entry(port.topic.clone()).or_default();
            consumer.schema_type.get_or_insert_with(|| k.name().to_string());
        }
        io.inputs.push(port);
    }
    if let Some(r) = &decl.output
        && kind != ComponentKind::Sink
        && let Some(port) = port(ctx, scope, r, &[list, key, "output"], PortRole::Output)
    {
        let output = spec.output.get_or_insert_with(Default::default);
        output.topic = Some(port.topic.clone());
        if let (true, Some(k)) = (java, declared_kind(&port.schema)) {
            output.sink_schema_type.get_or_insert_with(|| k.name().to_string());
        }
        io.outputs.push(port);
    }
    for (name, r) in decl.route.iter().flat_map(|route| &route.topics) {
        if let Some(mut port) = port(ctx, scope, r, &[list, key, "route", "topics", name], PortRole::Route) {
            // A route forwards its inputs unchanged, unless the end names a schema.
            let end_names_schema = matches!(r, TopicRef::Detailed(u) if u.schema.is_some());
            if let (false, [one]) = (end_names_schema, io.inputs.as_slice()) {
                port.schema = one.schema.clone();
            }
            io.outputs.push(port);
        }
    }
    for (name, r) in decl.topics.iter().flatten() {
        // A module's named output: written with the schema the topic (or the end) declares.
        if let Some(port) = port(ctx, scope, r, &[list, key, "topics", name], PortRole::Route) {
            io.outputs.push(port);
        }
    }
    if let Some(retries) = &decl.retries {
        spec.max_message_retry = Some(retries.max);
        if let Some(dlq) = &retries.dead_letter_topic {
            let r = TopicRef::Name(dlq.clone());
            if let Some(mut port) =
                port(ctx, scope, &r, &[list, key, "retries", "deadLetterTopic"], PortRole::DeadLetter)
            {
                // A dead-letter topic receives the inputs as they were read.
                port.schema = match io.inputs.as_slice() {
                    [one] => one.schema.clone(),
                    _ => SchemaInfo::Unknown { why: "dead letters of several inputs".into() },
                };
                spec.dead_letter_topic = Some(port.topic.clone());
                io.outputs.push(port);
            }
        }
    }
    if let Some(log) = &decl.log_topic {
        let r = TopicRef::Name(log.clone());
        if let Some(mut port) = port(ctx, scope, &r, &[list, key, "logTopic"], PortRole::Log) {
            port.schema = SchemaInfo::Known {
                name: "log lines (STRING)".into(),
                schema: Arc::new(Schema::Primitive(Kind::String)),
            };
            spec.log_topic = Some(port.topic.clone());
            io.outputs.push(port);
        }
    }
    if java {
        type_class_names(ctx, &io, spec);
    }
    io
}

/// A Java component's `typeClassName`s from its schemas' `typeClassName`: the
/// input's when every input's schema names the same class, the output's.
fn type_class_names(ctx: &MeshCtx, io: &DeclaredIo, spec: &mut ComponentSpec) {
    let declared = ctx.spec.schemas.as_ref();
    let class_of = |p: &Port| match &p.schema {
        SchemaInfo::Known { name, .. } => declared?.get(name)?.type_class_name.clone(),
        _ => None,
    };
    let classes: Vec<Option<String>> = io.inputs.iter().map(class_of).collect();
    if let Some(Some(first)) = classes.first()
        && classes.iter().all(|c| c.as_ref() == Some(first))
    {
        spec.input.get_or_insert_with(Default::default).type_class_name = Some(first.clone());
    }
    if let Some(class) = io.outputs.iter().filter(|p| p.role == PortRole::Output).find_map(class_of) {
        spec.output.get_or_insert_with(Default::default).type_class_name = Some(class);
    }
}

/// The schema type to tell the Java runtime, for schemas the mesh defines.
fn declared_kind(info: &SchemaInfo) -> Option<Kind> {
    match info {
        SchemaInfo::Known { schema, .. } => Some(schema.kind()),
        _ => None,
    }
}

/// One topic reference: R005 for an unknown topic, R006 for an unknown schema.
fn port(ctx: &mut MeshCtx, scope: &Scope, r: &TopicRef, path: &[&str], role: PortRole) -> Option<Port> {
    let name = r.topic();
    let span = ctx.span(path);
    let Some(facts) = scope.topics.get(name) else {
        let declared = ctx.spec.topics.clone().unwrap_or_default();
        if !declared.contains_key(name) {
            let close = ctx.closest(name, declared.keys(), &["topics"]);
            ctx.diags.push(diag::unknown("R005", "topic", span, name, close, "topics"));
        }
        return None;
    };
    let mut schema_span = None;
    let schema = match r.schema() {
        Some(s) => {
            let mut p = path.to_vec();
            p.push("schema");
            let (n, schema) = schema_ref(ctx, scope.schemas, s, &p)?;
            schema_span = Some(ctx.span(&p));
            SchemaInfo::Known { name: n, schema }
        }
        None => match &facts.schema {
            Some((n, schema)) => SchemaInfo::Known { name: n.clone(), schema: schema.clone() },
            None => SchemaInfo::Unknown { why: format!("topic `{name}` declares no schema") },
        },
    };
    Some(Port { topic: facts.address.clone(), schema, span, schema_span, role })
}

/// The runner's configuration for a `runtime: native` function (engine/src/config.rs).
/// The service URL is left out: the runner reads `brokerServiceURL` from the
/// cluster ConfigMap the pod imports, so one configuration serves every cluster.
#[allow(clippy::too_many_arguments)]
fn native_runner(
    ctx: &mut MeshCtx,
    scope: &Scope,
    kind: ComponentKind,
    key: &str,
    decl: &ComponentDecl,
    spec: &ComponentSpec,
    io: &DeclaredIo,
    list: &str,
) -> crate::model::NativeRunner {
    use crate::model::spec::{ProcessingGuarantee, SubscriptionPosition};
    let span = ctx.span(&[list, key, "runtime"]);
    if kind != ComponentKind::Function {
        ctx.diags.push(diag::native_runtime(span, "runs functions only; sources and sinks are connectors"));
    }
    let guarantee = match spec.processing_guarantee {
        None | Some(ProcessingGuarantee::AtleastOnce) => "atleast_once",
        Some(ProcessingGuarantee::AtmostOnce) => "atmost_once",
        // A module acknowledges inputs itself (batch ABI ack entries).
        Some(ProcessingGuarantee::Manual) if decl.file.is_some() || decl.package.is_some() => "manual",
        Some(ProcessingGuarantee::Manual) => {
            ctx.diags.push(diag::native_runtime(
                span,
                "runs `manual` only for WebAssembly modules, which acknowledge inputs themselves",
            ));
            "atleast_once"
        }
        Some(_) => {
            ctx.diags.push(diag::native_runtime(
                span,
                "supports the atleast_once, atmost_once and (modules) manual guarantees",
            ));
            "atleast_once"
        }
    };
    let sources = [decl.jq.is_some(), decl.file.is_some(), decl.package.is_some(), decl.route.is_some()];
    if sources.iter().filter(|s| **s).count() > 1 {
        ctx.diags.push(diag::native_runtime(
            span,
            "runs one of a `jq` program, a `route`, a WebAssembly `file` or a `package`",
        ));
    }
    let route_topics = io.outputs.iter().filter(|p| p.role == PortRole::Route).map(|p| p.topic.clone());
    let route_names = decl.route.iter().flat_map(|r| r.topics.keys()).chain(decl.topics.iter().flat_map(|t| t.keys()));
    let routes: Vec<(&String, String)> = route_names.zip(route_topics).collect();
    if decl.topics.is_some() && decl.file.is_none() && decl.package.is_none() {
        let span = ctx.key_span(&[list, key, "topics"]);
        ctx.diags.push(diag::native_runtime(span, "writes to named `topics` only from a WebAssembly module"));
    }
    let (function, module_config_map) = native_function(ctx, decl, span, &routes);
    refuse_reserved_secret_names(ctx, decl, key, list);
    let mut inputs: Vec<&str> = Vec::new();
    for p in &io.inputs {
        if !inputs.contains(&p.topic.as_str()) {
            inputs.push(&p.topic);
        }
    }
    let output = io.outputs.iter().find(|p| p.role == PortRole::Output).map(|p| p.topic.clone());
    let subscription_type = if spec.retain_ordering == Some(true) {
        "failover"
    } else if spec.retain_key_ordering == Some(true) {
        "key_shared"
    } else {
        "shared"
    };
    let position = match spec.subscription_position {
        Some(SubscriptionPosition::Earliest) => "earliest",
        _ => "latest",
    };
    let token = token_file(spec);
    let mut config = serde_json::json!({
        "tenant": spec.tenant.as_deref().unwrap_or("public"),
        "namespace": spec.namespace.as_deref().unwrap_or("default"),
        "name": spec.name.as_deref().unwrap_or(key),
        "inputs": inputs,
        "output": output,
        "subscription": spec.subscription_name,
        "subscriptionType": subscription_type,
        "subscriptionPosition": position,
        "processingGuarantee": guarantee,
        "maxRetries": spec.max_message_retry,
        "deadLetterTopic": spec.dead_letter_topic,
        "function": function,
        "tokenFile": token,
        // Pulsar Functions' timeoutMs: an input not acknowledged by then is delivered again.
        "ackTimeoutMs": spec.timeout,
        // `$config` and `$secrets`: the config as written, the secrets by the
        // name of the variable Kubernetes fills from the Secret (never a value).
        "userConfig": decl.config,
        "secrets": decl.secrets.as_ref().map(|s| s.keys().collect::<Vec<_>>()),
        "httpAddr": "0.0.0.0:9094",
        // The crash journal, on the pod's `emptyDir` (render/native.rs).
        "journalDir": crate::model::RUNNER_STATE_DIR,
    });
    if let Some(obj) = config.as_object_mut()
        && let Some(pulsar) = &spec.pulsar
    {
        obj.extend(connection_settings(pulsar));
    }
    let program = match (&decl.jq, &decl.route) {
        (Some(_), _) => Some("jq"),
        (_, Some(_)) => Some("route"),
        _ => None,
    };
    if let Some(program) = program {
        refuse_undecodable(ctx, scope, program, io);
    }
    // Absent, not null: the runner's defaults apply.
    if let Some(obj) = config.as_object_mut() {
        obj.extend(payload_schemas(scope, io, decl.jq.is_some()));
        if let Some(declared) = declared_schemas(ctx, io) {
            obj.insert("declaredSchemas".into(), declared);
        }
        obj.retain(|_, v| !v.is_null());
        if let Some(f) = obj.get_mut("function").and_then(|f| f.get_mut("wasm")).and_then(|w| w.as_object_mut()) {
            f.retain(|_, v| !v.is_null());
        }
    }
    if let Some(image) = spec.image.as_ref().filter(|i| !i.contains("@sha256:")) {
        ctx.diags.push(diag::runner_image_by_tag(ctx.span(&[list, key, "image"]), image));
    }
    crate::model::NativeRunner { config, image: spec.image.clone(), module_config_map, code: None }
}

/// The schemas the runner decodes inputs with (`inputSchemas`: the one the
/// topic's writers use, which is the topic's declared schema when it declares
/// one), resolves them to (`readerSchemas`: the function's end, where it reads
/// another Avro schema) and, for a jq program, encodes results with
/// (`outputSchemas`).
fn payload_schemas(
    scope: &Scope,
    io: &DeclaredIo,
    encodes_outputs: bool,
) -> serde_json::Map<String, serde_json::Value> {
    use super::payload_schemas::{of_schema, payload_schema};
    let (mut writers, mut readers, mut outputs) =
        (serde_json::Map::new(), serde_json::Map::new(), serde_json::Map::new());
    for p in &io.inputs {
        let (topic_schema, end) = schemas_at(scope, p);
        let Some(writer) = topic_schema.or(end) else { continue };
        if let Some(w) = of_schema(writer) {
            writers.insert(p.topic.clone(), w);
        }
        if let (Some(end), Schema::Avro(_)) = (end, writer)
            && end != writer
            && let Some(r) = of_schema(end)
        {
            readers.insert(p.topic.clone(), r);
        }
    }
    if encodes_outputs {
        for p in io.outputs.iter().filter(|p| p.role == PortRole::Output) {
            if let Some(o) = payload_schema(&p.schema) {
                outputs.insert(p.topic.clone(), o);
            }
        }
    }
    let named = [("inputSchemas", writers), ("readerSchemas", readers), ("outputSchemas", outputs)];
    named.into_iter().filter(|(_, m)| !m.is_empty()).map(|(k, m)| (k.to_string(), m.into())).collect()
}

/// `declaredSchemas`: the schema the runner declares to the broker for each
/// topic it reads or writes, in the form Pulsar stores it (its end's schema:
/// what it reads with, or writes). The broker then checks it against the
/// topic's, as it does for any client, and a namespace that enforces schemas
/// accepts the runner. Left out: topics without a schema (BYTES), and PROTOBUF
/// (not native), whose stored form fmc does not derive.
fn declared_schemas(ctx: &MeshCtx, io: &DeclaredIo) -> Option<serde_json::Value> {
    let mut declared = serde_json::Map::new();
    for p in io.inputs.iter().chain(&io.outputs) {
        let SchemaInfo::Known { name, schema } = &p.schema else { continue };
        if let Ok(Some(info)) = super::pulsar_schema::pulsar_schema(ctx, name, schema) {
            declared.entry(p.topic.clone()).or_insert(info);
        }
    }
    (!declared.is_empty()).then(|| declared.into())
}

fn topic_facts<'s>(scope: &Scope<'s>, address: &str) -> Option<&'s TopicFacts> {
    scope.by_address.get(address).copied()
}

/// At one port: the schema its topic declares, and the one its end reads or
/// writes with (the same unless the end names another).
fn schemas_at<'a>(scope: &Scope<'a>, p: &'a Port) -> (Option<&'a Schema>, Option<&'a Schema>) {
    let topic = topic_facts(scope, &p.topic).and_then(|f| f.schema.as_ref()).map(|(_, s)| s.as_ref());
    let end = match &p.schema {
        SchemaInfo::Known { schema, .. } => Some(schema.as_ref()),
        _ => None,
    };
    (topic, end)
}

/// C029: a jq or route program on a topic whose payloads it cannot have as
/// values (protobuf, alone or as a KEY_VALUE part), read or written.
fn refuse_undecodable(ctx: &mut MeshCtx, scope: &Scope, program: &str, io: &DeclaredIo) {
    let written = io.outputs.iter().filter(|p| p.role == PortRole::Output && program == "jq");
    for (p, writes) in io.inputs.iter().map(|p| (p, false)).chain(written.map(|p| (p, true))) {
        let (topic_schema, end) = schemas_at(scope, p);
        if let Some(kind) = [topic_schema, end].into_iter().flatten().find_map(undecodable) {
            let span = p.schema_span.unwrap_or(p.span);
            let facts = topic_facts(scope, &p.topic);
            let topic = (facts.map_or(p.topic.as_str(), |f| f.logical.as_str()), facts.map(|f| f.span));
            ctx.diags.push(super::diagnostics::program_cannot_read(span, program, topic, kind, writes));
        }
    }
}

/// The protobuf kind inside a schema, if any: payloads no program gets as values.
fn undecodable(schema: &Schema) -> Option<&'static str> {
    match schema {
        Schema::Protobuf { .. } => Some(schema.kind().name()),
        Schema::KeyValue { key, value, .. } => undecodable(key).or_else(|| undecodable(value)),
        _ => None,
    }
}

/// The file a token cluster's JWT is mounted at (`file://…` parameters of
/// the token plug-in), for the runner's `tokenFile`.
pub(crate) fn token_file(spec: &ComponentSpec) -> Option<String> {
    spec.pulsar
        .as_ref()
        .and_then(|p| p.auth_config.as_ref())
        .and_then(|a| a.generic_auth.as_ref())
        .filter(|g| g.client_authentication_plugin == super::clusters::TOKEN_PLUGIN)
        .and_then(|g| g.client_authentication_parameters.strip_prefix("file://").map(str::to_string))
}

/// TLS and OAuth2 of the cluster, as files the pod mounts (the same paths the
/// operator's runtimes read).
/// The CA file the pod mounts for the cluster's TLS (`tlsConfig`, not
/// disabled), which the runner trusts for the broker and for downloads.
pub(crate) fn tls_trust_certs(pulsar: &crate::model::common::PulsarMessaging) -> Option<String> {
    pulsar.tls_config.as_ref().filter(|t| t.enabled != Some(false))?;
    crate::model::connection::Connection::runtime(pulsar).tls_cert_path()
}

pub(crate) fn connection_settings(
    pulsar: &crate::model::common::PulsarMessaging,
) -> serde_json::Map<String, serde_json::Value> {
    use crate::model::connection::Connection;
    let conn = Connection::runtime(pulsar);
    let mut out = serde_json::Map::new();
    if let Some(o) = conn.oauth2() {
        let mut oauth2 = serde_json::json!({"issuerUrl": o.issuer_url, "privateKey": conn.oauth2_key_path(o)});
        if !o.audience.is_empty() {
            oauth2["audience"] = o.audience.clone().into();
        }
        if let Some(scope) = o.scope.as_ref().filter(|s| !s.is_empty()) {
            oauth2["scope"] = scope.clone().into();
        }
        out.insert("oauth2".into(), oauth2);
    }
    if let Some(path) = tls_trust_certs(pulsar) {
        out.insert("tlsTrustCertsFile".into(), path.into());
    }
    if let Some(tls) = pulsar.tls_config.as_ref().filter(|t| t.enabled != Some(false)) {
        if let Some(insecure) = tls.allow_insecure {
            out.insert("tlsAllowInsecureConnection".into(), insecure.into());
        }
        if let Some(verify) = tls.hostname_verification {
            out.insert("tlsHostnameVerification".into(), verify.into());
        }
    }
    out
}

/// Fields only one kind of runtime can use, set on the other kind: refused
/// (R013) rather than dropped. A native function has nothing to give what a
/// Pulsar Functions instance uses; `jq`, `route` and `sha256` mean something
/// only to fmc's runner.
fn refuse_foreign_fields(ctx: &mut MeshCtx, decl: &ComponentDecl, key: &str, list: &str, native: bool) {
    let refused: Vec<(&str, String)> = if native {
        [
            ("className", decl.class_name.is_some(), "runs no Java, Python or Go class"),
            ("logTopic", decl.log_topic.is_some(), "writes its logs to stderr as JSON lines, not to a topic"),
            ("log", decl.log.is_some(), "logs JSON lines on stderr, not through a runtime's log config"),
            ("javaOpts", decl.java_opts.is_some(), "runs no JVM"),
            ("extraDependenciesDir", decl.extra_dependencies_dir.is_some(), "loads no jars"),
            ("logTopicAgent", decl.log_topic_agent.is_some(), "sends no log lines to a topic"),
            ("runtimeFlags", decl.runtime_flags.is_some(), "runs no JVM or interpreter"),
            ("window", decl.window.is_some(), "does not window its input"),
            ("state", decl.state.is_some(), "keeps no Pulsar Functions state"),
            ("producer", decl.producer.is_some(), "uses its own producer settings"),
        ]
        .into_iter()
        .filter(|(_, set, _)| *set)
        .map(|(field, _, why)| (field, format!("{why} (`{field}`)")))
        .collect()
    } else {
        [
            ("jq", decl.jq.is_some()),
            ("route", decl.route.is_some()),
            // A Python function's code on fmc's runner, or a Go function's binary
            // it starts, may be pinned too (resolve checks).
            ("sha256", decl.sha256.is_some() && !matches!(decl.runtime, Some(Runtime::Python | Runtime::Go))),
            ("topics", decl.topics.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(field, _)| (field, format!("is the only one that runs `{field}` (set `runtime: native`)")))
        .collect()
    };
    for (field, message) in refused {
        let span = ctx.key_span(&[list, key, field]);
        ctx.diags.push(diag::native_runtime(span, &message));
    }
}

/// Variables the runner reads itself: a secret of the same name would replace
/// the broker URL or the instance's name in its environment.
const RUNNER_VARIABLES: [&str; 5] =
    ["POD_NAME", "brokerServiceURL", "webServiceURL", "FMC_RUNNER_CONFIG", "FMC_RUNNER_WORKER_THREADS"];

/// A native function's secret is the environment variable of its name (as
/// `secretsMap` is for the operator's runtimes); refused where the runner
/// needs that variable for itself.
fn refuse_reserved_secret_names(ctx: &mut MeshCtx, decl: &ComponentDecl, key: &str, list: &str) {
    for name in decl.secrets.iter().flat_map(|s| s.keys()) {
        if RUNNER_VARIABLES.contains(&name.as_str()) {
            let span = ctx.key_span(&[list, key, "secrets", name]);
            let why = format!("reads the variable `{name}` itself; give the secret another name");
            ctx.diags.push(diag::native_runtime(span, &why));
        }
    }
}

pub use crate::model::PACKAGE_DIR;

/// The runner's `function`, and the ConfigMap a module comes from (if any).
fn native_function(
    ctx: &mut MeshCtx,
    decl: &ComponentDecl,
    span: crate::source::Span,
    routes: &[(&String, String)],
) -> (serde_json::Value, Option<(String, String)>) {
    let named: BTreeMap<&String, &String> = routes.iter().map(|(name, topic)| (*name, topic)).collect();
    let wasm = |source: serde_json::Value| {
        let topics = (!named.is_empty()).then_some(&named);
        let mut w = serde_json::json!({"sha256": decl.sha256, "topics": topics});
        if let (Some(w), Some(source)) = (w.as_object_mut(), source.as_object()) {
            w.extend(source.clone());
        }
        serde_json::json!({"wasm": w})
    };
    if let Some(program) = &decl.jq {
        return (serde_json::json!({"jq": {"program": program}}), None);
    }
    if let Some(route) = &decl.route {
        return (serde_json::json!({"route": {"program": route.jq, "topics": named}}), None);
    }
    if let Some(path) = &decl.file {
        return (wasm(serde_json::json!({"path": path})), None);
    }
    let Some(package) = &decl.package else { return (serde_json::json!({"identity": {}}), None) };
    if package.starts_with("https://") || package.starts_with("http://") {
        if crate::diagnostics::redact::holds_url_credential(package) {
            ctx.diags.push(crate::diagnostics::redact::url_credentials(span, "package"));
            return (serde_json::json!({"identity": {}}), None);
        }
        if decl.sha256.is_none() {
            ctx.diags.push(diag::native_runtime(span, "downloads a `package` URL only with a `sha256` to pin it"));
        }
        return (wasm(serde_json::json!({"url": package})), None);
    }
    if let Some((name, key)) = package.strip_prefix("configmap://").and_then(|r| r.split_once('/')) {
        let path = format!("{PACKAGE_DIR}/{key}");
        return (wasm(serde_json::json!({"path": path})), Some((name.to_string(), key.to_string())));
    }
    ctx.diags.push(diag::native_runtime(
        span,
        "loads a module from a `file`, an `http(s)://` package pinned by `sha256`, or `configmap://NAME/KEY`",
    ));
    (serde_json::json!({"identity": {}}), None)
}
