//! `fmc test`: a mesh's behaviour, checked without a cluster.
//!
//! Why: a mesh is reviewed in Git, but until now what it *does* was seen
//! only once deployed (or under `fmc dev`, against a broker). A test file beside
//! the mesh sends messages to its topics and says what must arrive where; `fmc
//! test` compiles the mesh exactly as `fmc build` does, runs every native
//! function with the runner's own engines on the rendered configuration,
//! follows each message through the stream graph in order, and checks every
//! message against the schema declared at each edge it crosses. So the type
//! checker's static guarantee ("every reader can read every writer") is joined
//! by a dynamic one: these messages, through these programs, give these
//! results, in milliseconds, in CI.
//!
//! Stages: [`load`] (the test file, typed, with spans: P-codes for its shape,
//! T001 for what cannot be), the compile pipeline over the mesh, [`refer`]
//! (T002: names the mesh lacks), [`run::run_case`] per case over a
//! [`harness::Mesh`], then [`report`].

pub mod bounded;
pub mod file;
pub mod harness;
pub mod messages;
pub mod report;
pub mod run;

use crate::ast::{Document, PathSeg};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::parse::decode::{Schema, decode};
use crate::parse::schema_index::SchemaIndex;
use crate::source::{FileId, SourceMap};
use file::TestSpec;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

static TEST_SCHEMA: Schema = LazyLock::new(SchemaIndex::of::<TestSpec>);

/// A test file, read and typed.
pub struct Suite {
    pub path: PathBuf,
    pub name: String,
    pub doc: Document,
    pub spec: TestSpec,
    /// The folder of the test file: every file it names stays inside.
    pub root: PathBuf,
}

fn key(k: &str) -> PathSeg {
    PathSeg::Key(k.into())
}

/// Reads the test file at `path` into `sources`: one suite per `MeshTest`
/// document (a file may hold several, `---`-separated); `None` after
/// diagnostics. An unreadable file is an I/O error (`Err`).
pub fn load(path: &Path, sources: &mut SourceMap, diags: &mut Diagnostics) -> Result<Option<Vec<Suite>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let root = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let id: FileId = sources.add_bytes(path.display().to_string(), bytes, Some(root.clone()));
    let text = sources.get(id).text.clone();
    let docs = crate::parse::yaml::read_documents(id, &text, diags);
    if diags.has_errors() {
        return Ok(None);
    }
    if docs.is_empty() {
        diags.push(invalid(crate::source::Span::new(id, 0, 0), "a test file holds `kind: MeshTest` documents"));
        return Ok(None);
    }
    let suites: Vec<Option<Suite>> = docs.into_iter().map(|doc| suite(path, &root, doc, diags)).collect();
    Ok((!diags.has_errors()).then(|| suites.into_iter().flatten().collect()))
}

/// One `MeshTest` document, typed and checked.
fn suite(path: &Path, root: &Path, doc: Document, diags: &mut Diagnostics) -> Option<Suite> {
    let field = |k: &str| doc.root.get(k).and_then(|n| n.as_str()).unwrap_or_default().to_string();
    let (api_version, kind) = (field("apiVersion"), field("kind"));
    if api_version != file::API_VERSION || kind != file::KIND {
        let d = crate::parse::diagnostics::unsupported_kind(doc.root.key_span(&[key("kind")]), &api_version, &kind)
            .help(format!("a test file is `apiVersion: {}` `kind: {}`", file::API_VERSION, file::KIND));
        diags.push(d);
        return None;
    }
    let name = doc.root.find(&[key("metadata"), key("name")]).and_then(|n| n.as_str()).unwrap_or("tests").to_string();
    let mut own = Diagnostics::default();
    let spec = decode::<TestSpec>(&doc, &[key("spec")], &TEST_SCHEMA, &mut own);
    // An unknown field of a test file is not the operator's business.
    diags.extend(own.into_iter().map(|d| match d.code {
        "P007" if d.help.as_deref().is_some_and(|h| h.contains("operator")) => {
            d.help("remove it; docs/testing.md lists the fields of a test file (`fmc schema` covers `MeshTest`)")
        }
        _ => d,
    }));
    let suite = Suite { path: path.to_path_buf(), name, doc, spec: spec?, root: root.to_path_buf() };
    let before = diags.len();
    suite.check_shape(diags);
    (!diags.iter().skip(before).any(Diagnostic::is_error)).then_some(suite)
}

