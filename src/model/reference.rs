//! A reference from a component (or a mesh's cluster) to a ConfigMap or a
//! Secret: lower records the ones a mesh's clusters make, resolve collects a
//! component's and checks that each exists (`resolve::references`).

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RefKind {
    ConfigMap,
    Secret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub kind: RefKind,
    pub name: String,
    /// A key that must exist in the object, when the component needs one.
    pub required_keys: Vec<String>,
    /// Path of the referencing field, relative to the spec.
    pub path: Vec<String>,
}
