//! `--provision resources-operator`: the Pulsar resources a mesh declares, as
//! custom resources of StreamNative's pulsar-resources-operator
//! (`resource.streamnative.io/v1alpha1`), so that the broker holds the schemas
//! and the compatibility strategy the type checker proved against.
//!
//! Per mesh cluster a topic lives on: a `PulsarConnection` (URLs, TLS flags,
//! auth as Secret references; or an existing one named by `pulsarConnection`),
//! a `PulsarTenant` and a `PulsarNamespace` for each tenant and namespace of
//! its topics, and a `PulsarTopic` per declared, non-external topic with its
//! partitions, policies, `schemaInfo` (the checked schema, in the form Pulsar
//! stores it; PROTOBUF_NATIVE as the descriptor set `types/descriptor.rs`
//! writes) and `schemaCompatibilityStrategy`. A geo-replicated topic gets a
//! `PulsarGeoReplication` per direction between its clusters. Everything is
//! `lifecyclePolicy: KeepAfterDeletion` unless the mesh says otherwise (the
//! operator's default deletes the topic and its data with the object), and
//! carries an Argo CD sync wave so that it is applied before the workloads.
//!
//! The objects are generated documents of the mesh (like its cluster
//! ConfigMaps), so every mode emits them. Codes: R016 (cannot provision),
//! C028 (left out, with why), P008 (a policy value the operator refuses).

use super::MeshCtx;
use super::pulsar_schema::pulsar_schema;
use crate::diagnostics::Diagnostic;
use crate::model::dsl::{ClusterDecl, Credential, LifecyclePolicy, Policies};
use crate::model::streams::TopicFacts;
use crate::model::{Made, Origin, PassthroughDoc, Resource};
use crate::types::Schema;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub const API_VERSION: &str = "resource.streamnative.io/v1alpha1";
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
const MESH_LABEL: &str = "fmc.functionmesh.io/mesh";

/// Argo CD sync waves: each kind after what it needs, all before the
/// workloads (wave 0).
fn wave(kind: &str) -> &'static str {
    match kind {
        "PulsarConnection" => "-4",
        "PulsarTenant" | "PulsarGeoReplication" => "-3",
        "PulsarNamespace" => "-2",
        _ => "-1",
    }
}

pub fn lower(
    ctx: &mut MeshCtx,
    topics: &BTreeMap<String, TopicFacts>,
    first_component: usize,
    out: &mut super::Lowered,
) {
    let placed = place_topics(ctx, topics, &out.resources[first_component..]);
    let mut plan = Plan::default();
    for (logical, clusters) in &placed {
        let facts = &topics[logical];
        for cluster in clusters {
            if let Some(conn) = connection(ctx, cluster, &mut plan) {
                topic(ctx, facts, cluster, &conn, &mut plan);
            }
        }
    }
    for (cluster, tenant) in plan.tenants.clone() {
        let conn = plan.connections[&cluster].clone();
        tenant_object(ctx, &tenant, &conn, &mut plan);
    }
    for (cluster, namespace) in plan.namespaces.clone() {
        let conn = plan.connections[&cluster].clone();
        namespace_object(ctx, &namespace, &conn, &mut plan);
    }
    out.resources.extend(plan.objects.into_iter().map(Resource::Passthrough));
}

/// What this mesh provisions so far.
#[derive(Default)]
struct Plan {
    /// Mesh cluster → the name of its `PulsarConnection`.
    connections: BTreeMap<String, String>,
    /// Clusters already refused (reported once).
    refused: BTreeSet<String>,
    /// (cluster, tenant) and (cluster, `tenant/namespace`) the topics use.
    tenants: BTreeSet<(String, String)>,
    namespaces: BTreeSet<(String, String)>,
    /// (source, destination) cluster pairs with a `PulsarGeoReplication`.
    replications: BTreeSet<(String, String)>,
    /// `schemaInfo` by schema name, made once however many topics hold it
    /// (`Err`: left out, with why).
    schema_infos: BTreeMap<String, Result<Option<Value>, String>>,
    objects: Vec<PassthroughDoc>,
}

