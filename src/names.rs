//! Every generated Kubernetes name goes through here, and every Pulsar topic
//! name is checked here (lower and check both need the rule: it is shared
//! vocabulary, not a check stage's own).
//!
//! Names are DNS-1123 labels of at most 63 characters. A StatefulSet's name must
//! leave room for the pod label `controller-revision-hash=<name>-<10 chars>`, so
//! it may have at most [`MAX_STATEFULSET_NAME`] characters. Too-long names are
//! shortened deterministically: a prefix plus 8 hex digits of the SHA-256 of the
//! full name, so two different long names never collide in practice and the same
//! input always gives the same output.

use sha2::{Digest, Sha256};

pub const MAX_LABEL: usize = 63;
pub const MAX_STATEFULSET_NAME: usize = 52;

/// Why `name` is not an RFC 1123 label, if it is not.
pub fn rfc1123_label_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".into());
    }
    if name.len() > 253 {
        return Some(format!("the name has {} characters (at most 253)", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.')) {
        return Some(format!("the name contains `{c}`"));
    }
    let first_last_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_last_ok(name.chars().next()) || !first_last_ok(name.chars().last()) {
        return Some("the name must start and end with a letter or digit".into());
    }
    None
}

/// Why `namespace` is not a namespace name (a DNS-1123 label: at most 63
/// characters of `a-z`, `0-9` and `-`, alphanumeric at both ends), if it is not.
pub fn namespace_problem(namespace: &str) -> Option<String> {
    if namespace.len() > MAX_LABEL {
        return Some(format!("the namespace has {} characters (at most {MAX_LABEL})", namespace.len()));
    }
    if namespace.contains('.') {
        return Some("the namespace contains `.`".into());
    }
    rfc1123_label_problem(namespace).map(|p| p.replace("the name", "the namespace"))
}

/// Why `name` cannot name an object fmc passes through, if it cannot. Kinds
/// differ in what they accept (most want a DNS-1123 subdomain, RBAC objects
/// allow `:`), but no kind accepts what the API server refuses in a path
/// segment (`/`, `%`, `.`, `..`) nor a control character; those are refused.
pub fn object_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".into());
    }
    if name.len() > 253 {
        return Some(format!("the name has {} characters (at most 253)", name.len()));
    }
    if name == "." || name == ".." {
        return Some(format!("the name is `{name}`"));
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '/' | '\\' | '%') || c.is_control() || c.is_whitespace()) {
        return Some(format!("the name contains `{}`", c.escape_debug()));
    }
    None
}

/// Why `kind` is not a Kubernetes kind (an identifier: an ASCII letter, then
/// letters and digits, at most 63 characters), if it is not.
pub fn kind_problem(kind: &str) -> Option<String> {
    let ident = kind.starts_with(|c: char| c.is_ascii_alphabetic()) && kind.chars().all(|c| c.is_ascii_alphanumeric());
    if !ident || kind.len() > MAX_LABEL {
        let shown: String = kind.chars().take(40).flat_map(char::escape_debug).collect();
        return Some(format!("`{shown}` is not a kind (letters and digits, starting with a letter)"));
    }
    None
}

/// Why `name` cannot name a workload: Services need RFC 1035 labels (no dots,
/// starting with a letter), and every derived name starts with it.
pub fn workload_name_problem(name: &str) -> Option<String> {
    if let Some(p) = rfc1123_label_problem(name) {
        return Some(p);
    }
    if name.contains('.') {
        return Some("the name contains `.`; Service names derived from it cannot".into());
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("the name must start with a letter (Service names derived from it must)".into());
    }
    None
}

/// Hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `name` itself if it has at most `max` characters, else `<prefix>-<8 hex>`.
pub fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let hash = &sha256_hex(name)[..8];
    let mut keep = max.saturating_sub(9).min(name.len());
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    let prefix = name[..keep].trim_end_matches(['-', '.']);
    format!("{prefix}-{hash}")
}

