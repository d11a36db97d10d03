//! `--env NAME`: an environment is a JSON Merge Patch (RFC 7386) of its mesh's
//! `spec`, applied to the spanned tree before the mesh is decoded.
//!
//! One rule for every field: maps merge key by key, a list or a scalar
//! replaces what it overrides, `null` removes. Because the patch is applied to
//! the tree and not to typed values, any field can be overridden, and a value
//! taken from the environment keeps the environment's span: a diagnostic it
//! causes points at the override, not at the base. `components.<key>` is a
//! shorthand for `functions.<key>`, `sources.<key>` or `sinks.<key>`,
//! whichever list holds the key.
//!
//! A patch key the base lacks is an addition, which is legitimate, except
//! that a typo looks the same; an added key close to a key the base has is
//! therefore P015 (a warning). Codes: R010, R012, P015.

use crate::ast::{Entry, Node, Value};
use crate::diagnostics::{Diagnostic, Diagnostics, did_you_mean};

const LISTS: [&str; 3] = ["functions", "sources", "sinks"];

/// Applies environment `name` of the Mesh document `root` (its `spec`).
/// A mesh without `environments` ignores `--env`; one that declares others
/// reports R010.
pub fn apply(root: &mut Node, name: &str, diags: &mut Diagnostics) {
    let Some(spec) = map_value(root, "spec") else { return };
    let Some(envs) = spec.get("environments") else { return };
    let Some(env) = envs.get(name) else {
        diags.push(unknown_environment(spec, envs, name));
        return;
    };
    if !matches!(env.value, Value::Map(_)) {
        return; // not a patch of the mesh: decoding `environments` reports it (P008)
    }
    let patch = resolve_components(spec, env.clone(), diags);
    let Some(spec) = map_value_mut(root, "spec") else { return };
    merge(spec, patch, diags);
}

/// The environment names a Mesh document declares, in order.
pub fn declared(root: &Node) -> Vec<String> {
    match map_value(root, "spec").and_then(|s| s.get("environments")).map(|e| &e.value) {
        Some(Value::Map(entries)) => entries.iter().map(|e| e.key.clone()).collect(),
        _ => Vec::new(),
    }
}

fn map_value<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.get(key).filter(|n| matches!(n.value, Value::Map(_)))
}

fn map_value_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries.iter_mut().find(|e| e.key == key).map(|e| &mut e.value),
        _ => None,
    }
}

fn unknown_environment(spec: &Node, envs: &Node, name: &str) -> Diagnostic {
    let span = spec.entry("environments").map_or(envs.span, |e| e.key_span);
    let keys = map_keys(envs);
    let d = Diagnostic::error("R010", span, format!("unknown environment `{name}` (from --env)"))
        .label("no environment of this name");
    match did_you_mean(name, keys.iter().map(|(k, _)| k.as_str())) {
        Some(close) => {
            let at = keys.iter().find(|(k, _)| k == close).map(|(_, s)| *s).unwrap_or(span);
            d.with_secondary(at, format!("`{close}` is declared here")).help(format!("did you mean `{close}`?"))
        }
        None => d.help(format!("declare `{name}` under `environments`, or use one of the names declared there")),
    }
}

fn map_keys(node: &Node) -> Vec<(String, crate::source::Span)> {
    match &node.value {
        Value::Map(entries) => entries.iter().map(|e| (e.key.clone(), e.key_span)).collect(),
        _ => Vec::new(),
    }
}

/// The patch with `components.<key>` moved under the list that holds `key`
/// (R012 for a key no list holds).
fn resolve_components(spec: &Node, mut patch: Node, diags: &mut Diagnostics) -> Node {
    let Value::Map(entries) = &mut patch.value else { return patch };
    let Some(at) = entries.iter().position(|e| e.key == "components") else { return patch };
    let components = entries.remove(at);
    let Value::Map(overrides) = components.value.value else { return patch };
    for o in overrides {
        let Some(list) = LISTS.iter().find(|l| spec.get(l).and_then(|m| m.get(&o.key)).is_some()) else {
            diags.push(unknown_component(spec, &o));
            continue;
        };
        let target = match entries.iter().position(|e| e.key == *list) {
            Some(i) => &mut entries[i].value,
            None => {
                let node = Node { value: Value::Map(Vec::new()), span: components.value.span };
                entries.push(Entry { key: (*list).to_string(), key_span: components.key_span, value: node });
                &mut entries.last_mut().expect("invariant: just pushed").value
            }
        };
        let one = Node { value: Value::Map(vec![o]), span: target.span };
        merge(target, one, &mut Diagnostics::default());
    }
    patch
}

fn unknown_component(spec: &Node, o: &Entry) -> Diagnostic {
    let keys: Vec<(String, crate::source::Span)> =
        LISTS.iter().filter_map(|l| spec.get(l)).flat_map(map_keys).collect();
    let d = Diagnostic::error("R012", o.key_span, format!("unknown component `{}`", o.key))
        .label("no component of this name");
    match did_you_mean(&o.key, keys.iter().map(|(k, _)| k.as_str())) {
        Some(close) => {
            let at = keys.iter().find(|(k, _)| k == close).map_or(o.key_span, |(_, s)| *s);
            d.with_secondary(at, format!("`{close}` is declared here")).help(format!("did you mean `{close}`?"))
        }
        None => d.help(format!(
            "declare `{}` under `functions, sources or sinks`, or use one of the names declared there",
            o.key
        )),
    }
}

