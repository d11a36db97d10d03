//! Test results as test runners print them: a line per case, the reasons
//! under each failure, and `N passed, M failed` alone on the last line;
//! or JSON, or GitHub Actions annotations at each failing case.

use super::run::CaseResult;

/// One test file's results, and where each case is written.
pub struct SuiteOutcome {
    pub file: String,
    pub name: String,
    /// Each case with the 1-based line and column of its `name`.
    pub cases: Vec<(CaseResult, usize, usize)>,
    /// Set when the mesh or the file did not compile: every case counts as failed.
    pub broken: Option<String>,
}

impl SuiteOutcome {
    pub fn counts(&self) -> (usize, usize) {
        if self.broken.is_some() {
            return (0, self.cases.len().max(1));
        }
        let failed = self.cases.iter().filter(|(c, ..)| !c.failures.is_empty()).count();
        (self.cases.len() - failed, failed)
    }
}

pub fn totals(suites: &[SuiteOutcome]) -> (usize, usize) {
    suites.iter().map(SuiteOutcome::counts).fold((0, 0), |(p, f), (a, b)| (p + a, f + b))
}

pub fn summary(suites: &[SuiteOutcome]) -> String {
    let (passed, failed) = totals(suites);
    format!("{passed} passed, {failed} failed")
}

pub fn human(suites: &[SuiteOutcome]) -> String {
    let mut out = String::new();
    for s in suites {
        out.push_str(&format!("{} ({})\n", s.file, s.name));
        if let Some(why) = &s.broken {
            out.push_str(&format!("  FAIL  {why}\n"));
            continue;
        }
        for (case, ..) in &s.cases {
            if case.failures.is_empty() {
                out.push_str(&format!("  ok    {} ({} messages)\n", case.name, case.deliveries));
                continue;
            }
            out.push_str(&format!("  FAIL  {}\n", case.name));
            for f in &case.failures {
                for (i, line) in f.message.lines().enumerate() {
                    out.push_str(if i == 0 { "        " } else { "      " });
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out.push_str(&summary(suites));
    out.push('\n');
    out
}

pub fn json(suites: &[SuiteOutcome]) -> String {
    let (passed, failed) = totals(suites);
    let files: Vec<serde_json::Value> = suites
        .iter()
        .map(|s| {
            let cases: Vec<serde_json::Value> = s
                .cases
                .iter()
                .map(|(c, line, column)| {
                    let failures: Vec<serde_json::Value> = c
                        .failures
                        .iter()
                        .map(|f| serde_json::json!({"topic": f.topic, "message": f.message}))
                        .collect();
                    serde_json::json!({
                        "name": c.name,
                        "passed": c.failures.is_empty(),
                        "line": line,
                        "column": column,
                        "deliveries": c.deliveries,
                        "failures": failures,
                    })
                })
                .collect();
            serde_json::json!({"file": s.file, "name": s.name, "error": s.broken, "tests": cases})
        })
        .collect();
    let doc = serde_json::json!({"passed": passed, "failed": failed, "files": files});
    format!("{}\n", serde_json::to_string_pretty(&doc).expect("invariant: JSON values serialize"))
}

pub fn github(suites: &[SuiteOutcome]) -> String {
    let escape = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let mut out = String::new();
    for s in suites {
        if let Some(why) = &s.broken {
            out.push_str(&format!("::error file={},title=fmc test::{}\n", s.file, escape(why)));
            continue;
        }
        for (case, line, col) in s.cases.iter().filter(|(c, ..)| !c.failures.is_empty()) {
            let message: Vec<&str> = case.failures.iter().map(|f| f.message.as_str()).collect();
            let title = escape(&format!("fmc test: {}", case.name)).replace(',', "%2C").replace(':', "%3A");
            out.push_str(&format!(
                "::error file={},line={line},col={col},title={title}::{}\n",
                s.file,
                escape(&message.join("\n"))
            ));
        }
    }
    out.push_str(&summary(suites));
    out.push('\n');
    out
}