fn invalid(span: crate::source::Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error("T001", span, message).label("here").help("`fmc explain T001` describes a test file")
}

impl Suite {
    fn span(&self, path: &[PathSeg]) -> crate::source::Span {
        let mut full = vec![key("spec")];
        full.extend_from_slice(path);
        self.doc.root.key_span(&full)
    }

    /// What the types cannot say: one behaviour per stand-in, one payload
    /// per message, a topic for each sent message, a mesh inside the folder.
    fn check_shape(&self, diags: &mut Diagnostics) {
        let mesh = Path::new(&self.spec.mesh);
        if mesh.is_absolute() || mesh.components().any(|c| c == std::path::Component::ParentDir) {
            diags.push(invalid(self.span(&[key("mesh")]), "the mesh must be a file inside the test file's folder"));
        }
        let stand_ins = |at: Vec<PathSeg>,
                         map: &std::collections::BTreeMap<String, file::StandIn>,
                         d: &mut Diagnostics| {
            for (k, s) in map {
                if s.choices() != 1 {
                    let mut p = at.clone();
                    p.push(key(k));
                    d.push(invalid(self.span(&p), "a stand-in is exactly one of passThrough, drop, jq and outputs"));
                }
            }
        };
        stand_ins(vec![key("standIns")], &self.spec.stand_ins, diags);
        for (i, case) in self.spec.tests.iter().enumerate() {
            let at = |rest: &[PathSeg]| [&[key("tests"), PathSeg::Index(i)][..], rest].concat();
            stand_ins(at(&[key("standIns")]), &case.stand_ins, diags);
            for (j, m) in case.send.iter().enumerate() {
                let here = self.span(&at(&[key("send"), PathSeg::Index(j)]));
                if m.topic.is_none() {
                    diags.push(invalid(here, "a sent message names its `topic`"));
                }
                if [m.value.is_some(), m.text.is_some(), m.base64.is_some()].iter().filter(|g| **g).count() != 1 {
                    diags.push(invalid(here, "a message gives exactly one of `value`, `text` and `base64`"));
                }
            }
        }
    }

    /// The mesh file, confined to the test file's folder as schema files are
    /// (`files::read_confined`: no absolute path, no `..` out, no link out).
    pub fn mesh_path(&self) -> Result<PathBuf, String> {
        use crate::files::ReadError;
        match crate::files::read_confined(Some(&self.root), &self.root, &self.spec.mesh) {
            Ok(_) => Ok(self.root.join(&self.spec.mesh)),
            Err(ReadError::Refused(why) | ReadError::Failed(why)) => Err(format!("the test's mesh: {why}")),
            Err(ReadError::Missing(m)) => Err(format!("the test's mesh {} does not exist", m.in_root)),
        }
    }
}

