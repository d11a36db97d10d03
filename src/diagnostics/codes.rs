//! The registry of stable diagnostic codes.
//!
//! A code is a stage letter and three digits: `P` parse (YAML and typed input),
//! `R` resolve (references, defaults, expansion), `C` check (validation and
//! limits), `T` test files (`fmc test`). Codes are never reused; a retired code stays here with its docs.
//! `fmc explain CODE` prints [`CodeInfo::docs`]. A meta-test checks that every
//! code has docs, a fixture under `fixtures/diagnostics/` and a snapshot.

pub struct CodeInfo {
    pub code: &'static str,
    /// Short kebab-case name, also the fixture directory suffix.
    pub slug: &'static str,
    /// Long documentation: what it means, why, how to fix, example.
    pub docs: &'static str,
}

macro_rules! codes {
    ($( $code:literal $slug:literal $docs:literal ;)*) => {
        pub const REGISTRY: &[CodeInfo] = &[ $( CodeInfo { code: $code, slug: $slug, docs: $docs } ),* ];
    };
}

codes! {
"P001" "yaml-syntax" "The input is not well-formed YAML.

Why: fmc reads every input file as a stream of YAML documents before it looks at
any resource. A scanner or parser error stops the whole file.

Fix: correct the YAML at the reported position (indentation, an unclosed quote or
bracket, a tab used for indentation).

Example:
    spec:
      className: \"unterminated
";
"P002" "document-not-a-mapping" "A YAML document is not a mapping (an object).

Why: every Kubernetes resource, and every fmc document, is a mapping with
`apiVersion`, `kind` and `metadata`. A bare scalar or list cannot be a resource.

Fix: remove the stray document or turn it into a resource. Empty documents
(`---` followed by nothing) are allowed and skipped.
";
"P003" "nesting-too-deep" "The YAML nests deeper than fmc accepts (128 levels).

Why: real resources nest a few dozen levels at most; unbounded nesting is a way
to exhaust memory or stack in tools that read YAML. fmc refuses it with this
diagnostic instead of crashing.

Fix: flatten the structure.
";
"P004" "input-too-large" "The input expands to more nodes than fmc accepts.

Why: YAML aliases can repeat a large node many times (a \"billion laughs\" alias
bomb); a few lines of YAML can expand to gigabytes. fmc stops when aliases add more than
100,000 nodes, when a file holds more than 5,000,000 nodes, or at a scalar over
16 MiB.

Fix: remove the alias chain or split the input.
";
"P005" "duplicate-key" "A mapping has the same key twice.

Why: YAML parsers disagree on which value wins (the Kubernetes API server rejects
the object in strict mode); a silent choice would hide one of the two values.

Fix: remove one of the keys.
";
"P006" "missing-type" "A document has no `apiVersion` or `kind`, or they are not strings.

Why: fmc decides how to read a document from its `apiVersion` and `kind`.

Fix: add both, e.g.
    apiVersion: compute.functionmesh.io/v1alpha1
    kind: Function
";
"P007" "unknown-field" "A field is not part of the resource's schema.

Why: the Function Mesh CRDs keep unknown fields, so the operator silently ignores
a misspelt field (`replica: 3` runs one replica). fmc refuses it instead, with the
closest known name as a hint.

Fix: correct the spelling, or remove the field.

Example:
    spec:
      classname: Foo   # error: unknown field `classname`; did you mean `className`?
";
"P008" "invalid-value" "A field has a value of the wrong type or outside its allowed set.

Why: the operator's CRD schema would reject it, or the operator would misread it.

Fix: use the type named in the message (for example `true`, not `yes`; a number,
not a quoted string), or one of the listed enum values.
";
"P009" "missing-field" "A required field is missing.

Why: the operator's schema (or its admission webhook) requires it; without it no
working workload can be rendered.

Fix: add the field named in the message.
";
"P010" "unsupported-kind" "The document uses an apiVersion/kind of the Function Mesh group (or of fmc)
that fmc does not compile.

Why: documents of `compute.functionmesh.io` are compiled, not passed through; an
unknown kind in that group (for example the removed `ConnectorCatalog`, or a
version other than `v1alpha1`) would otherwise reach the cluster and fail there.

Fix: use `compute.functionmesh.io/v1alpha1` with kind Function, Source, Sink,
FunctionMesh or BackendConfig.
";
"P011" "invalid-name" "`metadata.name` is missing, or is not a valid Kubernetes name.

Why: every object fmc renders is named after it; Kubernetes accepts only lowercase
RFC 1123 labels (a-z, 0-9 and '-', starting and ending alphanumeric).

Fix: set `metadata.name` to a valid name.
";
"P012" "kustomize-config" "A kustomization file was given as input and skipped.

Why: `kustomization.yaml` configures kustomize; it is not an object for the
cluster, and fmc has nothing to compile or pass through in it.

Fix: give fmc the resources the kustomization lists, or run fmc as a kustomize
plug-in (see README).
";
"P013" "invalid-object-identity" "An object's `kind`, `metadata.namespace` or `metadata.name` is one Kubernetes refuses.

Why: fmc names files after these (`-o DIR` writes `<namespace>/<kind>-<name>.yaml`)
and the API server would refuse the object anyway. A namespace is a DNS-1123 label
(a-z, 0-9 and '-', at most 63); a kind is an identifier; no name is empty, `.` or
`..`, or contains `/`, `%`, a blank or a control character. A value such as
`../../etc` is never a real object: it is a mistake or an attempt to make a tool
write outside its folder. Applies to every object fmc passes through and to the
namespaces of the resources it compiles.

Fix: give the object its real kind, namespace and name.

Example:
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings, namespace: ../../etc}
";
"P014" "invalid-characters" "The input holds bytes YAML forbids: text that is not UTF-8, a NUL or another control character.