/// Each declared, non-external topic → the mesh clusters it lives on: those
/// of the components that use it and its replication clusters, else the
/// default (or only) cluster. R016 for a topic no cluster holds.
fn place_topics(
    ctx: &mut MeshCtx,
    topics: &BTreeMap<String, TopicFacts>,
    components: &[Resource],
) -> BTreeMap<String, BTreeSet<String>> {
    let mut used: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in components {
        let Resource::Component(c) = r else { continue };
        let Some(io) = &c.io else { continue };
        let Some(cluster) = &io.cluster else { continue };
        for port in io.inputs.iter().chain(&io.outputs) {
            used.entry(port.topic.as_str()).or_default().insert(cluster.clone());
        }
    }
    let declared = ctx.spec.clusters.clone().unwrap_or_default();
    let fallback = ctx.defaults().cluster.or_else(|| (declared.len() == 1).then(|| declared.keys().next().cloned())?);
    let mut out = BTreeMap::new();
    let mut homeless = Vec::new();
    for (logical, facts) in topics.iter().filter(|(_, f)| !f.external) {
        let mut clusters = used.get(facts.address.as_str()).cloned().unwrap_or_default();
        clusters.extend(facts.replication_clusters.iter().cloned());
        if clusters.is_empty() {
            clusters.extend(fallback.clone());
        }
        if clusters.is_empty() {
            homeless.push(logical.clone());
            continue;
        }
        out.insert(logical.clone(), clusters);
    }
    if let Some(first) = homeless.first() {
        let span = ctx.key_span(&["topics", first]);
        let what = if homeless.len() == 1 { format!("topic `{first}`") } else { format!("{} topics", homeless.len()) };
        ctx.diags.push(
            cannot(
                span,
                &format!(
                    "no cluster holds {what}: the mesh declares no cluster its components or `defaults.cluster` name"
                ),
            )
            .help("declare the Pulsar cluster under `clusters` (with its URLs), or set `defaults.cluster`"),
        );
    }
    out
}

fn cannot(span: crate::source::Span, what: &str) -> Diagnostic {
    Diagnostic::error("R016", span, format!("cannot provision: {what}")).label("here")
}

/// The `PulsarConnection` of `cluster` (generated once), or `None` after R016.
fn connection(ctx: &mut MeshCtx, cluster: &str, plan: &mut Plan) -> Option<String> {
    if let Some(name) = plan.connections.get(cluster) {
        return Some(name.clone());
    }
    if plan.refused.contains(cluster) {
        return None;
    }
    let decl = ctx.spec.clusters.as_ref().and_then(|c| c.get(cluster)).cloned().unwrap_or_default();
    if let Some(existing) = &decl.pulsar_connection {
        plan.connections.insert(cluster.to_string(), existing.clone());
        return Some(existing.clone());
    }
    match connection_spec(&decl) {
        Ok(spec) => {
            let name = object_name(&[&ctx.meta.name, cluster]);
            if decl.tls.as_ref().is_some_and(|t| t.ca_cert.is_some()) {
                let span = ctx.span(&["clusters", cluster, "tls", "caCert"]);
                ctx.diags.push(left_out(
                    span,
                    "the CA certificate is not set on the generated PulsarConnection",
                    "the pulsar-resources-operator reads a CA only from a file in its own pod (`tlsTrustCertsFilePath`): mount it there, or name a PulsarConnection that has it with `pulsarConnection`",
                ));
            }
            let origin = ["clusters", cluster];
            plan.objects.push(object(ctx, "PulsarConnection", &name, spec, &origin));
            plan.connections.insert(cluster.to_string(), name.clone());
            Some(name)
        }
        Err((field, why)) => {
            let mut path = vec!["clusters", cluster];
            path.extend(field.iter());
            let span = if field.is_empty() { ctx.key_span(&path) } else { ctx.span(&path) };
            ctx.diags.push(cannot(span, &format!("cluster `{cluster}` {why}")).help(
                "give the cluster's URLs (`brokerServiceUrl`, `webServiceUrl`), or name an existing PulsarConnection with `pulsarConnection`",
            ));
            plan.refused.insert(cluster.to_string());
            None
        }
    }
}

