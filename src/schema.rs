//! The JSON Schema (draft-07) of every document fmc compiles, generated with
//! schemars from the same types the parse stage decodes, so the schema editors
//! use and the compiler's checks cannot disagree. Checked in as
//! `schemas/fmc-input.schema.json`; a test fails when it drifts.

use crate::model::dsl::MeshDslSpec;
use crate::model::spec::{BackendConfigSpec, ClusterProvidedSpec, ComponentSpec, MeshSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;

macro_rules! document {
    ($name:ident, $api:literal, $kind:literal, $spec:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(JsonSchema)]
        #[serde(rename_all = "camelCase")]
        #[allow(dead_code)]
        struct $name {
            #[schemars(extend("const" = $api))]
            api_version: String,
            #[schemars(extend("const" = $kind))]
            kind: String,
            metadata: ObjectMeta,
            spec: $spec,
            /// Accepted and ignored: a controller writes it (`kubectl get -o yaml`).
            status: Option<serde_json::Value>,
        }
    };
}

document!(FunctionDocument, "compute.functionmesh.io/v1alpha1", "Function", ComponentSpec, "A Pulsar Function.");
document!(SourceDocument, "compute.functionmesh.io/v1alpha1", "Source", ComponentSpec, "A Pulsar IO source connector.");
document!(SinkDocument, "compute.functionmesh.io/v1alpha1", "Sink", ComponentSpec, "A Pulsar IO sink connector.");
document!(
    FunctionMeshDocument,
    "compute.functionmesh.io/v1alpha1",
    "FunctionMesh",
    MeshSpec,
    "Functions, sources and sinks deployed together."
);
document!(
    BackendConfigDocument,
    "compute.functionmesh.io/v1alpha1",
    "BackendConfig",
    BackendConfigSpec,
    "Env and pod policy for every workload in scope."
);
document!(
    ClusterProvidedDocument,
    "fmc.functionmesh.io/v1alpha1",
    "ClusterProvided",
    ClusterProvidedSpec,
    "ConfigMaps and Secrets the cluster already has."
);

document!(
    MeshDocument,
    "fmc.functionmesh.io/v1alpha1",
    "Mesh",
    MeshDslSpec,
    "A mesh in fmc's native DSL: clusters, schemas, topics, functions, sources, sinks, environments."
);

document!(
    MeshTestDocument,
    "fmc.functionmesh.io/v1alpha1",
    "MeshTest",
    crate::meshtest::file::TestSpec,
    "Tests of a mesh (`fmc test`, docs/testing.md): messages sent, messages expected, stand-ins."
);

/// One document of fmc's input.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum InputDocument {
    Function(FunctionDocument),
    Source(SourceDocument),
    Sink(SinkDocument),
    FunctionMesh(FunctionMeshDocument),
    BackendConfig(BackendConfigDocument),
    ClusterProvided(ClusterProvidedDocument),
    Mesh(MeshDocument),
    MeshTest(MeshTestDocument),
}

/// fmc refuses an unknown field at any depth (P007: whatever does not survive
/// the typed round trip), so every object schema that lists its properties
/// and says nothing of other keys gets `additionalProperties: false`: the
/// editor and check-jsonschema then refuse the typo fmc refuses. Maps keep
/// their value schema and free-form values (`true`) stay open, as in fmc.
fn forbid_unknown_fields(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), false.into());
            }
            for (key, value) in map.iter_mut() {
                // Maps of name → schema: each value is a schema, the map is not.
                match (key.as_str(), value) {
                    (
                        "properties" | "definitions" | "$defs" | "patternProperties",
                        serde_json::Value::Object(named),
                    ) => named.values_mut().for_each(forbid_unknown_fields),
                    (_, value) => forbid_unknown_fields(value),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(forbid_unknown_fields),
        _ => {}
    }
}

/// Functions, sources and sinks share one spec type, but fmc refuses the
/// fields that belong to another kind (`input` on a Source: P007). Each kind
/// gets its own copy of the definition without them, for its document and
/// for its FunctionMesh member list.
fn component_specs_per_kind(schema: &mut serde_json::Value) {
    use crate::model::spec::ComponentKind;
    use serde_json::Value;
    let Some(definitions) = schema.get_mut("definitions").and_then(Value::as_object_mut) else { return };
    // The shared definition stays for the DSL's `spec` escape hatch.
    let Some(shared) = definitions.get("ComponentSpec").cloned() else { return };
    let kinds = [
        (ComponentKind::Function, "Function", "functions"),
        (ComponentKind::Source, "Source", "sources"),
        (ComponentKind::Sink, "Sink", "sinks"),
    ];
    for (kind, name, members) in kinds {
        let mut spec = shared.clone();
        if let Some(properties) = spec.get_mut("properties").and_then(Value::as_object_mut) {
            properties.retain(|field, _| !kind.foreign_fields().contains(&field.as_str()));
        }
        let definition = format!("{name}Spec");
        let reference = serde_json::json!({"$ref": format!("#/definitions/{definition}")});
        definitions.insert(definition, spec);
        if let Some(doc) = definitions.get_mut(&format!("{name}Document")) {
            doc["properties"]["spec"] = reference.clone();
        }
        if let Some(list) = definitions.get_mut("MeshSpec").and_then(|m| m["properties"].get_mut(members)) {
            list["items"] = reference;
        }
    }
}

/// The schema as pretty JSON with a trailing newline.
pub fn input_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<InputDocument>().to_value();
    forbid_unknown_fields(&mut schema);
    component_specs_per_kind(&mut schema);
    if let Some(root) = schema.as_object_mut() {
        root.insert("$id".into(), "https://fmc.functionmesh.io/schemas/fmc-input.schema.json".into());
        root.insert("title".into(), "fmc input document".into());
    }
    let mut text = serde_json::to_string_pretty(&schema).expect("invariant: schemas serialize");
    text.push('\n');
    text
}