Why: YAML admits only printable characters (tab and line breaks aside). A NUL
byte or a stray control character is corruption or an attempt to hide content:
the YAML reader underneath stops at a NUL without a word, so everything after it
(including errors) would silently vanish. A file with such bytes is not read at
all; nothing in it is compiled or passed through.

Fix: remove the character at the reported position, or save the file as UTF-8.
A UTF-8 byte-order mark at the start of a file is fine.
";
"P015" "environment-adds-close-key" "An environment adds a key the mesh lacks, and the mesh has one of a close name.

Why: an environment is a merge patch of the mesh (`--env NAME`): a key the
mesh has is overridden, a key it lacks is added. A misspelt key is therefore
added beside the one it meant to override, and the override silently does
nothing; in a free-form map such as `config` nothing else would notice.

Fix: spell the key as the mesh does. If the addition is meant, rename it so
it is not mistaken for the other key.

Example:
    functions:
      alert: {config: {thresholdCelsius: 40}}
    environments:
      prod:
        components:
          alert: {config: {thresholdCelcius: 60}}   # adds a second key
";
"P016" "foreign-generated-marker" "An object carries fmc's `generated-from` marker, but fmc did not write it.

Why: under `sources: keep` (in-place `kpt fn render`), fmc writes the objects an
input compiles to into `<input>.generated.yaml`, marked with the input's path
and the digest of what it wrote, and the next render drops them to make them
anew. An object is dropped only when it is in that file and still is what fmc
wrote. One marked elsewhere, edited since, or without a digest is not fmc's:
dropping it would let one annotation line delete, say, a NetworkPolicy. It is
kept, and this warning says why.

Fix: remove the annotations `fmc.functionmesh.io/generated-from` and
`fmc.functionmesh.io/generated-digest` from the object.

Example:
    kind: NetworkPolicy
    metadata:
      annotations: {fmc.functionmesh.io/generated-from: mesh.yaml}
";
"P017" "generated-file-taken" "A package file fmc writes to holds objects fmc did not write.

Why: under `sources: keep`, the objects made from `mesh.yaml` go to
`mesh.generated.yaml`. An object already there that fmc did not write (a file
written by hand, or an output edited since) would be overwritten or clash with
fmc's objects (kpt: \"index 0 already exists\"). The render stops, and nothing
in the package changes.

Fix: move hand-written objects to a file of another name. If the file is an
old output (written by an fmc without digests, or edited), delete it and render
again.
";
"R001" "missing-configmap" "A ConfigMap is referenced but neither defined in the input nor declared as
provided by the cluster.

Why: the pod would stay in `CreateContainerConfigError` until someone creates the
ConfigMap; fmc finds it at build time.

Fix: add the ConfigMap to the input, or declare that the cluster provides it:
    apiVersion: fmc.functionmesh.io/v1alpha1
    kind: ClusterProvided
    metadata:
      name: cluster
    spec:
      configMaps: [test-pulsar]        # or namespace/name
";
"R002" "missing-secret" "A Secret is referenced but neither defined in the input nor declared as
provided by the cluster.

