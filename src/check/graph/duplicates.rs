//! C022 two components of one kind share a Pulsar name on one cluster.
//!
//! Pulsar identifies a function, source or sink by `tenant/namespace/name`
//! (its FQFN): two with the same FQFN on the same cluster overwrite each other's
//! registration, share a default subscription and mix their metrics. Kubernetes
//! names can differ (different objects, even namespaces) and still collide here.
//! Clusters are told apart as the stream graph does (`ClusterRef`): two
//! ConfigMaps for one broker are one cluster.

use super::GraphCtx;
use crate::diagnostics::Diagnostic;
use std::collections::BTreeMap;

pub fn check(ctx: &GraphCtx) -> Vec<Diagnostic> {
    let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, c) in ctx.components.iter().enumerate() {
        let s = &c.spec;
        let cluster = c.cluster.key.clone();
        let fqfn = format!(
            "{}/{}/{}",
            s.tenant.as_deref().unwrap_or("public"),
            s.namespace.as_deref().unwrap_or("default"),
            c.pulsar_name()
        );
        let key = (c.kind.kind().to_string(), cluster, fqfn.clone());
        match seen.get(&key) {
            Some(&first) => out.push(
                Diagnostic::error(
                    "C022",
                    c.name_span(ctx.docs),
                    format!("{} and {} are both `{fqfn}` in Pulsar", ctx.describe(i), ctx.describe(first)),
                )
                .label("second component with this Pulsar name")
                .with_secondary(ctx.components[first].name_span(ctx.docs), "first one here")
                .help("give one of them another `name` (or tenant/namespace)"),
            ),
            None => {
                seen.insert(key, i);
            }
        }
    }
    out
}
