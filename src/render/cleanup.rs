//! Subscription cleanup as a delete-hook Job.
//!
//! The operator creates a Job that parks on `sleep infinity` until its controller
//! execs a signal into it when the custom resource is deleted; without the
//! controller that Job never cleans anything. fmc instead renders (with
//! `--cleanup-hooks`) a Job annotated as a Helm `pre-delete` and Argo CD
//! `PostDelete` hook that runs the admin commands directly. Without the option no
//! Job is rendered and the check stage says so (C016): applied with plain
//! `kubectl apply`, a hook Job would run at once and delete a live subscription.

use super::command::{self, image_tools};
use super::connection::Connection;
use super::download::{admin_prefix, join};
use super::{env, pod, shell, volumes};
use crate::model::ComponentKind;
use crate::model::common::PulsarMessaging;
use crate::options::BuildOptions;
use crate::resolve::Component;
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

pub(crate) fn subscription(comp: &Component) -> String {
    let s = &comp.spec;
    s.subscription_name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| {
        format!("{}/{}/{}", s.tenant.as_deref().unwrap_or(""), s.namespace.as_deref().unwrap_or(""), comp.pulsar_name())
    })
}

/// The admin commands that remove the component's subscriptions.
pub fn cleanup_script(comp: &Component, messaging: &PulsarMessaging) -> String {
    let conn = Connection::runtime(messaging);
    let (pulsarctl, _) = image_tools(&comp.spec);
    let admin = |args: &[String]| -> String {
        let mut a = admin_prefix(&conn, pulsarctl);
        a.extend_from_slice(args);
        join(&a)
    };
    let w = |s: &str| shell::word(s);
    let s = &comp.spec;
    let mut cmds = Vec::new();
    if comp.kind == ComponentKind::Source {
        let ns = format!("{}/{}", s.tenant.as_deref().unwrap_or(""), s.namespace.as_deref().unwrap_or(""));
        let sub = format!("BatchSourceExecutor-{ns}/{}", comp.pulsar_name());
        let topic = format!("persistent://{ns}/{}-intermediate", comp.pulsar_name());
        cmds.push(unsubscribe(&admin, pulsarctl, &topic, &sub));
        cmds.push(admin(&["topics".into(), "delete".into(), "-f".into(), w(&topic)]));
    } else {
        let sub = subscription(comp);
        let input = s.input.clone().unwrap_or_default();
        for topic in input.topics.iter().flatten() {
            cmds.push(unsubscribe(&admin, pulsarctl, topic, &sub));
        }
        if let Some(pattern) = input.topic_pattern.as_ref().filter(|p| !p.is_empty()) {
            let ns = namespace_of_pattern(pattern).unwrap_or_else(|| {
                format!("{}/{}", s.tenant.as_deref().unwrap_or(""), s.namespace.as_deref().unwrap_or(""))
            });
            let args = if pulsarctl {
                vec!["namespaces".into(), "unsubscribe".into(), w(&ns), w(&sub)]
            } else {
                vec!["namespaces".into(), "unsubscribe".into(), "-s".into(), w(&sub), w(&ns)]
            };
            cmds.push(admin(&args));
        }
    }
    cmds.join(" && ")
}

fn unsubscribe(admin: &dyn Fn(&[String]) -> String, pulsarctl: bool, topic: &str, sub: &str) -> String {
    let (t, s) = (shell::word(topic), shell::word(sub));
    if pulsarctl {
        admin(&["subscriptions".into(), "delete".into(), t, s])
    } else {
        admin(&["topics".into(), "unsubscribe".into(), "-s".into(), s, t])
    }
}

/// `persistent://tenant/ns/topic-regex` → `tenant/ns`.
fn namespace_of_pattern(pattern: &str) -> Option<String> {
    let rest = pattern.split_once("://").map_or(pattern, |(_, r)| r);
    let mut parts = rest.splitn(3, '/');
    Some(format!("{}/{}", parts.next()?, parts.next()?))
}

pub fn cleanup_job(comp: &Component, options: &BuildOptions, mut meta: ObjectMeta) -> Option<Job> {
    if !options.cleanup_hooks || !comp.wants_cleanup() {
        return None;
    }
    let messaging = comp.spec.pulsar.clone()?;
    let mut auth = messaging.clone();
    if let Some(c) = &messaging.cleanup_auth_config {
        auth.auth_config = Some(c.clone());
    }
    let script = cleanup_script(comp, &auth);
    let conn = Connection::runtime(&auth);
    let vols: Vec<_> = volumes::connection_volumes(&conn);
    let mut annotations = BTreeMap::new();
    annotations.insert("helm.sh/hook".into(), "pre-delete".into());
    annotations.insert("helm.sh/hook-delete-policy".into(), "before-hook-creation,hook-succeeded".into());
    annotations.insert("argocd.argoproj.io/hook".into(), "PostDelete".into());
    annotations.insert("argocd.argoproj.io/hook-delete-policy".into(), "HookSucceeded".into());
    meta.annotations = Some(annotations);
    let labels = meta.labels.clone();
    let template = pod::pod_template(comp, options);
    let pod_spec = template.spec.unwrap_or_default();
    let container = Container {
        name: "cleanup".into(),
        image: Some(comp.spec.cleanup_image.clone().unwrap_or_else(|| command::image(comp, options))),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["sh".into(), "-c".into(), script]),
        env_from: Some(env::main_env_from(&comp.spec, false)).filter(|v| !v.is_empty()),
        volume_mounts: Some(vols.iter().map(|(_, m)| m.clone()).collect()).filter(|v: &Vec<_>| !v.is_empty()),
        security_context: Some(pod::container_security()),
        ..Default::default()
    };
    Some(Job {
        metadata: meta,
        spec: Some(JobSpec {
            backoff_limit: Some(3),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels, ..Default::default() }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    restart_policy: Some("OnFailure".into()),
                    security_context: pod_spec.security_context,
                    service_account_name: pod_spec.service_account_name,
                    image_pull_secrets: pod_spec.image_pull_secrets,
                    volumes: Some(vols.into_iter().map(|(v, _)| v).collect()).filter(|v: &Vec<_>| !v.is_empty()),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        status: None,
    })
}
