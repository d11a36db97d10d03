//! Build options: the compile-time equivalents of the operator's flags and of its
//! controller config file (see docs/compatibility.md).

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Kubernetes namespace for resources that do not set one.
    pub default_namespace: String,
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
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            default_namespace: "default".into(),
            enable_init_containers: false,
            add_default_affinity: true,
            global_backend_config: None,
            global_backend_config_namespace: "default".into(),
            namespaced_backend_config: "backend-config".into(),
            run_as_non_root: true,
            runner_images: BTreeMap::new(),
            cleanup_hooks: false,
        }
    }
}
