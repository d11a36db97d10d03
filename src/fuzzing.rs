//! The body of the fuzz target (`fuzz/fuzz_targets/pipeline.rs`), in the library
//! so that every crash the fuzzer found replays as a regression test
//! (`tests/it/fuzz_regressions.rs` over `fixtures/fuzz/`).
//!
//! The first byte chooses the mode and options; the rest is the input text:
//! build (parse → resolve → check → render → emit, plus the output-tree planner
//! and every diagnostic rendered), Helm post-render, or the KRM function.

use crate::options::BuildOptions;

pub fn exercise(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let options = BuildOptions {
        keep_components: true,
        enable_init_containers: mode & 0x10 != 0,
        cleanup_hooks: mode & 0x20 != 0,
        flux_no_substitute: mode & 0x40 != 0,
        network_policy: mode & 0x80 != 0,
        ..BuildOptions::default()
    };
    match mode % 3 {
        0 => {
            let mut sources = crate::source::SourceMap::default();
            sources.add("fuzz.yaml", text.to_string());
            let out = crate::pipeline::compile(&sources, &options);
            let _ = out.yaml();
            // The native DSL's other outputs: the stream graph, operator resources, conversion.
            if let Some(streams) = &out.streams {
                let _ = crate::emit::graph::render(streams, &out.components, crate::emit::graph::GraphFormat::Dot);
            }
            // The second compile also provisions and renders everything around the workloads.
            let operator = BuildOptions {
                target_operator: true,
                environment: Some("prod".into()),
                provision: Some(crate::options::Provisioner::ResourcesOperator),
                disruption_budgets: true,
                monitor: Some(crate::options::MonitorKind::Service),
                ..options.clone()
            };
            let provisioned =
                crate::pipeline::compile(&sources, &BuildOptions { target_operator: false, ..operator.clone() });
            // Provisioned objects are named from Pulsar names: always names Kubernetes takes.
            for m in provisioned.manifests.iter().filter(|m| m.kind.starts_with("Pulsar")) {
                assert!(crate::names::object_name_problem(&m.name).is_none(), "provisioned name `{}`", m.name);
            }
            let _ = crate::pipeline::compile(&sources, &operator);
            let _ = crate::convert::convert(&sources);
            let _ = crate::gitops::tree::plan(&out.manifests);
            for d in out.diagnostics.iter() {
                for format in
                    [crate::diagnostics::report::ErrorFormat::Json, crate::diagnostics::report::ErrorFormat::Human]
                {
                    let _ = crate::diagnostics::report::render(d, &sources, format, false);
                }
            }
        }
        1 => {
            let _ = crate::gitops::postrender::post_render(&text, &options);
        }
        _ => {
            let first = crate::gitops::krm::run_krm(&text, &options);
            // The in-place path (`sources: keep`): a render of the rendered package.
            if !first.failed {
                let _ = crate::gitops::krm::run_krm(&first.text, &options);
            }
        }
    }
}

/// The body of the fuzz target `tree_paths`: objects with arbitrary kinds,
/// namespaces and names (as if parse had let anything through) planned as an
/// output tree. Every planned path must be relative, made of plain segments,
/// inside DIR, and no object may take the kustomization's place.
pub fn exercise_tree(data: &[u8]) {
    let manifests: Vec<crate::render::Manifest> = data
        .split(|b| *b == b'\n')
        .take(64)
        .enumerate()
        .map(|(doc, line)| {
            let text = String::from_utf8_lossy(line);
            let mut parts = text.split('\u{0}').map(str::to_string);
            let mut next = || parts.next().unwrap_or_default();
            let (kind, namespace, name, group) = (next(), next(), next(), next());
            crate::render::Manifest {
                api_version: format!("{group}/v1"),
                kind,
                namespace,
                name,
                yaml: "a: 1\n".into(),
                provenance: crate::model::Provenance::copied(doc),
            }
        })
        .collect();
    let Ok(tree) = crate::gitops::tree::plan(&manifests) else { return };
    assert_eq!(tree.files.len(), manifests.len() + 1, "an object took another's file or the kustomization's");
    // The same tree as two environments (`--all-envs`), one named by the input.
    let env = manifests.first().map(|m| m.name.clone()).unwrap_or_default();
    if let Ok(nested) = crate::gitops::tree::nest(vec![("prod".into(), tree.clone()), (env, tree.clone())]) {
        for path in nested.files.keys() {
            assert!(path.components().all(|c| matches!(c, std::path::Component::Normal(_))), "{}", path.display());
            assert!(path.components().count() <= 3, "{} is deeper than <env>/<namespace>/<file>", path.display());
        }
    }
    for path in tree.files.keys() {
        assert!(
            path.components().all(|c| matches!(c, std::path::Component::Normal(_))),
            "{} leaves the tree",
            path.display()
        );
        assert!(path.components().count() <= 2, "{} is deeper than <namespace>/<file>", path.display());
        assert!(path.file_name().is_some_and(|f| f.len() < 255), "{} has a file name too long", path.display());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hostile_identities_never_leave_the_tree() {
        let cases: [&[u8]; 4] = [
            b"Pod\0../../x\0p\0\nConfigMap\0\0/../../kustomization\0",
            b"..\0a\0b\0\n\0\0\0\n",
            b"X\0a/b\0c\0\nX\0a\0c\0g.h\nX\0a\0c\0g.h",
            b"ConfigMap\0ns\0nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\0",
        ];
        for data in cases {
            super::exercise_tree(data);
        }
    }
}
