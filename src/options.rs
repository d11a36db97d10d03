//! Build options: the compile-time equivalents of the operator's flags and of its
//! controller config file (see docs/compatibility.md).

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Kubernetes namespace for resources that do not set one.
    pub default_namespace: String,
    /// Write `metadata.namespace` on objects whose resource set none. Off in
    /// plug-in modes, where the caller (Helm, kustomize) decides the namespace.
    pub write_default_namespace: bool,
    /// `--enable-init-containers`: download packages in an init container.
    pub enable_init_containers: bool,
    /// `--add-default-affinity`: add the preferred pod anti-affinity.
    pub add_default_affinity: bool,
    /// Name of the global BackendConfig (operator `--global-backend-config`); off when `None`.
    pub global_backend_config: Option<String>,
    /// Namespace of the global BackendConfig.
    pub global_backend_config_namespace: String,
    /// Name of the per-namespace BackendConfig.
    pub namespaced_backend_config: String,
    /// `runAsNonRoot` in the default pod security context. The operator defaults to
    /// `false`; fmc defaults to `true` so pods pass the "restricted" Pod Security
    /// Standard (the runner images run as uid 10000).
    pub run_as_non_root: bool,
    /// Overrides of the default runner images (`java`, `python`, `go`, or
    /// `generic/<language>`), like the controller config's `runnerImages`.
    pub runner_images: BTreeMap<String, String>,
    /// Render the subscription-cleanup Job as a Helm/Argo CD delete hook.
    pub cleanup_hooks: bool,
    /// Controller config `resourceLabels`: added to every pod template.
    pub resource_labels: BTreeMap<String, String>,
    /// Controller config `resourceAnnotations`: added to every pod template.
    pub resource_annotations: BTreeMap<String, String>,
    /// Controller config `runnerImagePullSecrets`: appended to every pod's pull secrets.
    pub runner_image_pull_secrets: Vec<String>,
    /// Controller config `runnerImagePullPolicy`: the main container's default pull policy.
    pub runner_image_pull_policy: Option<String>,
    /// Stamp `kustomize.toolkit.fluxcd.io/substitute: disabled` on generated
    /// objects that contain `${…}` (Flux post-build substitution would mangle them).
    pub flux_no_substitute: bool,
    /// Render a NetworkPolicy per component: ingress only to the metrics port.
    pub network_policy: bool,
    /// `--provision resources-operator`: also render the Pulsar resources a
    /// native mesh declares (tenants, namespaces, topics with their schemas)
    /// as pulsar-resources-operator custom resources (`lower/provision.rs`).
    pub provision: Option<Provisioner>,
    /// `--disruption-budgets`: a PodDisruptionBudget for every component
    /// that can run more than one replica (a mesh or component may still opt out).
    pub disruption_budgets: bool,
    /// `--monitor pod|service`: a Prometheus Operator PodMonitor or
    /// ServiceMonitor for every component's metrics port.
    pub monitor: Option<MonitorKind>,
    /// `--keep-autoscaled-replicas`: write `replicas` on workloads an HPA or
    /// KEDA scales (left out by default, so that applying the committed
    /// manifest does not reset the autoscaler's choice).
    pub keep_autoscaled_replicas: bool,
    /// `--python-runner fmc`: run every Python function in fmc's runner
    /// instead of the upstream Python instance (a component may still choose).
    pub python_runner: RunnerChoice,
    /// `--go-runner fmc`: start every Go function from fmc's runner image
    /// (it fetches the binary and executes it) instead of the operator's Go
    /// runner image, which carries a JRE and every Pulsar jar.
    pub go_runner: RunnerChoice,
    /// `--env NAME`: the environment of native meshes whose overrides apply.
    pub environment: Option<String>,
    /// `--target operator`: emit Function Mesh resources, not plain manifests.
    pub target_operator: bool,
    /// Keep the resolved components in the compile output (for `fmc graph`).
    pub keep_components: bool,
    /// `--root DIR`: the folder every input may read files from, in place of
    /// each file's own root (and the only way stdin and plug-in input read any).
    pub read_root: Option<std::path::PathBuf>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            default_namespace: "default".into(),
            write_default_namespace: true,
            enable_init_containers: false,
            add_default_affinity: true,
            global_backend_config: None,
            global_backend_config_namespace: "default".into(),
            namespaced_backend_config: "backend-config".into(),
            run_as_non_root: true,
            runner_images: BTreeMap::new(),
            cleanup_hooks: false,
            environment: None,
            target_operator: false,
            keep_components: false,
            resource_labels: BTreeMap::new(),
            resource_annotations: BTreeMap::new(),
            runner_image_pull_secrets: Vec::new(),
            runner_image_pull_policy: None,
            flux_no_substitute: false,
            network_policy: false,
            provision: None,
            disruption_budgets: false,
            monitor: None,
            keep_autoscaled_replicas: false,
            python_runner: RunnerChoice::Operator,
            go_runner: RunnerChoice::Operator,
            read_root: None,
        }
    }
}

