//! The body of the fuzz target `runner_message` (`fuzz/fuzz_targets/`), in the
//! library so that a crash it finds replays as a regression test.
//!
//! One message through everything the runner does with a stranger's payload:
//! the JSON depth check, jq and route programs, and schema validation (Avro
//! binary, JSON against a record, primitives, protobuf wire format). The first
//! byte picks the program and the schema; the rest is the payload. Any panic,
//! stack overflow or unbounded allocation is a bug.

use crate::function::{Jq, Record, Route, UserFunction};
use crate::validate::PayloadSchema;
use std::cell::RefCell;

const PROGRAMS: [&str; 4] =
    [".", ".a.b // .", "[.. | numbers] | add", "if type == \"object\" then to_entries else . end"];

const SCHEMAS: [&str; 4] = [
    r#"{"format":"avro","root":{"record":[{"name":"id","type":"long"},{"name":"tags","type":{"array":"string"}},{"name":"n","type":{"union":["null",{"ref":"N"}]}}]},"named":{"N":{"record":[{"name":"v","type":{"map":"double"}},{"name":"next","type":{"union":["null",{"ref":"N"}]}}]}}}"#,
    r#"{"format":"json","root":{"record":[{"name":"id","type":"long"},{"name":"kind","type":{"enum":["a","b"]}},{"name":"opt","type":"string","optional":true}]}}"#,
    r#"{"format":"primitive","kind":"INT64"}"#,
    r#"{"format":"protobuf"}"#,
];

struct Fixtures {
    jq: Vec<Jq>,
    route: Route,
    schemas: Vec<PayloadSchema>,
}

fn fixtures() -> Fixtures {
    Fixtures {
        jq: PROGRAMS.iter().map(|p| Jq::compile(p).expect("invariant: the fixture programs compile")).collect(),
        route: Route::new(
            Jq::compile(".route // \"a\"").expect("invariant: compiles"),
            [("a".to_string(), "persistent://t/n/a".to_string())].into(),
        ),
        schemas: SCHEMAS
            .iter()
            .map(|s| serde_json::from_str(s).expect("invariant: the fixture schemas parse"))
            .collect(),
    }
}

thread_local! {
    static FIXTURES: RefCell<Fixtures> = RefCell::new(fixtures());
}

pub fn exercise(data: &[u8]) {
    let Some((&choice, payload)) = data.split_first() else { return };
    FIXTURES.with_borrow_mut(|f| {
        let _ = f.schemas[(choice >> 2) as usize % f.schemas.len()].check(payload);
        let input = Record { payload: payload.to_vec(), ..Record::default() };
        if choice & 3 == 3 {
            let _ = f.route.process(&input);
        } else {
            let _ = f.jq[(choice & 3) as usize].process(&input);
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn hostile_messages_are_errors_not_crashes() {
        let deep = [b"\x00".to_vec(), b"[".repeat(100_000)].concat();
        for data in [&b""[..], b"\x00{\"a\":{\"b\":1}}", b"\x03{\"route\":\"zz\"}", b"\x05\xff\xff\xff", &deep] {
            super::exercise(data);
        }
    }
}
