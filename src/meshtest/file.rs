//! The test file: `kind: MeshTest`, beside the mesh it tests.
//!
//! Its shape borrows from the config tests users like in stream processors
//! (Redpanda Connect's `rpk connect test`): messages in, per topic; messages
//! expected out, per topic, each exact or a predicate; an empty list for
//! "nothing arrives". Messages are values, not bytes: fmc encodes and decodes
//! them with the schema each topic declares.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const API_VERSION: &str = "fmc.functionmesh.io/v1alpha1";
pub const KIND: &str = "MeshTest";

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestSpec {
    /// The mesh file, relative to this file (inside its folder).
    #[serde(default = "default_mesh")]
    pub mesh: String,
    /// The mesh environment to test (`fmc build --env`).
    pub env: Option<String>,
    /// Values standing in for the Secrets native functions read (`$secrets.NAME`).
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Per component key: the WebAssembly module file to run, when the mesh
    /// names one inside the component's image.
    #[serde(default)]
    pub modules: BTreeMap<String, String>,
    /// Per component key: what a component fmc does not run does in the test.
    #[serde(default)]
    pub stand_ins: BTreeMap<String, StandIn>,
    pub tests: Vec<TestCase>,
}

fn default_mesh() -> String {
    "mesh.yaml".into()
}

/// A Java, Python or Go function (or a connector) in the test: exactly one of
/// these fields.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StandIn {
    /// Each input goes unchanged to the component's output.
    #[serde(default)]
    pub pass_through: bool,
    /// Each input is consumed, nothing comes out.
    #[serde(default)]
    pub drop: bool,
    /// A jq program over each JSON input; each result is an output.
    pub jq: Option<String>,
    /// These messages come out for each input.
    pub outputs: Option<Vec<Message>>,
}

impl StandIn {
    pub fn choices(&self) -> usize {
        [self.pass_through, self.drop, self.jq.is_some(), self.outputs.is_some()].iter().filter(|c| **c).count()
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestCase {
    pub name: String,
    /// Messages in, in order; each names its topic.
    pub send: Vec<Message>,
    /// Per topic, the messages that must arrive there, in order (`[]`: none).
    #[serde(default)]
    pub expect: BTreeMap<String, Vec<Expectation>>,
    /// Stand-ins for this case only (over the file's).
    #[serde(default)]
    pub stand_ins: BTreeMap<String, StandIn>,
}

/// A message: its payload as exactly one of `value` (encoded with the topic's
/// schema), `text` (UTF-8 bytes as they are) or `base64`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Where a sent message goes (the mesh's topic name, or a full address).
    pub topic: Option<String>,
    pub value: Option<serde_json::Value>,
    pub text: Option<String>,
    pub base64: Option<String>,
    pub key: Option<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    pub event_time: Option<u64>,
}

/// What one arriving message must be: every field given must hold.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Expectation {
    /// The payload's value (decoded with the topic's schema) equals this.
    pub value: Option<serde_json::Value>,
    /// The payload is this text.
    pub text: Option<String>,
    /// The payload is these bytes (standard base64), for binary payloads.
    pub base64: Option<String>,
    /// A jq predicate over the payload's value: it must yield `true`.
    pub jq: Option<String>,
    pub key: Option<String>,
    /// These properties are set to these values (others may be set too).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}