type Refusal = (Vec<&'static str>, &'static str);

fn connection_spec(decl: &ClusterDecl) -> Result<Value, Refusal> {
    let (Some(broker), Some(web)) = (&decl.broker_service_url, &decl.web_service_url) else {
        return Err((vec![], "is given by `pulsarConfig`: its URLs are not known when compiling"));
    };
    let mut spec = Map::new();
    let admin = if web.starts_with("https://") { "adminServiceSecureURL" } else { "adminServiceURL" };
    spec.insert(admin.into(), web.clone().into());
    let broker_field = if broker.starts_with("pulsar+ssl://") { "brokerServiceSecureURL" } else { "brokerServiceURL" };
    spec.insert(broker_field.into(), broker.clone().into());
    if let Some(name) = &decl.cluster_name {
        spec.insert("clusterName".into(), name.clone().into());
    }
    if let Some(tls) = &decl.tls {
        if let Some(v) = tls.allow_insecure {
            spec.insert("tlsAllowInsecureConnection".into(), v.into());
        }
        if let Some(v) = tls.hostname_verification {
            spec.insert("tlsEnableHostnameVerification".into(), v.into());
        }
    }
    if let Some(auth) = &decl.auth {
        let secret_ref = |c: &Credential| match c {
            Credential::Secret(s) => Some(json!({"secretRef": {"name": s.secret, "key": s.key}})),
            Credential::Inline(_) => None, // R009 was reported while lowering the cluster
        };
        if let Some(token) = auth.token.as_ref().and_then(secret_ref) {
            spec.insert("authentication".into(), json!({"token": token}));
        }
        if let Some(o) = &auth.oauth2 {
            let Some(client_id) = &o.client_id else {
                return Err((vec!["auth", "oauth2"], "uses OAuth2 without `clientId`, which a PulsarConnection needs"));
            };
            let mut oauth2 = json!({
                "issuerEndpoint": o.issuer_url,
                "audience": o.audience,
                "clientID": client_id,
                "key": secret_ref(&o.private_key),
            });
            if let Some(scope) = &o.scope {
                oauth2["scope"] = scope.clone().into();
            }
            spec.insert("authentication".into(), json!({"oauth2": oauth2}));
        }
    }
    Ok(Value::Object(spec))
}

