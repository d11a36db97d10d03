//! In-process compile time (parse → … → emit) for generated meshes, with
//! criterion. The whole-process comparison with other tools is bench/compare.py.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fmc::options::BuildOptions;
use fmc::source::SourceMap;

#[path = "../bench/gen_mesh.rs"]
mod gen_mesh;

/// A benchmark group name and the generator of its input (N functions → YAML).
type Form = (&'static str, fn(usize) -> String);

/// Whole-pipeline compile time for meshes of `n` functions, in both input forms.
fn compile(c: &mut Criterion) {
    let forms: [Form; 2] = [("compile", gen_mesh::mesh), ("compile-dsl", gen_mesh::dsl_mesh)];
    for (group_name, generate) in forms {
        let mut group = c.benchmark_group(group_name);
        group.sample_size(10);
        for n in [10usize, 100, 1000] {
            let text = generate(n);
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
                b.iter(|| {
                    let mut sources = SourceMap::default();
                    sources.add("mesh.yaml", text.clone());
                    let out = fmc::pipeline::compile(&sources, &BuildOptions::default());
                    assert!(!out.has_errors());
                    out.yaml().len()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, compile);
criterion_main!(benches);
