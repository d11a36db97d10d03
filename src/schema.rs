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
}

/// The schema as pretty JSON with a trailing newline.
pub fn input_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<InputDocument>();
    schema.insert("$id".into(), "https://fmc.functionmesh.io/schemas/fmc-input.schema.json".into());
    schema.insert("title".into(), "fmc input document".into());
    let mut text = serde_json::to_string_pretty(&schema).expect("invariant: schemas serialize");
    text.push('\n');
    text
}
