//! In-process compile time (parse → … → emit) for generated meshes, with
//! criterion. The whole-process comparison with other tools is bench/compare.py.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fmc::options::BuildOptions;
use fmc::source::SourceMap;

#[path = "../bench/gen_mesh.rs"]
mod gen_mesh;

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    for n in [10usize, 100, 1000] {
        let text = gen_mesh::mesh(n);
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
    let mut group = c.benchmark_group("compile-dsl");
    group.sample_size(10);
    for n in [10usize, 100, 1000] {
        let text = gen_mesh::dsl_mesh(n);
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

criterion_group!(benches, compile);
criterion_main!(benches);
