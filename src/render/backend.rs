//! BackendConfig merge (reference §2.17): env vars and a subset of the pod policy
//! of the global and namespaced BackendConfigs, applied to the rendered pod.
//! Env entries are sorted by name (the operator uses Go map order).

use super::env;
use super::pod::{container_name, liveness_probe};
use crate::model::common::PodPolicy;
use crate::model::spec::BackendConfigSpec;
use crate::resolve::Component;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use std::collections::BTreeMap;

/// Global then namespaced: maps merge (namespaced wins), lists concatenate,
/// single values are replaced by the namespaced one when set.
fn merged(configs: &[BackendConfigSpec]) -> (BTreeMap<String, String>, PodPolicy) {
    let mut env = BTreeMap::new();
    let mut pod = PodPolicy::default();
    for c in configs {
        env.extend(c.env.clone().unwrap_or_default());
        let Some(p) = &c.pod else { continue };
        merge_map(&mut pod.labels, &p.labels);
        merge_map(&mut pod.node_selector, &p.node_selector);
        merge_map(&mut pod.annotations, &p.annotations);
        extend(&mut pod.tolerations, &p.tolerations);
        extend(&mut pod.image_pull_secrets, &p.image_pull_secrets);
        replace(&mut pod.affinity, &p.affinity);
        replace(&mut pod.security_context, &p.security_context);
        replace(&mut pod.termination_grace_period_seconds, &p.termination_grace_period_seconds);
        replace(&mut pod.service_account_name, &p.service_account_name);
        replace(&mut pod.liveness, &p.liveness);
        replace(&mut pod.startup_probe, &p.startup_probe);
    }
    (env, pod)
}

fn merge_map(dst: &mut Option<BTreeMap<String, String>>, src: &Option<BTreeMap<String, String>>) {
    if let Some(s) = src {
        dst.get_or_insert_with(BTreeMap::new).extend(s.clone());
    }
}

fn extend<T: Clone>(dst: &mut Option<Vec<T>>, src: &Option<Vec<T>>) {
    if let Some(s) = src {
        dst.get_or_insert_with(Vec::new).extend(s.iter().cloned());
    }
}

fn replace<T: Clone>(dst: &mut Option<T>, src: &Option<T>) {
    if src.is_some() {
        *dst = src.clone();
    }
}

/// Applies the component's BackendConfigs to its pod template.
pub fn apply(comp: &Component, template: &mut PodTemplateSpec) {
    if comp.backend_configs.is_empty() {
        return;
    }
    let (env_map, policy) = merged(&comp.backend_configs);
    let meta = template.metadata.get_or_insert_with(Default::default);
    // Backend values lose to the template's own (template wins).
    under(&mut meta.labels, &policy.labels);
    under(&mut meta.annotations, &policy.annotations);
    let Some(pod) = template.spec.as_mut() else { return };
    under(&mut pod.node_selector, &policy.node_selector);
    if pod.affinity.is_none() {
        pod.affinity = policy.affinity.clone();
    }
    if let Some(t) = &policy.tolerations {
        let mut all = t.clone();
        all.extend(pod.tolerations.take().unwrap_or_default());
        pod.tolerations = Some(all);
    }
    if let Some(s) = &policy.image_pull_secrets {
        let mut all = s.clone();
        all.extend(pod.image_pull_secrets.take().unwrap_or_default());
        pod.image_pull_secrets = Some(all);
    }
    if pod.termination_grace_period_seconds.is_none() {
        pod.termination_grace_period_seconds = policy.termination_grace_period_seconds;
    }
    if pod.service_account_name.is_none() {
        pod.service_account_name = policy.service_account_name.clone();
    }
    let backend_env: Vec<_> = env_map.iter().map(|(k, v)| env::plain(k, v)).collect();
    let main = container_name(comp);
    for c in &mut pod.containers {
        if !backend_env.is_empty() {
            let mut all = backend_env.clone();
            all.extend(c.env.take().unwrap_or_default());
            c.env = Some(all);
        }
        if c.name == main {
            if c.liveness_probe.is_none() {
                c.liveness_probe = policy.liveness.as_ref().and_then(liveness_probe);
            }
            if c.startup_probe.is_none() {
                c.startup_probe = policy.startup_probe.clone();
            }
        }
    }
}

fn under(dst: &mut Option<BTreeMap<String, String>>, backend: &Option<BTreeMap<String, String>>) {
    if let Some(b) = backend {
        let mut m = b.clone();
        m.extend(dst.take().unwrap_or_default());
        *dst = Some(m);
    }
}
