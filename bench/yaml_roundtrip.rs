//! The floor for any YAML-in/YAML-out tool: read a multi-document YAML stream and
//! write it back, with the same YAML crate fmc uses (yaml-rust2), nothing else.
//!
//! usage: cargo run --release --example yaml-roundtrip -- FILE > /dev/null

use std::io::Write;
use yaml_rust2::{YamlEmitter, YamlLoader};

fn main() {
    let path = std::env::args().nth(1).expect("usage: yaml-roundtrip FILE");
    let text = std::fs::read_to_string(&path).expect("readable file");
    let docs = YamlLoader::load_from_str(&text).expect("valid YAML");
    let mut out = String::new();
    for doc in &docs {
        let mut emitter = YamlEmitter::new(&mut out);
        emitter.multiline_strings(true);
        emitter.dump(doc).expect("emit");
        out.push('\n');
    }
    std::io::stdout().write_all(out.as_bytes()).expect("stdout");
}