/// RFC 7386 on spanned trees: `patch` merged into `target`.
fn merge(target: &mut Node, patch: Node, diags: &mut Diagnostics) {
    let Value::Map(patch_entries) = patch.value else {
        *target = patch;
        return;
    };
    if !matches!(target.value, Value::Map(_)) {
        *target = Node { value: Value::Map(Vec::new()), span: patch.span };
    }
    let Value::Map(entries) = &mut target.value else { unreachable!("made a map above") };
    for p in patch_entries {
        match entries.iter().position(|e| e.key == p.key) {
            Some(i) if p.value.value == Value::Null => {
                entries.remove(i);
            }
            Some(i) => merge(&mut entries[i].value, p.value, diags),
            None if p.value.value == Value::Null => {}
            None => {
                if let Some(close) = did_you_mean(&p.key, entries.iter().map(|e| e.key.as_str())) {
                    let at = entries.iter().find(|e| e.key == close).map_or(p.key_span, |e| e.key_span);
                    diags.push(added_close_to(&p, close, at));
                }
                let mut value = Node { value: Value::Null, span: p.value.span };
                merge(&mut value, p.value, diags);
                entries.push(Entry { key: p.key, key_span: p.key_span, value });
            }
        }
    }
}

fn added_close_to(p: &Entry, close: &str, at: crate::source::Span) -> Diagnostic {
    Diagnostic::warning("P015", p.key_span, format!("the environment adds `{}`, which the mesh does not have", p.key))
        .label("not in the mesh: added, not overridden")
        .with_secondary(at, format!("the mesh has `{close}` here"))
        .help(format!("did you mean `{close}`? (rename the key to override it)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn tree(text: &str) -> Node {
        let mut d = Diagnostics::default();
        crate::parse::yaml::read_documents(FileId(0), text, &mut d).remove(0).root
    }

    fn applied(text: &str, env: &str) -> (serde_json::Value, Diagnostics) {
        let mut root = tree(text);
        let mut d = Diagnostics::default();
        apply(&mut root, env, &mut d);
        let mut spec = root.to_json()["spec"].clone();
        spec.as_object_mut().unwrap().remove("environments");
        (spec, d)
    }

    const MESH: &str = "spec:
  defaults: {parallelism: 1, cluster: dev}
  functions:
    f:
      config: {thresholdCelsius: 40, unit: C}
      autoscaling: {minParallelism: 2, maxParallelism: 4}
      inputs: [a, b]
  environments:
    prod:
      defaults: {parallelism: 3}
      components:
        f: {config: {thresholdCelsius: 60}, autoscaling: {maxParallelism: 8}, inputs: [c]}
    bare:
      defaults: {cluster: null}
      functions: {f: {config: null}}
";

    #[test]
    fn maps_merge_lists_and_scalars_replace_and_null_removes() {
        let (spec, d) = applied(MESH, "prod");
        assert!(d.is_empty(), "{d:?}");
        let f = &spec["functions"]["f"];
        assert_eq!(f["config"], serde_json::json!({"thresholdCelsius": 60, "unit": "C"}));
        assert_eq!(f["autoscaling"], serde_json::json!({"minParallelism": 2, "maxParallelism": 8}));
        assert_eq!(f["inputs"], serde_json::json!(["c"]));
        assert_eq!(spec["defaults"], serde_json::json!({"parallelism": 3, "cluster": "dev"}));
        let (spec, _) = applied(MESH, "bare");
        assert_eq!(spec["defaults"], serde_json::json!({"parallelism": 1}));
        assert!(spec["functions"]["f"].get("config").is_none());
    }

    #[test]
    fn an_overriding_value_keeps_the_environments_span() {
        let mut root = tree(MESH);
        apply(&mut root, "prod", &mut Diagnostics::default());
        let path: Vec<crate::ast::PathSeg> = ["spec", "functions", "f", "config", "thresholdCelsius"]
            .iter()
            .map(|k| crate::ast::PathSeg::Key((*k).into()))
            .collect();
        let at = root.lookup(&path).span;
        assert_eq!(&MESH[at.start as usize..at.end as usize], "60");
    }

    #[test]
    fn an_added_key_close_to_one_of_the_base_is_p015() {
        let text = MESH.replace("config: {thresholdCelsius: 60}", "config: {thresholdCelcius: 60}");
        let (spec, d) = applied(&text, "prod");
        let w = d.iter().find(|d| d.code == "P015").expect("typo warned");
        assert_eq!(w.help.as_deref(), Some("did you mean `thresholdCelsius`? (rename the key to override it)"));
        assert_eq!(spec["functions"]["f"]["config"]["thresholdCelcius"], 60, "the addition is still applied");
        let added = MESH.replace("inputs: [c]", "retries: {max: 3}");
        assert!(applied(&added, "prod").1.is_empty(), "a plain addition is not warned");
    }

    #[test]
    fn unknown_environments_and_components_are_reported() {
        let (_, d) = applied(MESH, "prd");
        assert_eq!(
            d.iter().next().map(|d| (d.code, d.help.clone())),
            Some(("R010", Some("did you mean `prod`?".into())))
        );
        let (_, d) = applied(&MESH.replace("        f: {config", "        g: {config"), "prod");
        assert_eq!(d.iter().next().map(|d| d.code), Some("R012"));
        let (_, d) = applied("spec: {functions: {}}", "prod");
        assert!(d.is_empty(), "a mesh without environments ignores --env");
        let (spec, _) = applied("spec: {functions: {f: {}}, environments: {prod: 5}}", "prod");
        assert_eq!(spec["functions"], serde_json::json!({"f": {}}), "a scalar environment patches nothing");
    }
}