fn topic(ctx: &mut MeshCtx, facts: &TopicFacts, cluster: &str, conn: &str, plan: &mut Plan) {
    let logical = facts.logical.as_str();
    let decl = ctx.spec.topics.as_ref().and_then(|t| t.get(logical)).cloned().unwrap_or_default();
    let Some((persistent, tenant, namespace, _)) = split_address(&facts.address) else { return };
    plan.tenants.insert((cluster.to_string(), tenant.to_string()));
    plan.namespaces.insert((cluster.to_string(), format!("{tenant}/{namespace}")));
    let mut spec = Map::new();
    spec.insert("name".into(), facts.address.clone().into());
    spec.insert("connectionRef".into(), json!({"name": conn}));
    spec.insert("persistent".into(), persistent.into());
    spec.insert("partitions".into(), facts.partitions.unwrap_or(0).into());
    if let Some((name, schema)) = &facts.schema
        && let Some(info) = schema_info(ctx, logical, name, schema, plan)
    {
        spec.insert("schemaInfo".into(), info);
    }
    spec.insert("schemaCompatibilityStrategy".into(), facts.compatibility.name().into());
    let lifecycle = decl.lifecycle_policy.unwrap_or(LifecyclePolicy::KeepAfterDeletion);
    spec.insert("lifecyclePolicy".into(), lifecycle.name().into());
    if let Some(p) = &decl.policies {
        let at = ["topics", logical, "policies"];
        policies(ctx, &p.common, &at, &mut spec);
        let ints = [
            ("maxProducers", p.max_producers),
            ("maxConsumers", p.max_consumers),
            ("maxUnAckedMessagesPerConsumer", p.max_unacked_messages_per_consumer),
            ("maxUnAckedMessagesPerSubscription", p.max_unacked_messages_per_subscription),
            ("maxMessageSize", p.max_message_size),
        ];
        for (field, v) in ints {
            if let Some(v) = v.filter(|v| at_least(ctx, &at, field, i64::from(*v), 0)) {
                spec.insert(field.into(), v.into());
            }
        }
        if let Some(props) = &p.properties {
            spec.insert("properties".into(), json!(props));
        }
    }
    let peers: Vec<&String> = facts.replication_clusters.iter().filter(|c| c.as_str() != cluster).collect();
    if facts.replication_clusters.iter().any(|c| c == cluster) && !peers.is_empty() {
        let mut refs = Vec::new();
        for peer in peers {
            if let Some(name) = replication(ctx, cluster, peer, facts, plan) {
                refs.push(json!({"name": name}));
            }
        }
        spec.insert("geoReplicationRefs".into(), refs.into());
    }
    let (domain, path) = facts.address.split_once("://").unwrap_or(("persistent", &facts.address));
    let name = if domain == "persistent" { object_name(&[conn, path]) } else { object_name(&[conn, "np", path]) };
    plan.objects.push(object(ctx, "PulsarTopic", &name, Value::Object(spec), &["topics", logical]));
}

/// The `PulsarGeoReplication` from `source` to `destination` (once per pair).
fn replication(
    ctx: &mut MeshCtx,
    source: &str,
    destination: &str,
    facts: &TopicFacts,
    plan: &mut Plan,
) -> Option<String> {
    let from = connection(ctx, source, plan)?;
    let to = connection(ctx, destination, plan)?;
    let name = object_name(&[&ctx.meta.name, "geo", source, "to", destination]);
    if !plan.replications.insert((source.to_string(), destination.to_string())) {
        return Some(name);
    }
    let declared = ctx.spec.clusters.clone().unwrap_or_default();
    for c in [source, destination] {
        let named = declared.get(c).is_some_and(|d| d.cluster_name.is_some() || d.pulsar_connection.is_some());
        if !named {
            let span = ctx.key_span(&["clusters", c]);
            let why = format!(
                "topic `{}` is replicated across separate Pulsar instances, and cluster `{c}` has no `clusterName` to name it by",
                facts.logical
            );
            ctx.diags.push(
                cannot(span, &why)
                    .help("set `clusterName` to the cluster's name in Pulsar (`pulsar-admin clusters list`)"),
            );
            return None;
        }
    }
    let spec = json!({
        "connectionRef": {"name": from},
        "destinationConnectionRef": {"name": to},
        "lifecyclePolicy": LifecyclePolicy::KeepAfterDeletion.name(),
    });
    plan.objects.push(object(ctx, "PulsarGeoReplication", &name, spec, &["topics", &facts.logical]));
    Some(name)
}

