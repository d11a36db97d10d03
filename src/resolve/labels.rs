//! The component labels (reference §2.1): ten for a Function, eight for a Source
//! or Sink. `<name>` is the (possibly shortened) base name, never the Pulsar name.
//!
//! Here, beside the resolved component, because render puts them on every
//! object and check reads them (a selector that would not match): both stages
//! come after resolve.

use super::Component;
use crate::model::ComponentKind;
use std::collections::BTreeMap;

pub fn component_labels(comp: &Component) -> BTreeMap<String, String> {
    let component = comp.kind.component();
    let instance = comp.workload_name();
    let mut l = BTreeMap::new();
    let mut put = |k: &str, v: &str| {
        l.insert(k.to_string(), v.to_string());
    };
    put("app.kubernetes.io/name", &instance);
    put("app.kubernetes.io/instance", &instance);
    put("compute.functionmesh.io/component", component);
    put("compute.functionmesh.io/name", &comp.base_name);
    put("compute.functionmesh.io/namespace", &comp.namespace);
    put("component", component);
    put("name", &comp.base_name);
    put("namespace", &comp.namespace);
    if comp.kind == ComponentKind::Function {
        put("compute.functionmesh.io/app", "function-mesh");
        put("app", "function-mesh");
    }
    l
}