impl BuildOptions {
    /// Refuses option values that would become a namespace, an object name or
    /// a folder of the output tree and cannot be one, whatever set them (flag,
    /// environment variable, function config, Argo CD's application
    /// namespace): they pass the same checks as the same values in documents.
    pub fn validate(&self) -> Result<(), String> {
        let namespaces = [
            ("namespace", &self.default_namespace),
            ("globalBackendConfigNamespace", &self.global_backend_config_namespace),
        ];
        for (option, value) in namespaces {
            if let Some(problem) = crate::names::namespace_problem(value) {
                return Err(format!("`{option}` `{}` is not a namespace: {problem}", value.escape_debug()));
            }
        }
        let names = [
            ("globalBackendConfig", self.global_backend_config.as_ref()),
            ("namespacedBackendConfig", Some(&self.namespaced_backend_config)),
        ];
        for (option, value) in names {
            if let Some(problem) = value.and_then(|v| crate::names::object_name_problem(v)) {
                let value = value.map(|v| v.escape_debug().to_string()).unwrap_or_default();
                return Err(format!("`{option}` `{value}` cannot name an object: {problem}"));
            }
        }
        Ok(())
    }
}

/// Who provisions the Pulsar resources a mesh declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioner {
    /// StreamNative's pulsar-resources-operator (`resource.streamnative.io/v1alpha1`).
    ResourcesOperator,
}

impl Provisioner {
    pub fn parse(text: &str) -> Option<Self> {
        (text == "resources-operator").then_some(Provisioner::ResourcesOperator)
    }
}

/// What runs a Python function: the upstream Python instance in the
/// operator's runner image (operator-exact, the default), or fmc's runner
/// with its Python engine (`runner/`, `python/`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunnerChoice {
    #[default]
    Operator,
    Fmc,
}

impl RunnerChoice {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "operator" => Some(RunnerChoice::Operator),
            "fmc" => Some(RunnerChoice::Fmc),
            _ => None,
        }
    }
}

/// The Prometheus Operator object that scrapes a component's metrics port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MonitorKind {
    /// A `PodMonitor` selecting the component's pods (port `http-metrics`).
    Pod,
    /// A `ServiceMonitor` selecting the component's headless Service.
    Service,
    /// No monitor (to opt a component out of a mesh-wide one).
    None,
}

impl MonitorKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pod" => Some(MonitorKind::Pod),
            "service" => Some(MonitorKind::Service),
            "none" => Some(MonitorKind::None),
            _ => None,
        }
    }
}

impl BuildOptions {
    /// Applies the operator's controller config file (Helm value
    /// `controllerManager.*`, mounted as `config.yaml`). Like the operator, which
    /// parses it through JSON, keys match case-insensitively.
    /// The controller config file's settings, from its parsed document (the
    /// CLI reads and parses the file: options are vocabulary, not a stage).
    pub fn apply_controller_config(&mut self, root: &serde_json::Value) -> Result<(), String> {
        if root.is_null() {
            return Ok(());
        }
        let get = |v: &serde_json::Value, key: &str| -> Option<serde_json::Value> {
            v.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone())
        };
        let strings = |v: Option<serde_json::Value>| -> BTreeMap<String, String> {
            v.and_then(|v| v.as_object().cloned())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                .collect()
        };
        if let Some(images) = get(root, "runnerImages") {
            for key in ["java", "python", "go"] {
                if let Some(img) =
                    get(&images, key).and_then(|v| v.as_str().map(str::to_string)).filter(|s| !s.is_empty())
                {
                    self.runner_images.insert(key.to_string(), img);
                }
            }
            for (lang, img) in strings(get(&images, "genericRuntime")) {
                self.runner_images.insert(format!("generic/{lang}"), img);
            }
        }
        self.resource_labels.extend(strings(get(root, "resourceLabels")));
        self.resource_annotations.extend(strings(get(root, "resourceAnnotations")));
        for secret in get(root, "runnerImagePullSecrets").and_then(|v| v.as_array().cloned()).unwrap_or_default() {
            if let Some(name) = get(&secret, "name").and_then(|n| n.as_str().map(str::to_string)) {
                self.runner_image_pull_secrets.push(name);
            }
        }
        if let Some(p) =
            get(root, "runnerImagePullPolicy").and_then(|v| v.as_str().map(str::to_string)).filter(|s| !s.is_empty())
        {
            self.runner_image_pull_policy = Some(p);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_config_keys_match_case_insensitively() {
        let mut o = BuildOptions::default();
        let config = serde_json::json!({
            "runnerimages": {"java": "j:latest", "python": "p:latest", "go": "g:latest", "genericRuntime": {"nodejs": "n:1"}},
            "resourceLabels": {"functionmesh.io/managedBy": "function-mesh", "foo": "bar"},
            "resourceAnnotations": {"fooAnnotation": "barAnnotation"},
            "runnerImagePullSecrets": [{"name": "regcred"}],
            "runnerImagePullPolicy": "Always",
        });
        o.apply_controller_config(&config).unwrap();
        assert_eq!(o.runner_images["java"], "j:latest");
        assert_eq!(o.runner_images["generic/nodejs"], "n:1");
        assert_eq!(o.resource_labels["foo"], "bar");
        assert_eq!(o.resource_annotations["fooAnnotation"], "barAnnotation");
        assert_eq!(o.runner_image_pull_secrets, vec!["regcred".to_string()]);
        assert_eq!(o.runner_image_pull_policy.as_deref(), Some("Always"));
        let mut empty = BuildOptions::default();
        empty.apply_controller_config(&serde_json::Value::Null).unwrap();
        assert!(empty.runner_images.is_empty() && empty.resource_labels.is_empty());
    }
}
