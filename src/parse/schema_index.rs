//! Field-name lookup in a generated JSON Schema, for "did you mean" hints.
//!
//! Walks `properties`, `additionalProperties`, `items`, `$ref` and the
//! `anyOf`/`oneOf`/`allOf` branches that schemars emits for `Option<T>` and enums.

use crate::ast::PathSeg;
use schemars::JsonSchema;
use serde_json::Value;

pub struct SchemaIndex {
    root: Value,
}

impl SchemaIndex {
    pub fn of<T: JsonSchema>() -> Self {
        SchemaIndex { root: schemars::schema_for!(T).to_value() }
    }

    /// The property names of the object at `path` (empty when unknown).
    pub fn properties_at(&self, path: &[PathSeg]) -> Vec<String> {
        let mut current = vec![&self.root];
        for seg in path {
            current = current.into_iter().flat_map(|s| self.branches(s)).filter_map(|s| self.step(s, seg)).collect();
        }
        let mut names: Vec<String> = current
            .into_iter()
            .flat_map(|s| self.branches(s))
            .filter_map(|s| s.get("properties").and_then(Value::as_object))
            .flat_map(|p| p.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn step<'a>(&'a self, schema: &'a Value, seg: &PathSeg) -> Option<&'a Value> {
        match seg {
            PathSeg::Key(k) => schema
                .get("properties")
                .and_then(|p| p.get(k))
                .or_else(|| schema.get("additionalProperties").filter(|v| v.is_object())),
            PathSeg::Index(_) => schema.get("items"),
            PathSeg::Entry(_) => schema.get("additionalProperties").filter(|v| v.is_object()),
        }
    }

    /// The schema itself plus everything it refers to or combines, flattened.
    fn branches<'a>(&'a self, schema: &'a Value) -> Vec<&'a Value> {
        let mut out = Vec::new();
        let mut todo = vec![schema];
        while let Some(s) = todo.pop() {
            if out.len() > 64 {
                break;
            }
            if let Some(target) = s.get("$ref").and_then(Value::as_str).and_then(|r| self.resolve(r)) {
                todo.push(target);
            }
            for key in ["anyOf", "oneOf", "allOf"] {
                if let Some(list) = s.get(key).and_then(Value::as_array) {
                    todo.extend(list);
                }
            }
            out.push(s);
        }
        out
    }

    fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ComponentSpec;

    #[test]
    fn finds_nested_properties_through_refs_and_options() {
        let idx = SchemaIndex::of::<ComponentSpec>();
        let top = idx.properties_at(&[]);
        assert!(top.contains(&"className".to_string()));
        let pod = idx.properties_at(&[PathSeg::Key("pod".into())]);
        assert!(pod.contains(&"tolerations".to_string()));
        let tol =
            idx.properties_at(&[PathSeg::Key("pod".into()), PathSeg::Key("tolerations".into()), PathSeg::Index(0)]);
        assert!(tol.contains(&"tolerationSeconds".to_string()), "{tol:?}");
        let spec = idx.properties_at(&[
            PathSeg::Key("input".into()),
            PathSeg::Key("sourceSpecs".into()),
            PathSeg::Key("any-topic".into()),
        ]);
        assert!(spec.contains(&"serdeClassname".to_string()), "{spec:?}");
    }
}
