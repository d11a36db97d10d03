//! Rendered equals stored: the quantities of a generated object in the form
//! the API server writes back (`crate::quantity::canonical`), and as strings
//! where a CRD types them as quantities (a VPA's `maxAllowed.cpu: 1` is the
//! string `"1"`). A committed manifest then never differs from the live
//! object in `kubectl diff` or Argo CD by spelling alone.
//!
//! Only objects fmc generates are touched: a copied object stays byte for
//! byte what its author wrote.

use serde_json::Value;

/// Canonicalises every quantity of `object`: container `resources`
/// (`limits`, `requests`, also of PVC templates), `emptyDir.sizeLimit`,
/// VPA `minAllowed`/`maxAllowed`, and HPA `target.value`/`averageValue`.
pub fn quantities(object: &mut Value) {
    walk(object, "");
}

fn walk(value: &mut Value, parent: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (parent, key.as_str()) {
                    ("resources", "limits" | "requests") | (_, "minAllowed" | "maxAllowed") => {
                        child.as_object_mut().into_iter().flatten().for_each(|(_, q)| quantity(q));
                    }
                    (_, "sizeLimit") | ("target", "value" | "averageValue") => quantity(child),
                    _ => walk(child, key),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| walk(item, parent)),
        _ => {}
    }
}

/// One quantity, as its canonical string; a value that is no quantity stays.
fn quantity(value: &mut Value) {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return,
    };
    if let Some(canonical) = crate::quantity::canonical(&text) {
        *value = Value::String(canonical);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_quantity_place_is_canonical_and_others_are_left() {
        let mut sts = json!({
            "spec": {"template": {"spec": {"containers": [{"resources": {"limits": {"cpu": "0.2", "memory": "1.1G"}, "requests": {"cpu": 0.1}}}],
                                            "volumes": [{"emptyDir": {"sizeLimit": "1024Mi"}}]}},
                     "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "0.5Gi"}}}}]},
            "metadata": {"labels": {"limits": "0.2"}}
        });
        quantities(&mut sts);
        let c = &sts["spec"]["template"]["spec"]["containers"][0]["resources"];
        assert_eq!(c, &json!({"limits": {"cpu": "200m", "memory": "1100M"}, "requests": {"cpu": "100m"}}));
        assert_eq!(sts["spec"]["template"]["spec"]["volumes"][0]["emptyDir"]["sizeLimit"], "1Gi");
        assert_eq!(sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"], "512Mi");
        assert_eq!(sts["metadata"]["labels"]["limits"], "0.2", "a label is not a quantity");
        let mut vpa =
            json!({"spec": {"resourcePolicy": {"containerPolicies": [{"maxAllowed": {"cpu": 1, "memory": "2Gi"}}]}}});
        quantities(&mut vpa);
        assert_eq!(
            vpa["spec"]["resourcePolicy"]["containerPolicies"][0]["maxAllowed"],
            json!({"cpu": "1", "memory": "2Gi"})
        );
    }
}
