//! Generated log configuration files (log4j XML/YAML, Python logging INI,
//! filebeat), rendered from `templates/` with minijinja (strict undefined).
//!
//! Only enums reach the templates (levels, formats, policies) plus the Pulsar
//! function name, so no user text can break them. The files are written by the
//! container command with a single-quoted `echo`, so, unlike the operator's
//! double-quoted echo, nothing in them is expanded or mangled by bash.

use crate::model::common::{LogFormat, LogLevel, RotatePolicy, RuntimeLogConfig};
use minijinja::{Environment, UndefinedBehavior, context};
use std::sync::LazyLock;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("invariant: default delimiters are valid");
    env.set_syntax(syntax);
    for (name, text) in [
        ("java-log4j.xml", include_str!("../../templates/java-log4j.xml.j2")),
        ("java-log4j.yaml", include_str!("../../templates/java-log4j.yaml.j2")),
        ("python-logging.ini", include_str!("../../templates/python-logging.ini.j2")),
        ("filebeat.yaml", include_str!("../../templates/filebeat.yaml.j2")),
    ] {
        env.add_template(name, text).expect("invariant: shipped templates parse");
    }
    env
});

fn render(name: &str, ctx: minijinja::Value) -> String {
    TEMPLATES
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .expect("invariant: shipped templates render with the context fmc builds")
}

/// Java level names; `panic` (not a log4j level) maps to INFO like the operator.
pub fn java_level(level: Option<LogLevel>) -> &'static str {
    match level {
        Some(LogLevel::All) => "ALL",
        Some(LogLevel::Debug) => "DEBUG",
        Some(LogLevel::Trace) => "TRACE",
        Some(LogLevel::Warn) => "WARN",
        Some(LogLevel::Error) => "ERROR",
        Some(LogLevel::Fatal) => "FATAL",
        Some(LogLevel::Off) => "OFF",
        Some(LogLevel::Info | LogLevel::Panic) | None => "INFO",
    }
}

pub fn python_level(level: Option<LogLevel>) -> &'static str {
    match level {
        Some(LogLevel::Debug) => "DEBUG",
        Some(LogLevel::Warn) => "WARNING",
        Some(LogLevel::Error) => "ERROR",
        Some(LogLevel::Fatal) => "CRITICAL",
        _ => "INFO",
    }
}

pub fn go_level(level: Option<LogLevel>) -> &'static str {
    match level {
        Some(LogLevel::Debug) => "debug",
        Some(LogLevel::Trace) => "trace",
        Some(LogLevel::Warn) => "warn",
        Some(LogLevel::Error) => "error",
        Some(LogLevel::Fatal) => "fatal",
        Some(LogLevel::Panic) => "panic",
        _ => "info",
    }
}

fn is_json(log: Option<&RuntimeLogConfig>) -> bool {
    log.and_then(|l| l.format) == Some(LogFormat::Json)
}

/// Rolling policy in effect: the configured one, or 10 MB when a sidecar ships logs.
fn policy(log: Option<&RuntimeLogConfig>, sidecar: bool) -> Option<RotatePolicy> {
    log.and_then(|l| l.rotate_policy).or(sidecar.then_some(RotatePolicy::SizedPolicyWith10MB))
}

fn cron(p: Option<RotatePolicy>) -> Option<&'static str> {
    match p? {
        RotatePolicy::TimedPolicyWithDaily => Some("0 0 0 * * ? *"),
        RotatePolicy::TimedPolicyWithWeekly => Some("0 0 0 ? * 1 *"),
        RotatePolicy::TimedPolicyWithMonthly => Some("0 0 0 1 * ? *"),
        _ => None,
    }
}

fn size(p: Option<RotatePolicy>) -> Option<&'static str> {
    match p? {
        RotatePolicy::SizedPolicyWith10MB => Some("10MB"),
        RotatePolicy::SizedPolicyWith50MB => Some("50MB"),
        RotatePolicy::SizedPolicyWith100MB => Some("100MB"),
        _ => None,
    }
}

/// Rendered texts by template and settings: a mesh has thousands of components
/// but only a handful of distinct log settings, so each is rendered once.
static CACHE: LazyLock<std::sync::Mutex<std::collections::BTreeMap<String, String>>> = LazyLock::new(Default::default);

fn cached(key: String, render: impl FnOnce() -> String) -> String {
    let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    cache.entry(key).or_insert_with(render).clone()
}

pub fn java_xml(log: Option<&RuntimeLogConfig>, sidecar: bool) -> String {
    let p = policy(log, sidecar);
    let (level, json) = (java_level(log.and_then(|l| l.level)), is_json(log));
    cached(format!("xml/{level}/{json}/{p:?}"), || {
        render("java-log4j.xml", context! { level, json, rolling => p.is_some(), cron => cron(p), size => size(p) })
    })
}

/// The YAML variant always has the rolling appender (as the operator's); with no
/// policy at all it rolls daily and at 10 MB.
pub fn java_yaml(log: Option<&RuntimeLogConfig>, sidecar: bool) -> String {
    let p = policy(log, sidecar);
    let (level, json) = (java_level(log.and_then(|l| l.level)), is_json(log));
    cached(format!("yaml/{level}/{json}/{p:?}"), || {
        render("java-log4j.yaml", context! { level, json, cron => cron(p), size => size(p) })
    })
}