fn tenant_object(ctx: &mut MeshCtx, tenant: &str, conn: &str, plan: &mut Plan) {
    // Only a tenant the mesh declares: the resources operator sets a tenant's
    // admin roles and clusters to what the object says, so rendering one for
    // every tenant a topic uses would take over shared tenants (`public`).
    let Some(decl) = ctx.spec.tenants.as_ref().and_then(|t| t.get(tenant)).cloned() else { return };
    if decl.provision == Some(false) {
        return;
    }
    let mut spec = Map::new();
    spec.insert("name".into(), tenant.into());
    spec.insert("connectionRef".into(), json!({"name": conn}));
    if let Some(roles) = &decl.admin_roles {
        spec.insert("adminRoles".into(), json!(roles));
    }
    let allowed = decl.allowed_clusters.clone().or_else(|| {
        let declared = ctx.spec.clusters.as_ref()?;
        let names: BTreeSet<String> = plan
            .tenants
            .iter()
            .filter(|(_, t)| t == tenant)
            .filter_map(|(c, _)| declared.get(c)?.cluster_name.clone())
            .collect();
        (!names.is_empty()).then(|| names.into_iter().collect())
    });
    if let Some(allowed) = allowed {
        spec.insert("allowedClusters".into(), json!(allowed));
    }
    let lifecycle = decl.lifecycle_policy.unwrap_or(LifecyclePolicy::KeepAfterDeletion);
    spec.insert("lifecyclePolicy".into(), lifecycle.name().into());
    let name = object_name(&[conn, tenant]);
    plan.objects.push(object(ctx, "PulsarTenant", &name, Value::Object(spec), &["tenants", tenant]));
}

fn namespace_object(ctx: &mut MeshCtx, namespace: &str, conn: &str, plan: &mut Plan) {
    let decl = ctx.spec.namespaces.as_ref().and_then(|n| n.get(namespace)).cloned().unwrap_or_default();
    if decl.provision == Some(false) {
        return;
    }
    let mut spec = Map::new();
    spec.insert("name".into(), namespace.into());
    spec.insert("connectionRef".into(), json!({"name": conn}));
    let lifecycle = decl.lifecycle_policy.unwrap_or(LifecyclePolicy::KeepAfterDeletion);
    spec.insert("lifecyclePolicy".into(), lifecycle.name().into());
    if let Some(p) = &decl.policies {
        policies(ctx, &p.common, &["namespaces", namespace, "policies"], &mut spec);
        let at = ["namespaces", namespace, "policies"];
        for (field, v, least) in [
            ("bundles", p.bundles, 1),
            ("maxProducersPerTopic", p.max_producers_per_topic, 0),
            ("maxConsumersPerTopic", p.max_consumers_per_topic, 0),
        ] {
            if let Some(v) = v.filter(|v| at_least(ctx, &at, field, i64::from(*v), least)) {
                spec.insert(field.into(), v.into());
            }
        }
        if let Some(c) = p.schema_compatibility_strategy {
            spec.insert("schemaCompatibilityStrategy".into(), c.name().into());
        }
    }
    let name = object_name(&[conn, namespace]);
    let declared = ctx.spec.namespaces.as_ref().is_some_and(|n| n.contains_key(namespace));
    let origin: Vec<&str> = if declared { vec!["namespaces", namespace] } else { vec!["topics"] };
    plan.objects.push(object(ctx, "PulsarNamespace", &name, Value::Object(spec), &origin));
}

