//! Shell quoting for the `bash -c` command line.

/// Single-quotes `s` for POSIX shells: `'` becomes `'"'"'` (the operator's
/// `shellQuoteLiteral`). The result is always one literal word.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r#"'"'"'"#))
}

/// Like [`quote`], but each `${VAR}` for a name in `vars` is left outside the
/// single quotes (inside double quotes), so the shell expands exactly those.
pub fn quote_expanding(s: &str, vars: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((at, var)) =
        vars.iter().filter_map(|v| rest.find(&format!("${{{v}}}")).map(|i| (i, *v))).min_by_key(|(i, _)| *i)
    {
        if at > 0 {
            out.push_str(&quote(&rest[..at]));
        }
        out.push_str(&format!("\"${{{var}}}\""));
        rest = &rest[at + var.len() + 3..];
    }
    if !rest.is_empty() || out.is_empty() {
        out.push_str(&quote(rest));
    }
    out
}

/// `s` unchanged when it is a plain word (letters, digits and `-_./:=@%+,*`), else
/// [`quote`]d. Used for user values the operator inserts unquoted (names, paths):
/// identical output for ordinary values, no breakage for unusual ones.
pub fn word(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain { s.to_string() } else { quote(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_operator_shell_quote_literal() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("auth-params"), "'auth-params'");
        assert_eq!(quote("a'b"), r#"'a'"'"'b'"#);
        assert_eq!(quote("yyyy-MM-dd/HH'h'-mm'm'"), r#"'yyyy-MM-dd/HH'"'"'h'"'"'-mm'"'"'m'"'"''"#);
    }

    #[test]
    fn quote_expanding_leaves_only_named_variables_to_the_shell() {
        assert_eq!(quote_expanding("a${X}b${Y}c", &["X"]), r#"'a'"${X}"'b${Y}c'"#);
        assert_eq!(quote_expanding("${X}", &["X"]), r#""${X}""#);
        assert_eq!(quote_expanding("", &["X"]), "''");
    }

    #[test]
    fn words_stay_plain_when_safe() {
        assert_eq!(word("/pulsar/examples/api-examples.jar"), "/pulsar/examples/api-examples.jar");
        assert_eq!(word("a b"), "'a b'");
        assert_eq!(word("$x"), "'$x'");
    }
}
