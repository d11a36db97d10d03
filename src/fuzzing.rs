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
            let operator = BuildOptions { target_operator: true, environment: Some("prod".into()), ..options.clone() };
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
            let _ = crate::gitops::krm::run_krm(&text, &options);
        }
    }
}