/// The shared policies into `spec`; P008 for a duration or size the operator refuses.
fn policies(ctx: &mut MeshCtx, p: &Policies, at: &[&str], spec: &mut Map<String, Value>) {
    let durations = [
        ("retentionTime", &p.retention_time),
        ("messageTTL", &p.message_ttl),
        ("backlogQuotaLimitTime", &p.backlog_quota_limit_time),
    ];
    for (field, value) in durations {
        let Some(v) = value else { continue };
        if !is_duration(v) {
            invalid(ctx, at, field, "expected a duration such as `30m`, `12h`, `7d` or `2w`, or `-1` for no limit");
            continue;
        }
        spec.insert(field.into(), v.clone().into());
    }
    for (field, value) in [("retentionSize", &p.retention_size), ("backlogQuotaLimitSize", &p.backlog_quota_limit_size)]
    {
        let Some(v) = value else { continue };
        if v != "-1" && crate::quantity::Quantity::parse(v).is_none() {
            invalid(ctx, at, field, "expected a size such as `500Mi` or `10Gi`, or `-1` for no limit");
            continue;
        }
        spec.insert(field.into(), v.clone().into());
    }
    let limited = p.backlog_quota_limit_size.is_some() || p.backlog_quota_limit_time.is_some();
    if limited && p.backlog_quota_retention_policy.is_none() {
        let field =
            if p.backlog_quota_limit_size.is_some() { "backlogQuotaLimitSize" } else { "backlogQuotaLimitTime" };
        invalid(
            ctx,
            at,
            field,
            "a backlog limit needs `backlogQuotaRetentionPolicy` (what producers meet when it is full)",
        );
    }
    let compaction = p.compaction_threshold.filter(|v| at_least(ctx, at, "compactionThreshold", *v, 0));
    let per_subscription =
        p.max_consumers_per_subscription.filter(|v| at_least(ctx, at, "maxConsumersPerSubscription", i64::from(*v), 0));
    let enums = [
        ("backlogQuotaRetentionPolicy", p.backlog_quota_retention_policy.map(|v| json!(v))),
        ("backlogQuotaType", p.backlog_quota_type.map(|v| json!(v))),
        ("deduplication", p.deduplication.map(Value::from)),
        ("compactionThreshold", compaction.map(Value::from)),
        ("schemaValidationEnforced", p.schema_validation_enforced.map(Value::from)),
        ("maxConsumersPerSubscription", per_subscription.map(Value::from)),
    ];
    for (field, v) in enums {
        if let Some(v) = v {
            spec.insert(field.into(), v);
        }
    }
}

/// Whether a policy number is one the broker accepts (`least` and up, as
/// docs/provisioning.md lists with each range's source); P008 when it is not.
fn at_least(ctx: &mut MeshCtx, at: &[&str], field: &str, value: i64, least: i64) -> bool {
    if value >= least {
        return true;
    }
    let range = if least == 0 { "0 or more (0: no limit)".to_string() } else { format!("{least} or more") };
    invalid(ctx, at, field, &format!("the broker refuses {value}: expected {range}"));
    false
}

fn invalid(ctx: &mut MeshCtx, at: &[&str], field: &str, detail: &str) {
    let mut path = at.to_vec();
    path.push(field);
    let span = ctx.span(&path);
    ctx.diags.push(crate::parse::diagnostics::invalid_value(span, &path.join("."), detail));
}

/// The operator's durations (`utils.Duration`): `-1`, or numbers with units
/// `ns`, `us`, `µs`, `ms`, `s`, `m`, `h`, `d`, `w` (`1h30m`).
fn is_duration(text: &str) -> bool {
    if text == "-1" {
        return true;
    }
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        if digits == 0 || rest[..digits].parse::<f64>().is_err() {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h", "d", "w"].iter().find(|u| rest.starts_with(**u));
        // `ms` before `m` and `s`: the list is ordered so the longer unit wins.
        let Some(unit) = unit else { return false };
        rest = &rest[unit.len()..];
    }
    true
}

/// `persistent://t/ns/x` → (persistent, t, ns, x).
fn split_address(address: &str) -> Option<(bool, &str, &str, &str)> {
    let (domain, rest) = address.split_once("://")?;
    let mut parts = rest.splitn(3, '/');
    let (tenant, namespace, name) = (parts.next()?, parts.next()?, parts.next()?);
    Some((domain == "persistent", tenant, namespace, name))
}

/// A topic's `schemaInfo`: the schema fmc checked, in the form Pulsar stores
/// it (docs/provisioning.md). `None` (with C028) for what cannot be.
fn schema_info(ctx: &mut MeshCtx, logical: &str, name: &str, schema: &Schema, plan: &mut Plan) -> Option<Value> {
    let made = plan.schema_infos.entry(name.to_string()).or_insert_with(|| pulsar_schema(ctx, name, schema)).clone();
    match made {
        Ok(info) => info,
        Err(why) => {
            let span = ctx.span(&["topics", logical, "schema"]);
            let d = left_out(span, &format!("topic `{logical}`'s schema `{name}` is not provisioned"), &why);
            ctx.diags.push(d);
            None
        }
    }
}