pub fn python_ini(pulsar_name: &str, log: Option<&RuntimeLogConfig>, sidecar: bool) -> String {
    let p = policy(log, sidecar);
    let (rolling, handlers, max_bytes, when, interval) = match p {
        Some(RotatePolicy::SizedPolicyWith10MB) => ("size", "stream_handler,rotating_file_handler", 10 << 20, "", 0),
        Some(RotatePolicy::SizedPolicyWith50MB) => ("size", "stream_handler,rotating_file_handler", 50 << 20, "", 0),
        Some(RotatePolicy::SizedPolicyWith100MB) => ("size", "stream_handler,rotating_file_handler", 100 << 20, "", 0),
        Some(RotatePolicy::TimedPolicyWithDaily) => ("time", "stream_handler,timed_rotating_file_handler", 0, "D", 1),
        Some(RotatePolicy::TimedPolicyWithWeekly) => ("time", "stream_handler,timed_rotating_file_handler", 0, "W0", 1),
        Some(RotatePolicy::TimedPolicyWithMonthly) => {
            ("time", "stream_handler,timed_rotating_file_handler", 0, "D", 30)
        }
        None => ("", "stream_handler", 0, "", 0),
    };
    render(
        "python-logging.ini",
        context! {
            level => python_level(log.and_then(|l| l.level)), json => is_json(log), handlers, rolling,
            file => format!("logs/functions/{pulsar_name}.log"), max_bytes, when, interval,
        },
    )
}

pub fn filebeat_yaml() -> String {
    cached("filebeat".into(), || render("filebeat.yaml", context! {}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(policy: Option<RotatePolicy>, format: Option<LogFormat>) -> RuntimeLogConfig {
        RuntimeLogConfig { rotate_policy: policy, format, ..Default::default() }
    }

    #[test]
    fn python_ini_default_matches_operator_text() {
        let ini = python_ini("demo", None, false);
        assert!(ini.contains("[handlers]\nkeys=stream_handler\n"));
        assert!(ini.contains("class=logging.StreamHandler"));
        assert!(ini.contains(
            "format=[%(asctime)s] [%(levelname)s] %(filename)s:%(lineno)d %(message)s\ndatefmt=%Y-%m-%d %H:%M:%S %z\n"
        ));
        assert!(!ini.contains("rotating"));
    }

    #[test]
    fn python_ini_variants() {
        let json = python_ini("demo", Some(&log(None, Some(LogFormat::Json))), false);
        assert!(json.contains("class=pythonjsonlogger.jsonlogger.JsonFormatter\nformat=%(message)s\n"));
        for (p, bytes) in [
            (RotatePolicy::SizedPolicyWith10MB, 10485760),
            (RotatePolicy::SizedPolicyWith50MB, 52428800),
            (RotatePolicy::SizedPolicyWith100MB, 104857600),
        ] {
            let ini = python_ini("demo", Some(&log(Some(p), None)), false);
            assert!(ini.contains("keys=stream_handler,rotating_file_handler"));
            assert!(ini.contains(&format!("args=('logs/functions/demo.log', 'a', {bytes}, 5)")), "{ini}");
        }
        let daily = python_ini("demo", Some(&log(Some(RotatePolicy::TimedPolicyWithDaily), None)), false);
        assert!(daily.contains("args=('logs/functions/demo.log', 'D', 1, 5)"));
        let weekly = python_ini("demo", Some(&log(Some(RotatePolicy::TimedPolicyWithWeekly), None)), false);
        assert!(weekly.contains("'W0', 1, 5"));
        let monthly = python_ini("demo", Some(&log(Some(RotatePolicy::TimedPolicyWithMonthly), None)), false);
        assert!(monthly.contains("'D', 30, 5"));
        let sidecar = python_ini("demo", None, true);
        assert!(sidecar.contains("args=('logs/functions/demo.log', 'a', 10485760, 5)"));
        assert!(!sidecar.contains("keys=handler_stream_handler"));
    }

    #[test]
    fn java_xml_rolls_only_with_a_policy_or_sidecar() {
        let plain = java_xml(None, false);
        assert!(!plain.contains("RollingRandomAccessFile"));
        assert!(plain.contains("<value>INFO</value>"));
        let daily = java_xml(Some(&log(Some(RotatePolicy::TimedPolicyWithDaily), None)), false);
        assert!(daily.contains("<schedule>0 0 0 * * ? *</schedule>"));
        let sidecar = java_xml(None, true);
        assert!(sidecar.contains("<size>10MB</size>"));
    }

    #[test]
    fn java_yaml_parses_as_yaml() {
        for p in [None, Some(RotatePolicy::TimedPolicyWithWeekly), Some(RotatePolicy::SizedPolicyWith50MB)] {
            let text = java_yaml(Some(&log(p, Some(LogFormat::Json))), false);
            let mut d = crate::diagnostics::Diagnostics::default();
            let docs = crate::parse::yaml::read_documents(crate::source::FileId(0), &text, &mut d);
            assert!(d.is_empty() && docs.len() == 1, "{text}");
        }
    }
}
