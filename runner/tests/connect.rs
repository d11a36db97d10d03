//! How the runner reaches what it needs: a module downloaded over https
//! (private CA, pinned hash), the broker over TLS, OAuth2 client credentials,
//! and a slow network. Real brokers (pulsar-lite through the relay; Apache
//! Pulsar with TLS and token authorization, a standalone of its own), real TLS
//! (certificates made by `openssl`), real HTTP servers (Python's).

mod support;

use serde_json::{Value, json};
use sha2::Digest;
use std::time::{Duration, Instant};
use support::*;

fn config(name: &str, input: &str, output: &str, function: Value) -> Value {
    json!({
        "tenant": "public", "namespace": "default", "name": name, "serviceUrl": "",
        "inputs": [input], "output": output, "subscriptionPosition": "earliest", "function": function,
    })
}

/// Sends `n` lowercase payloads to `input`, returns the distinct payloads that arrive on `output`.
async fn round_trip(cluster: &Cluster, input: &str, output: &str, n: usize) -> std::collections::BTreeSet<String> {
    let client = cluster.client().await;
    let mut out = subscribe(&client, output, "check").await;
    produce(&client, input, (0..n).map(|i| format!("msg-{i}").into_bytes())).await;
    let mut seen = std::collections::BTreeSet::new();
    collect(&mut out, Duration::from_secs(60), |p| {
        seen.insert(p.to_vec());
        seen.len() >= n
    })
    .await
    .into_iter()
    .map(|p| String::from_utf8_lossy(&p).to_string())
    .collect()
}

const HTTPS_FILES: &str = r#"
import functools, http.server, ssl, sys
port, directory, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"#;

