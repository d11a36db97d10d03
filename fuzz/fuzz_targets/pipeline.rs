//! Arbitrary bytes through the whole pipeline in every mode: build (parse →
//! resolve → check → render → emit), Helm post-render, the KRM function and the
//! output-tree planner. Any panic, hang or unbounded allocation is a bug.

#![no_main]

use fmc::options::BuildOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let options = BuildOptions {
        enable_init_containers: mode & 0x10 != 0,
        cleanup_hooks: mode & 0x20 != 0,
        flux_no_substitute: mode & 0x40 != 0,
        ..BuildOptions::default()
    };
    match mode % 3 {
        0 => {
            let mut sources = fmc::source::SourceMap::default();
            sources.add("fuzz.yaml", text.to_string());
            let out = fmc::pipeline::compile(&sources, &options);
            let _ = out.yaml();
            let _ = fmc::gitops::tree::plan(&out.manifests);
            for d in out.diagnostics.iter() {
                let _ = fmc::diagnostics::report::render(d, &sources, fmc::diagnostics::report::ErrorFormat::Json, false);
            }
        }
        1 => {
            let _ = fmc::gitops::postrender::post_render(&text, &options);
        }
        _ => {
            let _ = fmc::gitops::krm::run_krm(&text, &options);
        }
    }
});