/// A stand-in for the custom resource's UID (the operator puts it in
/// `--function_id`): a UUID-shaped string derived from kind, namespace and name,
/// stable across builds.
pub fn stable_uid(kind: &str, namespace: &str, name: &str) -> String {
    let h = sha256_hex(&format!("fmc/{kind}/{namespace}/{name}"));
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// The operator's `sanitizeVolumeName`: lower-case, runs of characters outside
/// `[-a-z0-9]` become `-`, at most 63 characters, no `-` at either end.
pub fn sanitize_volume_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
    }
    out.truncate(MAX_LABEL);
    out.trim_matches('-').to_string()
}

/// Why `name` is not a Pulsar topic name (`[persistent|non-persistent]://t/ns/topic`,
/// `t/ns/topic`, the legacy `t/cluster/ns/topic`, or a short `topic`).
pub fn topic_problem(name: &str) -> Option<String> {
    let rest = match name.split_once("://") {
        Some(("persistent" | "non-persistent", rest)) => rest,
        Some((domain, _)) => return Some(format!("unknown domain `{}`", domain.escape_debug())),
        None => name,
    };
    let parts: Vec<&str> = rest.split('/').collect();
    if name.contains("://") && !matches!(parts.len(), 3 | 4) {
        return Some("expected `tenant/namespace/topic` after the domain".into());
    }
    if !matches!(parts.len(), 1 | 3 | 4) {
        return Some("expected `topic`, `tenant/namespace/topic` or a full topic URL".into());
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Some("empty name part".into());
    }
    if name.chars().any(char::is_whitespace) {
        return Some("contains white space".into());
    }
    let (local, entities) = parts.split_last().expect("invariant: at least one part");
    entities.iter().find_map(|e| entity_problem(e)).or_else(|| local_name_problem(local))
}

/// Why a tenant, namespace or cluster segment is not one Pulsar accepts
/// (its `NamedEntity` rule: letters, digits, `_`, `-`, `=`, `:` and `.`),
/// or one that would address something else (`.`, `..`).
fn entity_problem(segment: &str) -> Option<String> {
    if segment == "." || segment == ".." {
        return Some(format!("`{segment}` cannot be a tenant or namespace"));
    }
    let bad = segment.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '=' | ':' | '.')));
    bad.map(|c| {
        format!(
            "`{}` in `{}`: Pulsar's names hold letters, digits, `_`, `-`, `=`, `:` and `.`",
            c.escape_debug(),
            segment.escape_debug()
        )
    })
}

/// Why a topic's own name cannot be one: a path segment of the admin API
/// (`.`, `..`) or a control character (NUL included).
fn local_name_problem(local: &str) -> Option<String> {
    if local == "." || local == ".." {
        return Some(format!("`{local}` cannot be a topic name"));
    }
    local
        .chars()
        .find(|c| c.is_control())
        .map(|c| format!("the topic name holds the control character `{}`", c.escape_debug()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept_and_long_ones_hashed() {
        assert_eq!(shorten("abc", 52), "abc");
        let long = "a".repeat(60);
        let s = shorten(&long, 43);
        assert_eq!(s.len(), 43);
        assert_eq!(s, shorten(&long, 43));
        assert_ne!(s, shorten(&"a".repeat(61), 43));
        // Never splits a character (names are checked earlier, but stay safe).
        assert!(shorten(&"é".repeat(40), 43).len() <= 43);
    }

    #[test]
    fn sanitize_matches_operator_examples() {
        assert_eq!(sanitize_volume_name("auth.json"), "auth-json");
        assert_eq!(sanitize_volume_name("test-secret-test-key"), "test-secret-test-key");
        assert_eq!(sanitize_volume_name("-A_b-"), "a-b");
    }

    #[test]
    fn rfc1123() {
        assert!(rfc1123_label_problem("function-sample").is_none());
        assert!(rfc1123_label_problem("Function").is_some());
        assert!(rfc1123_label_problem("-x").is_some());
    }
}