Why: Secrets are usually not committed to Git, so this is a warning, not an error;
but a typo in a Secret name only shows at runtime. Declaring the Secrets the
cluster provides turns this check into a real guarantee.

Fix: declare it in a `ClusterProvided` document (`spec.secrets: [name]`), or add
the Secret to the input.
";
"R003" "duplicate-object" "Two documents define, or two components render, the same object
(kind, namespace and name).

Why: `kubectl apply` would let the last one win silently.

Fix: rename one of them.
";
"R004" "missing-configmap-key" "A ConfigMap in the input lacks a key that the component needs.

Why: the Pulsar connection ConfigMap must provide `webServiceURL` and
`brokerServiceURL` (the pod's command expands `$brokerServiceURL`), and a log
config reference names a key that must exist.

Fix: add the key to the ConfigMap's `data`.
";
"R005" "unknown-topic" "A component of a native mesh refers to a topic the mesh does not declare.

Why: in a `Mesh`, topics are declared once under `spec.topics` (logical name →
address, schema, strategy) and components refer to them by logical name, so a
typo cannot silently create a new topic the way a mistyped address would.

Fix: declare the topic under `topics`, or correct the name (the help line
suggests the closest declared one).

Example:
    topics:
      orders: {schema: OrderV1}
    functions:
      enrich:
        inputs: [ordres]      # R005: did you mean `orders`?
";
"R006" "unknown-schema" "A topic, a component port or a KEY_VALUE schema refers to a schema the mesh does not declare.

Why: schemas are declared once under `spec.schemas` and used by name; the type
checker needs the definition behind every name.

Fix: declare the schema under `schemas`, or correct the name.
";
"R007" "unknown-cluster" "A component or the mesh defaults name a Pulsar cluster the mesh does not declare.

Why: a cluster declaration gives the service URLs, TLS and auth every component
of it uses; a component cannot run against an undeclared cluster.

Fix: declare the cluster under `spec.clusters`, or correct the name.
";
"R008" "invalid-schema" "A schema declaration cannot be turned into a schema definition.

Why: the type checker reads AVRO and JSON definitions (Avro records, inline or
from an `.avsc` file) and PROTOBUF messages (from a `.proto` file) to decide who
can read what; a definition that does not parse, a missing file or message, or a
field that does not apply to the schema type makes that impossible.

Fix: correct the definition; the message says what is wrong and where (for
`.proto` files, with the line number).
";
"R009" "inline-credential" "A credential of a native mesh is written inline instead of referring to a Secret.

Why: mesh files are committed to Git and rendered manifests are reviewed and
stored; a token or private key in them leaks. fmc accepts credentials only as
Secret references, which it mounts as files (never as literal values).

Fix: create a Secret holding the credential and write `{secret: NAME, key: KEY}`.

Example:
    auth:
      token: {secret: pulsar-token, key: token}
";
"R010" "unknown-environment" "`fmc build --env NAME` names an environment the mesh does not declare.

Why: a mesh that declares environments expects one of them; building another
name would silently render the base configuration for, say, production.

Fix: use one of the names under `spec.environments`, or declare the environment.
";
"R011" "invalid-cluster" "A Pulsar cluster declaration is incomplete or contradictory.

Why: components need a broker URL (`pulsar://` or `pulsar+ssl://`) and a web
service URL (`http://` or `https://`), or an existing ConfigMap with both
(`pulsarConfig`), and at most one authentication method.

Fix: give both URLs or `pulsarConfig`, not both; choose `token` or `oauth2`.
";
"R012" "unknown-component" "An environment overrides a component the mesh does not declare.

Why: an override of a mistyped component would silently do nothing in the
environment it was written for.

Fix: use the key of a function, source or sink of the mesh.
";
"R013" "native-runtime-unsupported" "A component asks the `native` runtime for something fmc's runner does not do.

Why: the native runtime runs functions (a jq program, a jq `route`, a WebAssembly
module, or identity) in fmc's own small runner image. It runs no connectors
(sources and sinks), offers at-least-once and at-most-once processing, and MANUAL
only for WebAssembly modules, which acknowledge inputs themselves
(EFFECTIVELY_ONCE needs broker-side deduplication). It runs one function per
component, downloads a `package` URL only when `sha256` pins it, and has nothing
to give `className`, `logTopic` or the JVM's and instances' settings (`config` and
`secrets` it does give: `$config`, `$secrets`). A secret is the environment
variable of its name, so one named after a variable the runner reads itself
(`POD_NAME`, `brokerServiceURL`, ...) is refused. Conversely `jq`, `route` and
`sha256` mean something only to the native runtime. Refusing these is better than
dropping them silently.

Fix: use the `java`, `python` or `go` runtime for that component, or change the
setting the message names.

Example:
    functions:
      filter:
        runtime: native
        jq: 'select(.amount > 100)'
        processingGuarantee: effectively_once   # R013
";
"R014" "file-outside-root" "A file the input names was not read: it is outside the input's root, or not a file fmc reads.

Why: inputs come from repositories, Helm charts and KRM packages that may be
careless or hostile. Like kustomize's load restrictor, fmc reads a schema `file:`
only inside a root: the directory given on the command line, else the folder of
the file that names it. Absolute paths, `..` that leaves the root, symbolic links
that point out of it, `/proc`, `/dev`, `/sys` and anything but a regular file are
refused before anything is read, so a mesh cannot make fmc (or the Helm
post-renderer running it) read and echo a host file. Input from stdin and the
plug-in modes has no folder and reads no file unless `--root DIR` is given.

Fix: keep schema files beside the mesh (or under the directory you pass to fmc),
or name a wider root with `--root DIR`.

Example:
    schemas:
      Order: {type: AVRO, file: ../../../etc/passwd}
";
"R015" "file-not-found" "A file the input names does not exist.

Why: a schema `file:` resolves against the folder of the mesh file that names it
(in the plug-in modes, against `--root DIR` and the document's KRM path), so the
same mesh compiles the same way from any working directory. The label shows the
path fmc looked for, relative to the input's root, and the help names a file of
the same folder with a close name, if there is one.

Fix: correct the path, relative to the mesh file, or add the file.

Example:
    schemas:
      Order: {type: AVRO, file: schemas/order.avsc}   # the folder has orders.avsc
";
"R016" "cannot-provision" "`--provision` cannot render a Pulsar resource the mesh needs.

Why: with `--provision resources-operator`, fmc renders a PulsarConnection per
mesh cluster a topic lives on, and the tenants, namespaces and topics on it. The
operator reaches Pulsar only through what the PulsarConnection says, so fmc needs
the cluster's URLs when compiling (a cluster given by `pulsarConfig` names a
ConfigMap whose URLs it cannot see), an OAuth2 `clientId` (the connection's
`clientID`), a cluster for every topic, and a `clusterName` on both ends of a
geo-replicated topic (the destination cluster is created under that name).

Fix: give `brokerServiceUrl` and `webServiceUrl`, or name an existing
PulsarConnection with `pulsarConnection`; add `clientId`; declare a cluster or
`defaults.cluster`; set `clusterName` (`pulsar-admin clusters list`).

Example:
    clusters:
      prod: {pulsarConfig: prod-pulsar}          # add `pulsarConnection: prod`
";
"R017" "two-autoscalers" "A component asks for KEDA backlog autoscaling and an HPA.

Why: KEDA's ScaledObject creates and drives its own HorizontalPodAutoscaler for
the StatefulSet. An HPA on CPU or memory (`cpuPercent`, `memoryPercent`, or the
escape hatch's `maxReplicas` and HPA rules) would be a second controller of the
same replica count, and the two would undo each other's decisions.

Fix: keep `autoscaling.backlog`, or the CPU/memory rule, not both.

Example:
    autoscaling: {maxParallelism: 8, cpuPercent: 80, backlog: {msgBacklogThreshold: 1000}}
";
"R018" "backlog-autoscaling-unavailable" "A component cannot scale on its subscription backlog.

Why: KEDA's Pulsar scaler asks the cluster's admin API for the backlog of the
component's subscription on each input topic. A source reads no topic; a
non-persistent topic keeps no backlog (and KEDA asks for a persistent topic's
stats); a component on no declared cluster, or on one given only by `pulsarConfig`, has no
admin URL fmc knows; and the scaler takes OAuth2 as a client secret, while a
mesh cluster holds an OAuth2 key file.

Fix: scale that component on CPU or memory, give its cluster `webServiceUrl`,
or use token auth for the cluster.

Example:
    sources:
      ingest: {autoscaling: {maxParallelism: 4, backlog: {msgBacklogThreshold: 100}}}
";
"R019" "fmc-python-runner-unsupported" "A Python function set to run on fmc's runner asks for something the runner does not do.

Why: `fmc build --python-runner fmc`, the annotation `fmc.functionmesh.io/runner: fmc`
or `runner: fmc` in a native mesh run a Python function in fmc's runner (its Python
engine) instead of the upstream Python instance. The runner reads the function's
operator spec, and refuses what it cannot honour rather than dropping it: state
(`statefulConfig`, which needs the BookKeeper table service), windows,
EFFECTIVELY_ONCE (broker-side deduplication) and MANUAL (Java's; a Python
function acknowledges with `context.ack` when `autoAck` is false), interpreter
flags, the log sidecar and the instance's log config, `skipToLatest`, topic
patterns, encryption and consumer or producer properties, legacy `authSecret` and
`tlsSecret`, and auth plug-ins other than token files and OAuth2. It loads a
`.py`, `.zip` or `.whl`. A code pin (`sha256`, or the annotation
`fmc.functionmesh.io/code-sha256`) is checked only by fmc's runner, so it is
refused on a function the operator's runner runs, and the runner choice applies to
Python and Go functions only. A Go function started from fmc's runner image
(`--go-runner fmc`, the same annotation, `runner: fmc`) runs its own binary, so only
where the binary comes from can be refused: a pinned URL holding a credential, a
file name starting with `-`, or a `sha256` on a Go function the operator's image
starts (which would not check it).

Fix: change the setting the message names, or run the function on the operator's
Python runner (`runner: operator`, or annotation `fmc.functionmesh.io/runner:
operator`).

Example:
    functions:
      counter:
        runtime: python
        runner: fmc
        file: /code/counter.py
        className: counter.Counter
        state: {pulsar: {serviceUrl: bk://bookie:4181}}   # R019
";
"R020" "runner-image-by-tag" "A native function names its runner image by a tag, not a digest.

Why: fmc promises that what runs is what was reviewed in Git. A tag
(`registry.example.com/fmc/runner:0.1.0`) can be pushed again with other
contents under a manifest committed long ago; a digest
(`registry.example.com/fmc/runner@sha256:…`) names exactly one image.
`scripts/images.sh` builds the runner images reproducibly and prints their
digests (`runner-images.json`, which `fmc build --runner-images-file` reads).
The same holds for `--runner-image native=…` and `fmc-python=…`, which fmc
warns about on stderr.

Fix: name the image by digest.

Example:
    functions:
      filter:
        runtime: native
        image: registry.example.com/fmc/runner:0.1.0   # R020
        jq: 'select(.amount > 100)'
";
"C001" "name-shortened" "A derived Kubernetes name was too long and was shortened with a hash.

Why: the StatefulSet name `<name>-<component>` must leave room for the pod label
`controller-revision-hash=<statefulset>-<10 characters>` (63 characters at most),
so it may have at most 52 characters. The operator refuses names over 43
characters; fmc keeps the full name in the `fmc.functionmesh.io/full-name`
annotation and uses a deterministic short name `<prefix>-<8 hex digits of sha256>`.

Fix: nothing is required. Choose a shorter `metadata.name` to get readable names.
";
"C002" "invalid-runtime" "The runtime blocks (`java`, `python`, `golang`, `genericRuntime`) are missing
or conflict.

Why: a Function needs exactly one of java, python and golang (or a
genericRuntime); a Source or Sink needs `java`. The operator's webhook refuses the
same inputs.

Fix: keep exactly one runtime block.
";
"C003" "missing-class-name" "`className` is required for java and python runtimes.

Why: the Pulsar instance loads the class (or Python module) by this name.

Fix: set `spec.className`.
";
"C004" "invalid-package-location" "A package location (`jarLocation`, `pyLocation`, `goLocation`,
`functionFileLocation`) is not a package URL fmc knows how to download.

Why: the download command is chosen from the location's form: `function://`,
`source://` or `sink://` with `tenant/namespace/name[@version]`, or `http(s)://`.
A bare `tenant/namespace/name` is still accepted (the operator downloads it with
`functions download`) but is deprecated and gets a warning.

Fix: use `function://tenant/namespace/name@version` or an `https://` URL.
";
"C005" "invalid-replicas" "Replica settings are inconsistent.

Why: the HPA and StatefulSet need `0 <= replicas`, and with `maxReplicas`:
`0 < minReplicas <= replicas <= maxReplicas` (the operator's webhook rules).

Fix: adjust `replicas`, `minReplicas` or `maxReplicas`.
";
"C006" "vpa-with-hpa" "`pod.vpa` and `maxReplicas` are both set.

Why: a VPA and an HPA acting on the same resource fight each other; the operator
refuses this combination.

Fix: keep one autoscaler.
";
"C007" "invalid-resources" "Resource requests and limits are inconsistent or unparsable.

Why: memory must be positive, requests must not exceed limits, and every value
must be a Kubernetes quantity (`500m`, `1Gi`, `1.5`).

Fix: correct the quantity named in the message.
";
"C008" "conflicting-guarantees" "Processing options conflict with `processingGuarantee`.

Why: with `effectively_once` Pulsar cannot use a timeout, retries or key-ordered
(KEY_SHARED) subscriptions; a dead-letter topic needs `maxMessageRetry > 0`;
`retainOrdering` and `retainKeyOrdering` exclude each other.

Fix: drop the conflicting option or change the guarantee.
";
"C009" "invalid-topic" "An input or output topic is missing or invalid.

Why: a function needs at least one input (topics, a pattern or a source connector);
topic names must be `[persistent|non-persistent]://tenant/namespace/topic` or a
short name; a function must not write to one of its own input topics.

Fix: correct the topic named in the message.
";
"C010" "invalid-window" "The window configuration is invalid.

Why: a window needs exactly one of `windowLengthCount` and
`windowLengthDurationMs`, positive lengths and intervals, and with a timestamp
extractor positive `maxLagMs` and `watermarkEmitIntervalMs`. (The operator's
webhook dereferences unset pointers here and can crash; fmc reports instead.)

Fix: set the missing window fields.
";
"C011" "invalid-autoscaler" "The builtin autoscaler rules are invalid.

Why: at most one CPU rule and one memory rule can apply.

Fix: remove the duplicate rule.
";
"C012" "invalid-state-config" "`statefulConfig` is invalid.

Why: Go functions have no state store, and `pulsar.serviceUrl` is required.

Fix: remove `statefulConfig` or set `serviceUrl`.
";
"C013" "invalid-crypto" "A crypto configuration is incomplete.

Why: encryption needs `cryptoKeyReaderClassName`, and producer encryption at least
one entry in `encryptionKeys`.

Fix: add the missing fields.
";
"C014" "ignored-field" "A field is accepted by the operator's schema but has no effect.

Why: the operator declares some fields it never reads (`sourceType` on Source,
`sinkType` on Sink, `statefulConfig.pulsar.javaProvider.config`,
`javaLog4JConfigFileType: ini`). fmc says so rather than silently dropping them.
An autoscaler whose `minReplicas` equals its `maxReplicas` is one too: it never
scales, and the operator drops its builtin rules.

Fix: remove the field, or move the setting where it takes effect.
";
"C015" "inline-credentials" "Credentials are written inline in the resource.

Why: `genericAuth.clientAuthenticationParameters` ends up in the pod's command line,
visible to anyone who can read the StatefulSet. A token or password there is a
leaked secret, so it is an error. A password-like key in `funcConfig`,
`sourceConfig` or `sinkConfig` also lands on the command line; that is a warning,
since some connectors take settings no other way.

Fix: reference a key file mounted from a Secret (for example OAuth2
`keySecretName`/`keySecretKey`), or the legacy `authSecret`; for configs, move the
value into a Secret and reference it with `secretsMap`.
";
"C016" "unsupported-option" "An option is valid for the operator but fmc cannot honour it as written.

Why: some settings only mean something to a running controller: subscription
cleanup on deletion needs a delete event (fmc renders it as a Helm/Argo CD delete
hook with `--cleanup-hooks`); `compute.functionmesh.io/managed: \"false\"` makes the
operator skip a resource, so fmc renders nothing for it; generic OAuth2 parameters
that are not JSON cannot configure the log-shipping sidecar. fmc says what it did
instead of dropping the setting silently.

Fix: follow the help line; see docs/compatibility.md.
";
"C017" "selector-label-override" "A pod label overrides one of the component's selector labels.

Why: the StatefulSet selects its pods by the component labels; a pod template
label with another value under the same key makes the StatefulSet invalid (the
API server rejects a selector that does not match the template). The operator
merges `pod.labels` over the component labels without checking.

Fix: remove the label from `pod.labels`, or use another key.
";
"C018" "incompatible-schema" "A consumer's read schema cannot read what a producer writes to the same topic.

Why: Pulsar checks schemas when a consumer subscribes and fails at run time
(\"Trying to subscribe with incompatible schema\"), or the consumer fails to decode
messages. fmc checks every reader against every writer of every topic before
anything runs, using the rules in docs/schema-rules.md: Avro resolution (new
reader fields need defaults, promotions int→long→float→double, enums, unions,
aliases), JSON by the same rules, protobuf wire compatibility, primitives by
type, KEY_VALUE component by component; BYTES and AUTO_CONSUME read anything.

Fix: give the reader's new fields defaults, read with the writer's schema, or
change what the producer writes. The secondary label shows the writer.

Example:
    # OrderV2 adds `currency` without a default; checkout writes OrderV1
    inputs: [{topic: orders, schema: OrderV2}]
";
"C019" "schema-evolution-rejected" "A producer writes a schema the topic's compatibility strategy does not accept.

Why: Pulsar refuses to register a schema that breaks the topic's strategy
(BACKWARD, FORWARD, FULL, their _TRANSITIVE forms, ALWAYS_INCOMPATIBLE), so the
producer fails at start-up. fmc applies the same strategy against the topic's
declared schema (and `history`, for transitive strategies).

Fix: evolve the schema within the strategy (add fields with defaults, keep types),
or change the topic's `compatibility` on purpose.
";
"C020" "topic-never-produced" "A declared topic is read but nothing in the mesh writes it.

Why: the consumers would wait for ever; usually an output was renamed or removed.
Topics fed from outside the mesh say so with `external: true`.

Fix: add the producer, or mark the topic `external: true`.
";
"C021" "topic-never-consumed" "A declared topic is written but nothing in the mesh reads it.

Why: the data piles up unread (and costs storage); often a consumer was renamed.
Topics read outside the mesh say so with `external: true`. Dead-letter and log
topics are exempt.

Fix: add the consumer, remove the output, or mark the topic `external: true`.
";
"C022" "duplicate-pulsar-name" "Two components of the same kind have the same Pulsar name on the same cluster.

Why: Pulsar identifies a function, source or sink by tenant/namespace/name; two
with the same name overwrite each other's registration, share a subscription and
mix their metrics, even when their Kubernetes objects differ.

Fix: give one of them another `name`, tenant or namespace.
";
"C023" "shared-subscription" "Two components consume one topic on the same subscription name.

Why: a subscription shared by two different components splits the messages
between them; each sees only part of the stream.

Fix: give each component its own subscription name, or leave it unset (the
default, the component's fully qualified name, is unique).
";
"C024" "cycle-without-exit" "Components form a cycle and none of them writes anywhere outside it.

Why: cycles are allowed (retry loops), but a message in a cycle without an exit
circulates for ever and the topics grow without bound.

Fix: let a member of the cycle write to a topic outside it: a dead-letter topic,
an `external` topic, or one read by a component outside the cycle.
";
"C025" "fan-in" "Several components write the same topic.

Why: fan-in is sometimes meant (several sources into one stream), but it is also
what a copy-pasted output looks like, and ordering across producers is lost.

Fix: declare the topic with `multipleProducers: true` if it is meant; otherwise
give each producer its own topic.
";
"C026" "invalid-secret-key" "A Secret (or ConfigMap) key is not one Kubernetes allows.

Why: keys name files in the mounted volume and reach the container's command
line (`--tls_trust_cert_path /etc/tls/pulsar-functions/<key>`). Kubernetes keys
are letters, digits, `-`, `_` and `.` only (at most 253 characters, not `.` or
`..`); a key with `/`, a blank, a quote or `$` can never exist in a real Secret,
so it is either a mistake or an attempt to put a path or shell text into the pod.
Checked for `tlsConfig.certSecretKey`, `oauth2Config.keySecretKey`,
`secretsMap.*.key` and `cryptoSecrets[*].secretKey` (the native DSL's
`clusters.*.tls.caCert.key` and `auth.oauth2.privateKey.key` lower to them).

Fix: use the key's real name in the Secret.

Example:
    tlsConfig: {enabled: true, certSecretName: pulsar-ca, certSecretKey: \"ca.crt; id\"}
";
"C027" "admission-refused" "The Function Mesh operator's admission webhook would refuse the resource.

Why: the operator checks every Function, Source and Sink when it is created
(`pkg/webhook`) and refuses what its controller cannot run. fmc applies the same
rules ahead of time (docs/compatibility.md maps each to its code); the ones no
other code covers are these: a source without `sourceConfig`, a sink without
`sinkConfig`, an empty `jar`/`py`/`go`, a negative `receiverQueueSize`, a
component without `pulsar.pulsarConfig`, a `pulsarPackageService` without its
own `pulsarConfig`, resources without a memory request and a memory limit (the
webhook's own defaults for them never take effect). A native mesh's components
are checked only with `--target operator`, where the webhook will see them.

Fix: add or correct the field the message names.

Example:
    kind: Sink
    spec:
      className: org.apache.pulsar.io.jdbc.PostgresJdbcAutoSchemaSink
      java: {jar: connectors/pulsar-io-jdbc-postgres.nar}
      # no sinkConfig: refused
";
"C028" "not-provisioned" "`--provision` leaves something out, and says why.

Why: provisioning renders only what fmc can state exactly. Pulsar stores a
PROTOBUF schema as the Avro schema the Java client derives from generated
classes, which fmc does not derive, so the topic and its compatibility strategy
are provisioned and the first producer registers the schema (PROTOBUF_NATIVE
schemas are provisioned, as their descriptor set, unless the .proto imports
other files, which fmc does not read). The
pulsar-resources-operator reads a CA certificate only from a file in its own
pod, so a cluster's `tls.caCert` Secret cannot be put on a generated
PulsarConnection. Operator resources (Function, Sink, FunctionMesh, ...) declare
no topics to provision.

Fix: nothing, if that is what you want. Otherwise name a PulsarConnection that
has the CA with `pulsarConnection`, and convert operator resources to a mesh
with `fmc convert` to provision their topics.

Example:
    schemas:
      Purchase: {type: PROTOBUF, file: purchase.proto, message: shop.Purchase}
";
"C029" "program-cannot-read-payloads" "A jq or route function reads or writes payloads it cannot have as values.

Why: jq and route programs work on values. The runner decodes each input with
the schema its topic's writers use (AVRO, JSON, the primitives, KEY_VALUE),
gives the program the value, and encodes a jq program's results with the output
topic's schema. A PROTOBUF or PROTOBUF_NATIVE payload cannot be decoded that
way: the runner does not carry the message's descriptor, so every message
would fail and go to the dead-letter topic.

Fix: read the topic with a WebAssembly module (which gets the bytes), or give
the function a topic with an AVRO or JSON schema.

Example:
    schemas:
      Purchase: {type: PROTOBUF_NATIVE, file: purchase.proto, message: shop.Purchase}
    topics:
      purchases: {schema: Purchase, external: true}
    functions:
      big:
        runtime: native
        jq: 'select(.cents > 100)'      # C029: jq cannot read protobuf
        inputs: [purchases]
";
"T001" "invalid-test-file" "A mesh test file says something `fmc test` cannot do.

Why: a test file (`kind: MeshTest`) is typed like any input (unknown fields and
wrong types are P-codes), but some rules span fields: a stand-in is exactly one
of `passThrough`, `drop`, `jq` and `outputs`; a message gives exactly one of
`value` (encoded with the topic's schema), `text` and `base64`, and a sent one
names its `topic`; the mesh is a file inside the test file's folder (a test file
from a careless or hostile repository reads nothing outside it); the file holds
one document.

Fix: keep one of the alternatives the message names, or move the mesh beside
the test file.

Example:
    spec:
      standIns:
        enrich: {passThrough: true, drop: true}   # T001: which one?
";
"T002" "unknown-test-name" "A mesh test names a topic or component the mesh does not have.

Why: a test that sends to a misspelt topic would send nothing, and an
expectation on one would wait for messages that never come: the test would
pass or fail for the wrong reason. Topics are named by their key under the
mesh's `topics`, by the address's last segment, or by the full address; a name
used on two clusters needs `NAME@CLUSTER`. Stand-ins and modules are keyed by
the component's key under `functions`, `sources` or `sinks`.

Fix: use the name the mesh declares (the help suggests the closest).

Example:
    tests:
      - name: big orders pass
        send: [{topic: order, value: {id: 1}}]   # T002: the mesh has `orders`
";
}

pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    REGISTRY.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_documented() {
        let mut seen = std::collections::BTreeSet::new();
        for c in REGISTRY {
            assert!(seen.insert(c.code), "duplicate code {}", c.code);
            assert!(c.docs.contains("Why:"), "{} lacks a Why section", c.code);
            assert!(c.docs.contains("Fix:"), "{} lacks a Fix section", c.code);
        }
    }
}