/// `bytes` served as `name` over https by a server with a private CA under
/// `dir`: the server (it stops when dropped), the URL, the bytes' SHA-256 and
/// the certificates.
fn pinned_over_https(dir: &std::path::Path, name: &str, bytes: &[u8]) -> (PyServer, String, String, Certificates) {
    let certs = certificates(dir);
    let files = dir.join("files");
    std::fs::create_dir_all(&files).expect("dir");
    std::fs::write(files.join(name), bytes).expect("write");
    let pin: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let server = PyServer::start(
        HTTPS_FILES,
        &[&files.display().to_string(), &certs.cert.display().to_string(), &certs.key.display().to_string()],
    );
    let url = format!("https://127.0.0.1:{}/{name}", server.port);
    (server, url, pin, certs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_downloaded_over_https_runs_and_a_wrong_pin_refuses_to_start() {
    let Some(bin) = pulsar_lite() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let module = std::fs::read(upper_wat()).expect("module");
    let (_server, url, pin, certs) = pinned_over_https(dir.path(), "upper.wat", &module);
    let cluster = Cluster::start(&bin).await;
    let (input, output) = (topic("h-in"), topic("h-out"));

    let mut c = config("fetched", &input, &output, json!({"wasm": {"url": url, "sha256": pin}}));
    c["tlsTrustCertsFile"] = certs.ca.display().to_string().into();
    let runner = Runner::start(&cluster.url(), c.clone());
    runner.wait_ready(Duration::from_secs(20));
    let got = round_trip(&cluster, &input, &output, 100).await;
    assert_eq!(got.len(), 100);
    assert!(got.contains("MSG-42"), "{got:?}");

    // Another hash: refuses to start (exit 2), and says why.
    let mut wrong = c.clone();
    wrong["function"]["wasm"]["sha256"] = "ab".repeat(32).into();
    let mut refused = Runner::start(&cluster.url(), wrong);
    assert_eq!(refused.wait_exit(Duration::from_secs(30)), Some(2));
    assert!(refused.log().contains("refusing to start"), "{}", refused.log());

    // Without the private CA the server is not trusted.
    let mut untrusted = c.clone();
    untrusted.as_object_mut().expect("object").remove("tlsTrustCertsFile");
    let mut refused = Runner::start(&cluster.url(), untrusted);
    assert_eq!(refused.wait_exit(Duration::from_secs(30)), Some(2));
    assert!(refused.log().contains("TLS"), "{}", refused.log());
}

/// A Python function's code over https, pinned: fetched into the pod's
/// writable folder (the journal's emptyDir), run; another pin refuses to start.
#[cfg(feature = "python")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_code_downloaded_over_https_runs_and_a_wrong_pin_refuses_to_start() {
    let Some(bin) = pulsar_lite() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let code = std::fs::read(project_root().join("python/tests/functions/exclamation.py")).expect("code");
    let (_server, url, pin, certs) = pinned_over_https(dir.path(), "exclamation.py", &code);
    let cluster = Cluster::start(&bin).await;
    let (input, output) = (topic("hp-in"), topic("hp-out"));
    let python = json!({"python": {"className": "exclamation.ExclamationFunction", "url": url, "sha256": pin}});
    let mut c = config("fetched-py", &input, &output, python);
    c["tlsTrustCertsFile"] = certs.ca.display().to_string().into();
    let state = dir.path().join("state");
    c["journalDir"] = state.display().to_string().into();
    let runner = Runner::start(&cluster.url(), c.clone());
    runner.wait_ready(Duration::from_secs(20));
    let got = round_trip(&cluster, &input, &output, 100).await;
    assert!(got.len() == 100 && got.contains("msg-42!"), "{got:?}\n{}", runner.log());
    assert!(state.join("python-code/exclamation.py").is_file(), "fetched into the writable folder");

    let mut wrong = c.clone();
    wrong["function"]["python"]["sha256"] = "ab".repeat(32).into();
    let mut refused = Runner::start(&cluster.url(), wrong);
    assert_eq!(refused.wait_exit(Duration::from_secs(30)), Some(2));
    assert!(refused.log().contains("refusing to start"), "{}", refused.log());
}

/// `fmc-runner launch-go` with a Go function's binary over https, pinned:
/// fetched into the work folder, made executable and executed with the
/// instance configuration filled in (here a script that writes down its
/// arguments stands in for the binary); another pin refuses to start.
#[test]
fn a_go_binary_over_https_is_checked_filled_in_and_executed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let said = dir.path().join("arguments");
    let script = format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\n", said.display());
    let (_server, url, pin, certs) = pinned_over_https(dir.path(), "go-words", script.as_bytes());
    let conf =
        r#"{"pulsarServiceURL":"${brokerServiceURL}","instanceID":0,"funcID":"${SHARD_ID}-uid","name":"go-words"}"#;
    let launch = |pin: &str| {
        let work = tempfile::tempdir_in(dir.path()).expect("work");
        let ca = certs.ca.display().to_string();
        let args = ["launch-go", "--instance-conf", conf, "--url", &url, "--sha256", pin, "--tls-trust-certs", &ca];
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fmc-runner"))
            .args(args)
            .arg("--work-dir")
            .arg(work.path())
            .env("POD_NAME", "go-words-function-2")
            .env("brokerServiceURL", "pulsar://broker:6650")
            .output()
            .expect("runs");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string(), work)
    };
    let (code, log, work) = launch(&pin);
    assert_eq!(code, Some(0), "the script's exit is the container's: {log}");
    assert!(work.path().join("go-function").is_file(), "fetched into the work folder");
    let said = std::fs::read_to_string(&said).expect("the binary ran");
    let args: Vec<&str> = said.lines().collect();
    assert_eq!(args[0], "-instance-conf", "{said}");
    let conf: Value = serde_json::from_str(args[1]).expect("JSON");
    assert_eq!(
        conf,
        json!({"pulsarServiceURL": "pulsar://broker:6650", "instanceID": 2, "funcID": "2-uid", "name": "go-words"})
    );
    assert!(log.contains("starting the Go function"), "{log}");

    let (code, log, _) = launch(&"ab".repeat(32));
    assert_eq!(code, Some(2), "{log}");
    assert!(log.contains("refusing to start"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_reaches_the_broker_over_tls_with_a_private_ca() {
    let Some(bin) = pulsar_lite() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let certs = certificates(dir.path());
    let cluster = Cluster::start(&bin).await;
    let tls = fmc_runner::relay::tls_server_config(&certs.cert.display().to_string(), &certs.key.display().to_string())
        .expect("server config");
    let tls_relay =
        fmc_runner::relay::Relay::start_with("127.0.0.1:0".parse().expect("addr"), cluster.broker.addr, Some(tls))
            .await
            .expect("relay");
    let (input, output) = (topic("s-in"), topic("s-out"));
    let url = format!("pulsar+ssl://127.0.0.1:{}", tls_relay.addr.port());
    // Without the private CA the broker's certificate is refused.
    let mut untrusting = Runner::start(&url, config("untrusting", &input, &output, json!({"identity": {}})));
    assert_eq!(untrusting.wait_exit(Duration::from_secs(30)), Some(1), "{}", untrusting.log());
    assert!(untrusting.log().contains("cannot connect"), "{}", untrusting.log());
    let mut c = config("secure", &input, &output, json!({"identity": {}}));
    c["tlsTrustCertsFile"] = certs.ca.display().to_string().into();
    let runner = Runner::start(&url, c);
    runner.wait_ready(Duration::from_secs(20));
    assert_eq!(round_trip(&cluster, &input, &output, 200).await.len(), 200);
    assert!(!tls_relay.connects.lock().expect("lock").is_empty(), "the runner came in over TLS");
}

const OAUTH2_ISSUER: &str = r#"
import http.server, json, sys, urllib.parse
port, log = int(sys.argv[1]), sys.argv[2]
class Issuer(http.server.BaseHTTPRequestHandler):
    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        assert self.path == "/.well-known/openid-configuration", self.path
        self.reply({"issuer": f"http://127.0.0.1:{port}", "token_endpoint": f"http://127.0.0.1:{port}/oauth/token"})
    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["content-length"])).decode())
        with open(log, "a") as f:
            f.write(json.dumps({k: v[0] for k, v in form.items()}) + "\n")
        ok = form.get("client_secret") == ["s3cret"]
        self.reply({"access_token": "issued-token-1", "expires_in": 3600} if ok else {"error": "invalid_client"})
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), Issuer).serve_forever()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_client_credentials_reach_the_broker_as_a_token() {
    let Some(bin) = pulsar_lite() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("issuer.log");
    let issuer = PyServer::start(OAUTH2_ISSUER, &[&log.display().to_string()]);
    let key = dir.path().join("key.json");
    std::fs::write(&key, r#"{"type": "client_credentials", "client_id": "fmc-fn", "client_secret": "s3cret"}"#)
        .expect("key");
    let cluster = Cluster::start(&bin).await;
    let (input, output) = (topic("o-in"), topic("o-out"));
    let mut c = config("authed", &input, &output, json!({"identity": {}}));
    c["oauth2"] = json!({
        "issuerUrl": format!("http://127.0.0.1:{}", issuer.port),
        "privateKey": format!("file://{}", key.display()),
        "audience": "urn:pulsar:test",
    });
    let runner = Runner::start(&cluster.url(), c);
    runner.wait_ready(Duration::from_secs(20));
    assert_eq!(round_trip(&cluster, &input, &output, 50).await.len(), 50);
    let connects = cluster.relay.connects.lock().expect("lock").clone();
    assert!(
        connects.iter().any(|(method, data)| method == "token" && data == b"issued-token-1"),
        "the runner presented the issued token: {connects:?}"
    );
    let request: Value =
        serde_json::from_str(std::fs::read_to_string(&log).expect("issuer log").lines().next().expect("a request"))
            .expect("json");
    assert_eq!(request["grant_type"], "client_credentials");
    assert_eq!(request["client_id"], "fmc-fn");
    assert_eq!(request["audience"], "urn:pulsar:test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_network_adds_latency_but_loses_nothing() {
    let Some(bin) = pulsar_lite() else { return };
    let cluster = Cluster::start(&bin).await;
    let (input, output) = (topic("d-in"), topic("d-out"));
    let runner = Runner::start(&cluster.url(), config("patient", &input, &output, json!({"identity": {}})));
    runner.wait_ready(Duration::from_secs(20));
    // 150 ms on every broker → client frame: receipts, deliveries, lookups.
    cluster.relay.set_delay(Duration::from_millis(150));
    let started = Instant::now();
    let got = round_trip(&cluster, &input, &output, 2000).await;
    assert_eq!(got.len(), 2000, "{}", runner.log());
    assert!(started.elapsed() >= Duration::from_millis(300), "the delay applied");
    cluster.relay.set_delay(Duration::ZERO);
    assert_eq!(runner.get("/readyz").map(|r| r.0), Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_broker_is_logged_per_attempt_and_given_up_on_in_bounded_time() {
    // A port nothing listens on (bound, then released).
    let port = free_port();
    let c =
        config("nobody", "persistent://public/default/in", "persistent://public/default/out", json!({"identity": {}}));
    let start = Instant::now();
    let mut runner = Runner::start(&format!("pulsar://127.0.0.1:{port}"), c);
    let code = loop {
        if let Some(status) = runner.child.try_wait().expect("wait") {
            break status.code();
        }
        assert!(start.elapsed() < Duration::from_secs(90), "runner still trying:\n{}", runner.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = start.elapsed();
    let log = runner.log();
    assert_ne!(code, Some(0), "{log}");
    let attempts = log.lines().filter(|l| l.contains("broker connection attempt failed")).count();
    assert_eq!(attempts, 5, "{log}");
    assert!(log.contains("\"attempt\":\"5/5\"") && log.contains("giving up after 5 attempts"), "{log}");
    // 5 attempts of at most 10 s and 3.75 s of pauses (docs: ≈ 54 s), with slack for a loaded machine.
    assert!(took < Duration::from_secs(70), "gave up only after {took:?}");
}

/// Sends `n` payloads to `input` over `client`, returns the distinct payloads on `output`.
async fn round_trip_over(
    client: &pulsar::Pulsar<pulsar::TokioExecutor>,
    input: &str,
    output: &str,
    n: usize,
) -> std::collections::BTreeSet<Vec<u8>> {
    let mut out = subscribe(client, output, "check").await;
    produce(client, input, (0..n).map(|i| format!("msg-{i}").into_bytes())).await;
    let mut seen = std::collections::BTreeSet::new();
    collect(&mut out, Duration::from_secs(60), |p| {
        seen.insert(p.to_vec());
        seen.len() >= n
    })
    .await;
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// Apache Pulsar with TLS on its binary port (a private CA) and token
/// authentication and authorization on: the runner, given the CA and a
/// token file as `fmc build` renders them (`tlsTrustCertsFile`, `tokenFile`),
/// connects over `pulsar+ssl://` with the token of a role granted produce and
/// consume, and messages flow. Without a token the broker refuses the
/// connection; with the token of a role that has no permission, the
/// subscription — each ends the runner with the broker's reason in its log.
async fn apache_pulsar_over_tls_with_token_auth_accepts_the_granted_role_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certs = certificates(dir.path());
    let key: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37).wrapping_add(std::process::id() as u8)).collect();
    let key_file = dir.path().join("token.key");
    std::fs::write(&key_file, &key).expect("key");
    let admin_token = token(&key, "admin");
    let tls_port = free_port();
    let settings = [
        ("FMC_PULSAR_BROKER_TLS_PORT", tls_port.to_string()),
        ("FMC_PULSAR_TLS_CERT", certs.cert.display().to_string()),
        ("FMC_PULSAR_TLS_KEY", certs.key.display().to_string()),
        ("FMC_PULSAR_TOKEN_SECRET_KEY", key_file.display().to_string()),
        ("FMC_PULSAR_ADMIN_TOKEN", admin_token.clone()),
    ];
    let Some(pulsar) = OwnPulsar::start_with(&settings) else { return };
    let grant = r#"["produce","consume"]"#;
    let (code, body) = admin_call_as(
        Some(&admin_token),
        &pulsar.admin,
        "POST",
        "/admin/v2/namespaces/public/default/permissions/fmc-fn",
        Some(grant),
    );
    assert!((200..300).contains(&code), "grant: {code} {body}");
    let (code, _) = admin_call(&pulsar.admin, "GET", "/admin/v2/namespaces/public", None);
    assert_eq!(code, 401, "the admin API wants a token too");

    let url = format!("pulsar+ssl://127.0.0.1:{tls_port}");
    let (input, output) = (topic("auth-in"), topic("auth-out"));
    let with_token = |name: &str, role: Option<&str>| {
        let mut c = config(name, &input, &output, json!({"identity": {}}));
        c["tlsTrustCertsFile"] = certs.ca.display().to_string().into();
        if let Some(role) = role {
            let file = dir.path().join(format!("{role}.token"));
            std::fs::write(&file, format!("{}\n", token(&key, role))).expect("token file");
            c["tokenFile"] = file.display().to_string().into();
        }
        c
    };
    let mut anonymous = Runner::start(&url, with_token("anonymous", None));
    assert_ne!(anonymous.wait_exit(Duration::from_secs(30)), Some(0), "{}", anonymous.log());
    assert!(anonymous.log().contains("cannot connect"), "{}", anonymous.log());
    let mut stranger = Runner::start(&url, with_token("stranger", Some("stranger")));
    assert_ne!(stranger.wait_exit(Duration::from_secs(30)), Some(0), "{}", stranger.log());
    assert!(stranger.log().contains("AuthorizationError"), "{}", stranger.log());

    let runner = Runner::start(&url, with_token("granted", Some("fmc-fn")));
    runner.wait_ready(Duration::from_secs(30));
    let client = pulsar::Pulsar::builder(url.clone(), pulsar::TokioExecutor)
        .with_certificate_chain_file(&certs.ca)
        .expect("CA")
        .with_auth(pulsar::Authentication { name: "token".into(), data: admin_token.into_bytes() })
        .build()
        .await
        .expect("the test's client connects over TLS with the admin token");
    let got = round_trip_over(&client, &input, &output, 200).await;
    assert_eq!(got.len(), 200, "{}", runner.log());
    assert!(runner.log().contains(&format!("\"inputs\":\"{input}\"")), "{}", runner.log());
    assert!(!runner.log().contains(&token(&key, "fmc-fn")), "the token never reaches the log");
}

#[test]
fn the_test_tokens_hmac_is_rfc_4231s() {
    // RFC 4231, test case 2.
    let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert_eq!(base64url(b"\xfb\xff"), "-_8");
}
