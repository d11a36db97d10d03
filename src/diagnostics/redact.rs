//! Credentials never reach a diagnostic's snippet.
//!
//! A report quotes the lines around the node at fault, and the node is often
//! the very credential fmc refuses (R009, C015) — or a neighbour of one. Before a
//! source is shown, every value that looks like a credential is masked with
//! `*`, byte for byte, so every span still points where it did: the value of a
//! key named like a credential (`password`, `token`, `apiKey`, `secretToken`, …,
//! in block or flow style, `key: value` or `key=value`), and the password of a
//! URL's user info (`jdbc:postgresql://user:pass@host`). Masking errs on the
//! side of hiding: a mistaken mask costs readability, a missed one a secret.

/// Whether a mapping key names a credential (case and `-`/`_` ignored). Names of
/// references to credentials (`secretName`, `tokenFile`, `passwordPath`, …, and the
/// DSL's `secret:` naming a Secret) are not.
pub fn is_credential_key(key: &str) -> bool {
    let k: String = key.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    const NAMES: [&str; 13] = [
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "credential",
        "privatekey",
        "accesskey",
        "clientsecret",
        "pwd",
        "authenticationparameters",
        "authparams",
    ];
    const REFERENCES: [&str; 9] = ["name", "url", "path", "file", "ref", "map", "mount", "provider", "plugin"];
    // `keySecretKey`, `certSecretKey`: the name of a key inside a Secret.
    let key_in_secret = k.ends_with("secretkey") && k.len() > "secretkey".len();
    NAMES.iter().any(|n| k.contains(n))
        && !REFERENCES.iter().any(|r| k.contains(r))
        && !key_in_secret
        && k != "secrets"
        && k != "secret"
}

/// Whether a string holds a credential by its shape: a URL with a password in its
/// user info, or a `password=…` parameter.
pub fn holds_url_credential(value: &str) -> bool {
    userinfo_password(value).is_some() || param_credentials(value).next().is_some()
}

/// `text` with every credential value masked and every control character (tab
/// and line breaks aside) shown as `?`, so a snippet can neither leak a secret
/// nor send escape sequences to the reader's terminal. Same length in bytes.
pub fn mask(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for (i, c) in text.char_indices() {
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
            bytes[i..i + c.len_utf8()].fill(b'?');
        }
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        for (start, end) in line_secrets(line) {
            bytes[offset + start..offset + end].fill(b'*');
        }
        offset += line.len();
    }
    String::from_utf8(bytes).expect("invariant: only whole UTF-8 sequences are replaced by ASCII")
}

/// Byte ranges (within `line`) of the credential values on one line.
fn line_secrets(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let flow = line.contains('{') || line.contains('[');
    let mut i = 0;
    let b = line.as_bytes();
    while i < b.len() {
        // A key: a run of identifier characters, optionally quoted, then `:` or `=`.
        if !is_key_byte(b[i]) || (i > 0 && is_key_byte(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_key_byte(b[i]) {
            i += 1;
        }
        let key = &line[start..i];
        let mut j = i;
        if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
            j += 1;
        }
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        let separator =
            j < b.len() && (b[j] == b'=' || (b[j] == b':' && b.get(j + 1).is_none_or(|c| c.is_ascii_whitespace())));
        if separator && is_credential_key(key) {
            let (vs, ve) = value_range(line, j + 1, flow || b[j] == b'=');
            if ve > vs {
                out.push((vs, ve));
            }
            i = ve.max(i);
        }
    }
    if let Some(r) = userinfo_password(line) {
        out.push(r);
    }
    out.extend(param_credentials(line));
    out
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.'
}

/// The value after a separator: a quoted string, or up to the end of the line
/// (a comment excluded), or in flow style / `k=v` lists up to `,` `}` `]` `;` `&`.
fn value_range(line: &str, from: usize, delimited: bool) -> (usize, usize) {
    let b = line.as_bytes();
    let mut s = from;
    while s < b.len() && b[s] == b' ' {
        s += 1;
    }
    if s < b.len() && (b[s] == b'{' || b[s] == b'[' || b[s] == b'&' || b[s] == b'*') {
        // A nested mapping or list (its keys are scanned on their own), an anchor or an alias.
        return (s, s);
    }
    if s < b.len() && (b[s] == b'"' || b[s] == b'\'') {
        let q = b[s];
        let mut e = s + 1;
        while e < b.len() && b[e] != q {
            e += if b[e] == b'\\' && q == b'"' { 2 } else { 1 };
        }
        return (s + 1, e.min(b.len()));
    }
    let mut e = s;
    while e < b.len() && b[e] != b'\n' && b[e] != b'\r' {
        if delimited && matches!(b[e], b',' | b'}' | b']' | b';' | b'&') {
            break;
        }
        if b[e] == b'#' && e > s && b[e - 1] == b' ' {
            break;
        }
        e += 1;
    }
    while e > s && b[e - 1] == b' ' {
        e -= 1;
    }
    (s, e)
}

/// The password of the first `scheme://user:password@` in `s`.
fn userinfo_password(s: &str) -> Option<(usize, usize)> {
    let at = s.find("://")? + 3;
    let rest = &s[at..];
    let end = rest.find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'').unwrap_or(rest.len());
    let authority = &rest[..end];
    let amp = authority.rfind('@')?;
    let colon = authority[..amp].find(':')?;
    (amp > colon + 1).then_some((at + colon + 1, at + amp))
}