/// T002: every topic and component the test names exists in the mesh, and a
/// topic name means one topic (on one cluster).
pub fn refer(suite: &Suite, mesh: &harness::Mesh, diags: &mut Diagnostics) {
    let unknown =
        |span, what: String, help: String| Diagnostic::error("T002", span, what).label("not in the mesh").help(help);
    let topic = |name: &str, path: Vec<PathSeg>, diags: &mut Diagnostics| {
        let found = mesh.topics_named(name);
        if found.len() == 1 {
            return;
        }
        let span = suite.span(&path);
        if found.is_empty() {
            let labels: Vec<String> = mesh.graph.topics.values().map(|n| mesh.topic_label(*n)).collect();
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            let help = match strsim_closest(name, &labels) {
                Some(close) => format!("did you mean `{close}`?"),
                None => "name a topic of the mesh: its key under `topics`, or a full address".to_string(),
            };
            diags.push(unknown(span, format!("the mesh has no topic `{name}`"), help));
        } else {
            let help = "the name is used on several clusters: write `NAME@CLUSTER`".to_string();
            diags.push(unknown(span, format!("`{name}` names {} topics", found.len()), help));
        }
    };
    for (i, case) in suite.spec.tests.iter().enumerate() {
        let at = |rest: &[PathSeg]| [&[key("tests"), PathSeg::Index(i)][..], rest].concat();
        for (j, m) in case.send.iter().enumerate() {
            topic(m.topic.as_deref().unwrap_or_default(), at(&[key("send"), PathSeg::Index(j), key("topic")]), diags);
        }
        for name in case.expect.keys() {
            topic(name, at(&[key("expect"), key(name)]), diags);
        }
        for k in case.stand_ins.keys() {
            component(suite, mesh, k, at(&[key("standIns"), key(k)]), diags);
        }
    }
    for (list, keys) in [
        ("standIns", suite.spec.stand_ins.keys().collect::<Vec<_>>()),
        ("modules", suite.spec.modules.keys().collect()),
    ] {
        for k in keys {
            component(suite, mesh, k, vec![key(list), key(k)], diags);
        }
    }
}

fn component(suite: &Suite, mesh: &harness::Mesh, name: &str, path: Vec<PathSeg>, diags: &mut Diagnostics) {
    if let Some(index) = mesh.component(name) {
        source_stand_in(suite, mesh, index, &path, diags);
        return;
    }
    {
        let keys: Vec<&str> = mesh.components.iter().map(|c| c.meta.name.as_str()).collect();
        let help = match strsim_closest(name, &keys) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("the mesh's components: {}", keys.join(", ")),
        };
        let d = Diagnostic::error("T002", suite.span(&path), format!("the mesh has no component `{name}`"))
            .label("not in the mesh")
            .help(help);
        diags.push(d);
    }
}

/// A source has no input to pass through, drop or map: its stand-in gives
/// the `outputs` it emits (once, at the start of each case).
fn source_stand_in(suite: &Suite, mesh: &harness::Mesh, index: usize, path: &[PathSeg], diags: &mut Diagnostics) {
    let is_stand_in = path.iter().any(|p| *p == key("standIns"));
    if !is_stand_in || mesh.components[index].kind != crate::model::ComponentKind::Source {
        return;
    }
    let name = &mesh.components[index].meta.name;
    let stand_in = match path.iter().position(|p| *p == key("tests")) {
        Some(_) => {
            let PathSeg::Index(i) = path[1] else { return };
            suite.spec.tests[i].stand_ins.get(name)
        }
        None => suite.spec.stand_ins.get(name),
    };
    if stand_in.is_some_and(|s| s.outputs.is_none()) {
        diags.push(invalid(
            suite.span(path),
            format!("`{name}` is a source: it has no input, so its stand-in gives `outputs` (emitted once, at the start of each case)"),
        ));
    }
}

fn strsim_closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// A test file's own diagnostics (its shape, then the names it uses against
/// the mesh it names), with the sources they point into: what `fmc test`
/// reports before it runs anything.
pub fn check_file(path: &Path) -> Result<(SourceMap, Diagnostics), String> {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let Some(suites) = load(path, &mut sources, &mut diags)? else { return Ok((sources, diags)) };
    for suite in suites {
        let mesh_sources = crate::source::load_sources(&[suite.mesh_path()?])?;
        let options = crate::options::BuildOptions {
            environment: suite.spec.env.clone(),
            keep_components: true,
            ..Default::default()
        };
        let out = crate::pipeline::compile(&mesh_sources, &options);
        if let (Some(graph), false) = (&out.streams, out.has_errors()) {
            let mesh = harness::Mesh::new(graph, &out.components, suite.root.clone(), suite.root.clone());
            refer(&suite, &mesh, &mut diags);
        }
    }
    Ok((sources, diags))
}
