//! What a function is given besides its messages: the mesh's `config` and the
//! secrets it names.
//!
//! Why secrets are read here and not written into the configuration: the
//! runner's configuration is a ConfigMap, readable by anyone who can read the
//! namespace's ConfigMaps, and it is committed to Git with the rest of `fmc
//! build`'s output. So the configuration names only environment variables;
//! Kubernetes fills them from Secret keys (`secretKeyRef`), and the runner reads
//! them once at start. A value never appears in a log line or an error: errors
//! name the variable, and `Debug` prints names only.

use std::collections::BTreeMap;

/// The function's configuration and secrets, fixed for the life of the process.
#[derive(Clone, Default, PartialEq)]
pub struct Context {
    /// The mesh's `config` for the function (any JSON value; null when none).
    pub config: serde_json::Value,
    secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("config", &self.config)
            .field("secrets", &self.secrets.keys().map(|k| (k, "<redacted>")).collect::<BTreeMap<_, _>>())
            .finish()
    }
}

impl Context {
    pub fn new(config: serde_json::Value, secrets: BTreeMap<String, String>) -> Context {
        Context { config, secrets }
    }

    /// The context a runner configuration describes: `userConfig` as it is,
    /// and each variable `secrets` names read from `env`. A variable that is
    /// not set refuses the start (Kubernetes sets them all, so one missing is
    /// a configuration error, not something to run without).
    pub fn from_config(
        config: &crate::config::Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Context, String> {
        let mut secrets = BTreeMap::new();
        for name in &config.secrets {
            let value = env(name)
                .ok_or_else(|| format!("the secret `{name}` is not set: the environment variable {name} is missing"))?;
            secrets.insert(name.clone(), value);
        }
        Ok(Context { config: config.user_config.clone(), secrets })
    }

    pub fn secrets(&self) -> &BTreeMap<String, String> {
        &self.secrets
    }

    /// `$config` and `$secrets` for a jq program, as JSON texts.
    pub fn jq_globals(&self) -> [String; 2] {
        let secrets = serde_json::Value::Object(
            self.secrets.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect(),
        );
        [self.config.to_string(), secrets.to_string()]
    }

    /// What a WebAssembly module's `fmc_init` receives (ABI 3), little-endian:
    /// `config_len:u32 config_json secrets:u32 (k_len:u32 k v_len:u32 v)*secrets`.
    pub fn init_block(&self) -> Vec<u8> {
        let config = self.config.to_string();
        let mut out = Vec::with_capacity(8 + config.len() + self.secrets.len() * 32);
        put(&mut out, config.as_bytes());
        out.extend_from_slice(&(self.secrets.len() as u32).to_le_bytes());
        for (k, v) in &self.secrets {
            put(&mut out, k.as_bytes());
            put(&mut out, v.as_bytes());
        }
        out
    }
}

impl Context {
    /// What redacts this context's secret values from error texts.
    pub fn redactor(&self) -> Redactor {
        Redactor::new(self.secrets.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// Replaces every secret value in a text by `<redacted:NAME>`: as it is, and
/// as JSON shows it once or twice escaped (a jq error prints values as JSON,
/// `tostring` of an object escapes again). Every error a function gives goes
/// through it before it leaves the evaluator, so no value reaches a log line,
/// a metric, a dead-letter property or `fmc dev`'s status. A program that
/// transforms a secret (slices it, encodes it) and fails with the result is
/// beyond it: runner/README.md says so.
#[derive(Clone, Default)]
pub struct Redactor {
    /// (form of a value, replacement), longest form first.
    forms: Vec<(String, String)>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} forms)", self.forms.len())
    }
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = (&'a str, &'a str)>) -> Redactor {
        let mut forms = Vec::new();
        for (name, value) in secrets {
            if value.is_empty() {
                continue;
            }
            let once = json_inner(value);
            let twice = json_inner(&once);
            for form in [value.to_string(), once, twice] {
                forms.push((form, format!("<redacted:{name}>")));
            }
        }
        forms.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        forms.dedup_by(|a, b| a.0 == b.0);
        Redactor { forms }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (form, replacement) in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), replacement);
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }
}

/// A string as it appears between the quotes of a JSON string.
fn json_inner(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_names_secrets_but_never_shows_their_values() {
        let ctx = Context::new(serde_json::json!({"threshold": 3}), [("API_KEY".into(), "s3cr3t".into())].into());
        let shown = format!("{ctx:?}");
        assert!(shown.contains("API_KEY") && shown.contains("threshold"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn secret_values_are_redacted_as_they_are_and_as_json_shows_them() {
        let ctx = Context::new(
            serde_json::Value::Null,
            [("K".into(), "pa\"ss\\w".into()), ("E".into(), String::new())].into(),
        );
        let r = ctx.redactor();
        assert_eq!(r.redact("x pa\"ss\\w y"), "x <redacted:K> y");
        assert_eq!(r.redact(r#"cannot add "pa\"ss\\w" and 1"#), r#"cannot add "<redacted:K>" and 1"#);
        assert_eq!(r.redact(r#""{\"k\":\"pa\\\"ss\\\\w\"}""#), r#""{\"k\":\"<redacted:K>\"}""#);
        assert_eq!(r.redact("nothing here"), "nothing here", "an empty secret redacts nothing");
    }

    #[test]
    fn the_init_block_holds_the_config_then_each_secret() {
        let ctx = Context::new(serde_json::json!(1), [("K".into(), "vv".into())].into());
        assert_eq!(
            ctx.init_block(),
            [&[1, 0, 0, 0][..], b"1", &[1, 0, 0, 0, 1, 0, 0, 0], b"K", &[2, 0, 0, 0], b"vv"].concat()
        );
        assert_eq!(ctx.jq_globals(), ["1".to_string(), r#"{"K":"vv"}"#.to_string()]);
    }
}