/// Values of `password=…`-style parameters (JDBC, query strings).
fn param_credentials(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    s.match_indices('=').filter_map(move |(eq, _)| {
        // The key starts after the last character that cannot be in one
        // (which may be several bytes long: never slice inside it).
        let key_start = s[..eq]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let key = &s[key_start..eq];
        if key.is_empty() || !is_credential_key(key) {
            return None;
        }
        let (vs, ve) = value_range(s, eq + 1, true);
        (ve > vs).then_some((vs, ve))
    })
}

/// C015 for a URL fmc would copy into a rendered object (a cluster's service
/// URL, a package URL, a connector config) that carries a password: refused,
/// so the rendered object never holds it.
pub fn url_credentials(span: crate::source::Span, field: &str) -> super::Diagnostic {
    super::Diagnostic::error("C015", span, format!("inline credentials: `{field}` holds a URL with a password"))
        .label("copied into the rendered objects as written")
        .help(
            "drop the credentials from the URL and give them as the cluster's `auth` (a Secret), or through `secrets`",
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_credential_values_keeping_offsets() {
        let text = "a: 1\npassword: hunter2 # old\napiKey: \"k-123\"\ncfg: {secretToken: abc, user: u}\nurl: jdbc:postgresql://app:s3cr3t@db:5432/x?password=p4ss&ssl=1\ncertSecretName: ca\n";
        let masked = mask(text);
        assert_eq!(masked.len(), text.len());
        for secret in ["hunter2", "k-123", "abc", "s3cr3t", "p4ss"] {
            assert!(!masked.contains(secret), "{secret} in {masked}");
        }
        assert_eq!(mask("a: \u{1b}[31m\0\u{85}\n"), "a: ?[31m???\n");
        let refs = "token: {secret: t, key: token}\n";
        assert_eq!(mask(refs), refs);
        for kept in ["password:", "# old", "user: u", "certSecretName: ca", "db:5432", "ssl=1"] {
            assert!(masked.contains(kept), "{kept} lost in {masked}");
        }
    }

    #[test]
    fn credential_key_names() {
        for k in ["password", "apiKey", "api_key", "secretToken", "clientSecret", "db.password", "PRIVATE_KEY"] {
            assert!(is_credential_key(k), "{k}");
        }
        for k in
            ["secretName", "tokenFile", "passwordPath", "keySecretName", "keySecretKey", "secrets", "tokenUrl", "user"]
        {
            assert!(!is_credential_key(k), "{k}");
        }
        assert!(holds_url_credential("mysql://root:pw@db/x"));
        assert!(holds_url_credential("host=db;password=pw"));
        assert!(!holds_url_credential("https://example.com/path"));
    }
}