/// C028 at an operator resource under `--provision`: it declares no topics to
/// provision (its topics are names in its spec, without partitions, policies
/// or a cluster URL).
pub fn operator_resource(doc: &crate::ast::Document) -> Diagnostic {
    let span = doc.root.key_span(&[crate::ast::PathSeg::Key("kind".into())]);
    left_out(
        span,
        "operator resources declare no topics to provision",
        "`--provision` provisions the topics, schemas and clusters a native mesh declares: `fmc convert` turns these resources into a mesh, where you can declare them",
    )
}

fn left_out(span: crate::source::Span, what: &str, why: &str) -> Diagnostic {
    Diagnostic::warning("C028", span, format!("not provisioned: {what}")).label("left out").help(why.to_string())
}

/// A DNS-1123 subdomain name from `parts`: lower-cased, other characters
/// replaced by `-`; when that changed anything, a hash of the original keeps
/// two Pulsar names that map to the same text apart.
fn object_name(parts: &[&str]) -> String {
    let original = parts.join("-");
    // `/` separates a namespace's or topic's parts: a `-` says the same.
    let plain = original.replace('/', "-");
    let mut name: String = plain
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-' | '.') => c,
            _ => '-',
        })
        .collect();
    // Each dot-separated label starts and ends with a letter or digit (`..`
    // or `-.` would make the name one the API server refuses).
    let labels: Vec<String> = name
        .split('.')
        .map(|label| {
            let mut label = label.trim_matches('-').to_string();
            while label.contains("--") {
                label = label.replace("--", "-");
            }
            label
        })
        .filter(|label| !label.is_empty())
        .collect();
    name = labels.join(".");
    if name != plain {
        let hash = crate::names::sha256_hex(&original);
        name = format!("{name}-{}", &hash[..8]);
    }
    crate::names::shorten(&name, 253)
}

/// A generated provisioning object of the mesh, sync-waved and labelled.
fn object(ctx: &MeshCtx, kind: &str, name: &str, spec: Value, origin: &[&str]) -> PassthroughDoc {
    let namespace = ctx.generated_namespace();
    let mut value = json!({
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/managed-by": "fmc", MESH_LABEL: ctx.meta.name},
            "annotations": {SYNC_WAVE: wave(kind)},
        },
        "spec": spec,
    });
    if let Some(ns) = &namespace {
        value["metadata"]["namespace"] = ns.clone().into();
    }
    PassthroughDoc {
        api_version: API_VERSION.into(),
        kind: kind.into(),
        name: name.to_string(),
        namespace,
        value,
        origin: Origin { doc: ctx.doc, base: ctx.declaration(origin[0], origin.get(1).copied().unwrap_or_default()) },
        made: Made::Generated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_the_operators() {
        for ok in ["-1", "30m", "12h", "7d", "2w", "1h30m", "500ms", "1.5h"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "7", "h", "1y", "-2h", "1 h", "7days"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn object_names_are_dns_subdomains_and_keep_different_names_apart() {
        assert_eq!(object_name(&["shop", "local"]), "shop-local");
        assert_eq!(object_name(&["shop-local", "public/default/orders"]), "shop-local-public-default-orders");
        let a = object_name(&["shop-local", "public/default/Orders_v1"]);
        let b = object_name(&["shop-local", "public/default/orders-v1"]);
        assert!(a.starts_with("shop-local-public-default-orders-v1-"), "{a}");
        assert_ne!(a, b);
        assert!(crate::names::object_name_problem(&a).is_none(), "{a}");
    }
}
