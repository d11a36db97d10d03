//! A real broker for the runner's end-to-end tests: pulsar-lite (from the
//! project's venv, `scripts/setup.sh`), reached through the checksum relay, on
//! loopback ports chosen at run time. Everything started here is stopped when
//! its handle drops.

#![allow(dead_code, reason = "each test binary uses part of the harness")]

use fmc_runner::relay::Relay;
use futures::StreamExt;
use pulsar::{Consumer, Pulsar, SubType, TokioExecutor, consumer::InitialPosition};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The pulsar-lite binary, or `None` (skip) outside CI when it is not installed.
pub fn pulsar_lite() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FMC_PULSAR_LITE") {
        return Some(PathBuf::from(p));
    }
    let lib = project_root().join(".venv/lib");
    let found = std::fs::read_dir(&lib).ok().into_iter().flatten().flatten().find_map(|e| {
        let p = e.path().join("site-packages/pulsar_lite/bin/pulsar-lite");
        p.exists().then_some(p)
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "pulsar-lite not found under {} (run scripts/setup.sh)",
            lib.display()
        );
        eprintln!("skipping: pulsar-lite not installed (run scripts/setup.sh)");
    }
    found
}

/// A free loopback port for a process that cannot bind port 0 itself (the
/// broker). Taken below the kernel's ephemeral range (32768+), so neither a
/// port-0 bind nor an outgoing connection of another test can take it between
/// this check and the broker's bind; the start depends on the process id so
/// parallel test binaries look in different places.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 600) as u16 * 20;
    for _ in 0..12_000 {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed) % 12_000;
        let port = 20_000 + (base - 20_000 + offset) % 12_000;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port()
}

fn wait_for_port(addr: SocketAddr, timeout: Duration) {
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        assert!(start.elapsed() < timeout, "nothing listens on {addr} after {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A pulsar-lite process with its own data directory.
pub struct Broker {
    binary: PathBuf,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Broker {
    pub fn start(binary: &Path) -> Broker {
        let dir = tempfile::tempdir().expect("tempdir");
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let mut b = Broker { binary: binary.to_path_buf(), addr, dir, child: None };
        b.spawn();
        b
    }

    fn spawn(&mut self) {
        // Metrics on loopback only (its default is 0.0.0.0:8080), logs at warn.
        let config = self.dir.path().join("lite.toml");
        std::fs::write(&config, format!("[metrics]\naddr = \"127.0.0.1:{}\"\n", free_port())).expect("config");
        let child = Command::new(&self.binary)
            .arg("--config")
            .arg(&config)
            .arg("--addr")
            .arg(self.addr.to_string())
            .arg("--db-path")
            .arg(self.dir.path().join("db"))
            .arg("--log-level")
            .arg("warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pulsar-lite starts");
        self.child = Some(child);
        wait_for_port(self.addr, Duration::from_secs(20));
    }

    /// `kill -9`, then the same data directory again.
    pub fn crash_and_restart(&mut self, down_for: Duration) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        std::thread::sleep(down_for);
        self.spawn();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Broker plus relay: what clients (the runner, the tests' own) connect to.
pub struct Cluster {
    pub broker: Broker,
    pub relay: Relay,
}

impl Cluster {
    pub async fn start(binary: &Path) -> Cluster {
        let broker = Broker::start(binary);
        let relay = Relay::start("127.0.0.1:0".parse().expect("addr"), broker.addr).await.expect("relay");
        Cluster { broker, relay }
    }

    pub fn url(&self) -> String {
        format!("pulsar://{}", self.relay.addr)
    }

    pub async fn client(&self) -> Pulsar<TokioExecutor> {
        Pulsar::builder(self.url(), TokioExecutor).build().await.expect("client connects")
    }
}

pub fn topic(name: &str) -> String {
    format!("persistent://public/default/{name}")
}

/// Which broker a test runs against: its own pulsar-lite (through the
/// checksum relay), or the Apache Pulsar standalone that
/// `scripts/pulsar-standalone.sh start` runs (shared by every test, so each
/// bed names its topics with a suffix of its own).
pub struct Bed {
    /// pulsar-lite's broker and relay; `None` on Apache Pulsar.
    pub lite: Option<Cluster>,
    /// The admin API's URL; `None` on pulsar-lite, which has none.
    pub admin: Option<String>,
    url: String,
    suffix: String,
    pub name: &'static str,
}

impl Bed {
    /// A pulsar-lite of this test's own; `None` (skip) outside CI without it.
    pub async fn lite() -> Option<Bed> {
        let bin = pulsar_lite()?;
        let cluster = Cluster::start(&bin).await;
        Some(Bed { url: cluster.url(), lite: Some(cluster), admin: None, suffix: String::new(), name: "pulsar-lite" })
    }

    /// The running Apache Pulsar standalone; `None` (skip) outside CI when
    /// none runs. Under CI (`scripts/test.sh` starts it) a missing one fails.
    pub async fn apache() -> Option<Bed> {
        let Some((url, admin)) = apache_pulsar() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "no Apache Pulsar standalone: run `bash scripts/pulsar-standalone.sh start`"
            );
            eprintln!("skipping: no Apache Pulsar standalone (bash scripts/pulsar-standalone.sh start)");
            return None;
        };
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let suffix = format!("-{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        Some(Bed { lite: None, admin: Some(admin), url, suffix, name: "Apache Pulsar" })
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub async fn client(&self) -> Pulsar<TokioExecutor> {
        Pulsar::builder(self.url(), TokioExecutor).build().await.expect("client connects")
    }

    /// A topic of this bed's own.
    pub fn topic(&self, name: &str) -> String {
        format!("persistent://public/default/{name}{}", self.suffix)
    }

    /// A name (of a namespace, say) of this bed's own.
    pub fn unique(&self, name: &str) -> String {
        format!("{name}{}", self.suffix)
    }
}

/// The Apache Pulsar standalone's broker and admin URLs: `FMC_PULSAR_URL` and
/// `FMC_PULSAR_ADMIN_URL`, else the `env` file `scripts/pulsar-standalone.sh
/// start` writes for its default instance.
pub fn apache_pulsar() -> Option<(String, String)> {
    if let (Ok(url), Ok(admin)) = (std::env::var("FMC_PULSAR_URL"), std::env::var("FMC_PULSAR_ADMIN_URL")) {
        return Some((url, admin));
    }
    let file = std::fs::read_to_string(project_root().join(".pulsar/run/default/env")).ok()?;
    let value = |key: &str| file.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=').map(str::to_string));
    let (url, admin) = (value("FMC_PULSAR_URL")?, value("FMC_PULSAR_ADMIN_URL")?);
    // The file outlives a broker that was killed: only a live one counts.
    let addr = url.strip_prefix("pulsar://")?.parse::<SocketAddr>().ok()?;
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    Some((url, admin))
}

/// An Apache Pulsar standalone of one test's own, for a test that kills it:
/// `scripts/pulsar-standalone.sh` with an instance name and ports of its own
/// (the shared standalone serves every other test). Stopped on drop.
pub struct OwnPulsar {
    env: Vec<(String, String)>,
    pid_file: PathBuf,
    pub url: String,
    pub admin: String,
}

impl OwnPulsar {
    /// `None` (skip) outside CI when the jars are not installed.
    pub fn start() -> Option<OwnPulsar> {
        OwnPulsar::start_with(&[])
    }

    /// [`OwnPulsar::start`] with more of the script's settings (TLS, tokens).
    pub fn start_with(settings: &[(&str, String)]) -> Option<OwnPulsar> {
        if !project_root().join(".pulsar/lib/.version").is_file() {
            assert!(std::env::var_os("CI").is_none(), "no Apache Pulsar jars (scripts/setup.sh)");
            eprintln!("skipping: no Apache Pulsar jars (bash scripts/pulsar-standalone.sh install)");
            return None;
        }
        let instance = format!("test-{}-{}", std::process::id(), free_port());
        let (broker, web, bookie) = (free_port(), free_port(), free_port());
        let env: Vec<(String, String)> = [
            ("FMC_PULSAR_INSTANCE".to_string(), instance.clone()),
            ("FMC_PULSAR_BROKER_PORT".to_string(), broker.to_string()),
            ("FMC_PULSAR_WEB_PORT".to_string(), web.to_string()),
            ("FMC_PULSAR_BOOKIE_PORT".to_string(), bookie.to_string()),
            ("FMC_PULSAR_HEAP".to_string(), "256m".to_string()),
        ]
        .into_iter()
        .chain(settings.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .collect();
        let pid_file = project_root().join(".pulsar/run").join(&instance).join("pid");
        let (url, admin) = (format!("pulsar://127.0.0.1:{broker}"), format!("http://127.0.0.1:{web}"));
        let own = OwnPulsar { env, pid_file, url, admin };
        own.script(&["start"]);
        Some(own)
    }

    fn script(&self, args: &[&str]) {
        let out = Command::new("bash")
            .arg(project_root().join("scripts/pulsar-standalone.sh"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("bash runs");
        assert!(out.status.success(), "pulsar-standalone.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `kill -9` of the broker (bookie and metadata store with it: one JVM),
    /// then the same data again.
    pub fn crash_and_restart(&self) {
        let pid = std::fs::read_to_string(&self.pid_file).expect("pid file");
        let status = Command::new("kill").args(["-9", pid.trim()]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{}", pid.trim())).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.script(&["start", "--keep-data"]);
    }

    pub async fn client(&self) -> Pulsar<TokioExecutor> {
        Pulsar::builder(self.url.clone(), TokioExecutor).build().await.expect("client connects")
    }
}

impl Drop for OwnPulsar {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(project_root().join("scripts/pulsar-standalone.sh"))
            .args(["stop", "--purge"])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output();
    }
}

/// One test body, run twice: on pulsar-lite and on Apache Pulsar
/// (`mod NAME { fn pulsar_lite; fn apache_pulsar }`).
#[macro_export]
macro_rules! on_both_brokers {
    ($body:ident) => {
        mod $body {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn pulsar_lite() {
                let Some(bed) = super::Bed::lite().await else { return };
                super::$body(bed).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn apache_pulsar() {
                let Some(bed) = super::Bed::apache().await else { return };
                super::$body(bed).await
            }
        }
    };
}

/// Sends `payloads` with at most 1,000 in flight; returns when all are confirmed.
pub async fn produce(client: &Pulsar<TokioExecutor>, topic: &str, payloads: impl IntoIterator<Item = Vec<u8>>) {
    produce_as(client, topic, None, payloads).await
}

/// [`produce`] from a producer that declares `schema`.
pub async fn produce_as(
    client: &Pulsar<TokioExecutor>,
    topic: &str,
    schema: Option<pulsar::message::proto::Schema>,
    payloads: impl IntoIterator<Item = Vec<u8>>,
) {
    let options = pulsar::ProducerOptions { block_queue_if_full: true, schema, ..Default::default() };
    let mut producer = client.producer().with_topic(topic).with_options(options).build().await.expect("producer");
    let mut pending = std::collections::VecDeque::new();
    for p in payloads {
        pending.push_back(producer.send_non_blocking(p).await.expect("send"));
        if pending.len() >= 1000 {
            pending.pop_front().expect("one").await.expect("receipt");
        }
    }
    for r in pending {
        r.await.expect("receipt");
    }
}

/// Sends `payloads` from a producer that batches `batch` messages per broker entry.
pub async fn produce_batched(
    client: &Pulsar<TokioExecutor>,
    topic: &str,
    batch: u32,
    payloads: impl IntoIterator<Item = Vec<u8>>,
) {
    let options = pulsar::ProducerOptions { batch_size: Some(batch), ..Default::default() };
    let mut producer = client.producer().with_topic(topic).with_options(options).build().await.expect("producer");
    let mut receipts = Vec::new();
    for p in payloads {
        receipts.push(producer.send_non_blocking(p).await.expect("send"));
    }
    producer.send_batch().await.expect("flush the last batch");
    for r in receipts {
        r.await.expect("receipt");
    }
}

pub async fn subscribe(client: &Pulsar<TokioExecutor>, topic: &str, sub: &str) -> Consumer<Vec<u8>, TokioExecutor> {
    subscribe_as(client, topic, sub, None).await
}

/// [`subscribe`] with a consumer that declares `schema`.
pub async fn subscribe_as(
    client: &Pulsar<TokioExecutor>,
    topic: &str,
    sub: &str,
    schema: Option<pulsar::message::proto::Schema>,
) -> Consumer<Vec<u8>, TokioExecutor> {
    let options = pulsar::ConsumerOptions { initial_position: InitialPosition::Earliest, schema, ..Default::default() };
    client
        .consumer()
        .with_topic(topic)
        .with_subscription(sub)
        .with_subscription_type(SubType::Exclusive)
        .with_options(options)
        .build()
        .await
        .expect("consumer")
}

/// One call to a Pulsar admin REST API (through `curl`): the status and body.
pub fn admin_call(admin: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    admin_call_as(None, admin, method, path, body)
}

/// [`admin_call`] with a bearer token.
pub fn admin_call_as(token: Option<&str>, admin: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut curl = Command::new("curl");
    if let Some(token) = token {
        curl.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    curl.args(["-s", "-X", method, "-w", "\n%{http_code}", &format!("{admin}{path}")]);
    if let Some(body) = body {
        curl.args(["-H", "Content-Type: application/json", "--data-binary", body]);
    }
    let out = curl.output().expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// [`admin_call`] that must succeed (2xx).
pub fn admin_ok(admin: &str, method: &str, path: &str, body: Option<&str>) -> String {
    let (code, text) = admin_call(admin, method, path, body);
    assert!((200..300).contains(&code), "{method} {path}: {code} {text}");
    text
}

/// Receives until `done(latest)` (called once per message, so it can count
/// incrementally) says so or `timeout` passes; acks everything.
pub async fn collect(
    consumer: &mut Consumer<Vec<u8>, TokioExecutor>,
    timeout: Duration,
    mut done: impl FnMut(&[u8]) -> bool,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, consumer.next()).await {
            Ok(Some(Ok(msg))) => {
                let _ = consumer.ack(&msg).await;
                let finished = done(&msg.payload.data);
                out.push(msg.payload.data);
                if finished {
                    break;
                }
            }
            Ok(Some(Err(_))) => {}
            Ok(None) | Err(_) => break,
        }
    }
    out
}

/// A runner process with its configuration file.
pub struct Runner {
    pub child: Child,
    http: std::sync::OnceLock<SocketAddr>,
    _dir: tempfile::TempDir,
}

impl Runner {
    /// Starts `fmc-runner` with `config` (JSON; `serviceUrl` and `httpAddr` are filled in).
    pub fn start(cluster_url: &str, config: serde_json::Value) -> Runner {
        Runner::start_with_env(cluster_url, config, &[])
    }

    /// [`Runner::start`] with these environment variables set (the secrets
    /// Kubernetes would fill from `secretKeyRef`s).
    pub fn start_with_env(cluster_url: &str, mut config: serde_json::Value, env: &[(&str, &str)]) -> Runner {
        let dir = tempfile::tempdir().expect("tempdir");
        config["serviceUrl"] = cluster_url.into();
        // Port 0: the runner picks a free port and logs it (no race between tests).
        config["httpAddr"] = "127.0.0.1:0".into();
        let path = dir.path().join("runner.json");
        std::fs::write(&path, config.to_string()).expect("config");
        let log = std::fs::File::create(dir.path().join("runner.log")).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_fmc-runner"))
            .arg("--config")
            .arg(&path)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("runner starts");
        Runner { child, http: std::sync::OnceLock::new(), _dir: dir }
    }

    /// The HTTP endpoint's address, once the runner logged it.
    fn http(&self) -> Option<SocketAddr> {
        if let Some(a) = self.http.get() {
            return Some(*a);
        }
        let log = self.log();
        let line = log.lines().find(|l| l.contains("\"msg\":\"listening\""))?;
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        let addr = value["addr"].as_str()?.parse().ok()?;
        Some(*self.http.get_or_init(|| addr))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("runner.log")).unwrap_or_default()
    }

    /// GET `path` on the runner's HTTP endpoint: (status, body).
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let mut s = TcpStream::connect_timeout(&self.http()?, Duration::from_millis(200)).ok()?;
        s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes()).ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, text.split("\r\n\r\n").nth(1).unwrap_or("").to_string()))
    }

    pub fn wait_ready(&self, timeout: Duration) {
        let start = Instant::now();
        while self.get("/readyz").map(|(s, _)| s) != Some(200) {
            assert!(start.elapsed() < timeout, "runner not ready after {timeout:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A Pulsar Functions counter from `/metrics` (`pulsar_function_<name>`).
    pub fn metric(&self, name: &str) -> u64 {
        self.counter(&format!("pulsar_function_{name}"))
    }

    /// A counter from `/metrics`, by its full name.
    pub fn counter(&self, full_name: &str) -> u64 {
        let (_, body) = self.get("/metrics").unwrap_or_default();
        body.lines()
            .find(|l| l.starts_with(&format!("{full_name}{{")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// The exit status, once the runner exits within `timeout` (a test failure otherwise).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            assert!(start.elapsed() < timeout, "runner still running:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string()).status();
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A stand-in for the kernel's out-of-memory kill of a pod over its memory
/// limit: SIGKILL to `pid` once its resident memory passes `limit` bytes
/// (checked every 5 ms from a thread that ends with the process).
pub fn oom_killer(pid: u32, limit: u64) {
    std::thread::spawn(move || {
        let status = format!("/proc/{pid}/status");
        while let Ok(text) = std::fs::read_to_string(&status) {
            let Some(rss_kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            else {
                return; // a zombie: the process has ended
            };
            if rss_kib * 1024 > limit {
                // SAFETY: kill(2) on the runner this test started.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
}

/// The uppercasing module of the batch ABI (v2).
pub fn upper_wat() -> String {
    project_root().join("engine/tests/fixtures/upper_batch.wat").display().to_string()
}

/// A private CA and a server certificate it signed for 127.0.0.1 and
/// localhost, made with the `openssl` command (PEM files in `dir`).
pub struct Certificates {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn certificates(dir: &Path) -> Certificates {
    let p = |name: &str| dir.join(name).display().to_string();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().expect("openssl runs (scripts/setup.sh installs it)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    openssl(
        &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=fmc test CA"]
            .iter()
            .copied()
            .chain(["-keyout", &p("ca.key"), "-out", &p("ca.pem")])
            .collect::<Vec<_>>(),
    );
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &p("server.key"),
        "-out",
        &p("server.csr"),
    ]);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")
        .expect("ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("server.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &p("ext.cnf"),
        "-out",
        &p("server.pem"),
    ]);
    Certificates { ca: dir.join("ca.pem"), cert: dir.join("server.pem"), key: dir.join("server.key") }
}

/// A Python HTTP(S) server on loopback running `script` (which gets the port
/// as argv[1]); stopped on drop.
pub struct PyServer {
    child: Child,
    pub port: u16,
}

impl PyServer {
    pub fn start(script: &str, args: &[&str]) -> PyServer {
        let port = free_port();
        let child = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(port.to_string())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        wait_for_port(format!("127.0.0.1:{port}").parse().expect("addr"), Duration::from_secs(10));
        PyServer { child, port }
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `function` in the runner's own process (a jq program with
/// `isolation: none`, a Python function: the watchdog and the crash journal
/// are the backstop) on 40 JSON messages `{"id": i}`, of which message 7
/// (`"poison": true`) stops the process. Like the kubelet, starts the runner
/// again whenever it exits (`exited` checks how), until the journal
/// recognises the message; then only that message is dead-lettered and every
/// other one is processed.
pub async fn crash_until_recognised(
    mut cluster: Bed,
    name: &str,
    settings: serde_json::Value,
    memory_limit: Option<u64>,
    exited: impl Fn(&Runner, std::process::ExitStatus),
) {
    let (input, output, dlq) = (
        cluster.topic(&format!("{name}-in")),
        cluster.topic(&format!("{name}-out")),
        cluster.topic(&format!("{name}-dlq")),
    );
    let state = tempfile::tempdir().expect("tempdir");
    let mut conf = serde_json::json!({
        "tenant": "public", "namespace": "default", "name": name,
        "serviceUrl": "", "inputs": [input], "output": output,
        "subscriptionPosition": "earliest",
    });
    // `settings`: the function, and whatever else the runner is given as `fmc build` renders it.
    for (key, value) in settings.as_object().expect("settings are a JSON object") {
        conf[key] = value.clone();
    }
    conf["deadLetterTopic"] = dlq.clone().into();
    conf["journalDir"] = state.path().display().to_string().into();
    // With a memory limit the watchdog is off: only the memory kill stops the process.
    conf["maxProcessingMs"] = if memory_limit.is_some() { 0 } else { 300 }.into();
    const N: u64 = 40;
    let client = cluster.client().await;
    let payload = |i: u64| if i == 7 { format!(r#"{{"id":{i},"poison":true}}"#) } else { format!(r#"{{"id":{i}}}"#) };
    produce(&client, &input, (0..N).map(|i| payload(i).into_bytes())).await;
    drop(client);
    let url = cluster.url();
    let start = |conf: &serde_json::Value| {
        let runner = Runner::start(&url, conf.clone());
        if let Some(limit) = memory_limit {
            oom_killer(runner.child.id(), limit);
        }
        runner
    };
    // pulsar-lite restarts too: it keeps a dead consumer's messages until it
    // restarts (runner-spike.md §3); Apache Pulsar redelivers them at once.
    let mut exits = 0;
    let mut runner = start(&conf);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "runner still crashing after {exits} exits\n{}", runner.log());
        if let Some(status) = runner.child.try_wait().expect("status") {
            exited(&runner, status);
            exits += 1;
            assert!(exits <= 3, "the same message keeps stopping the runner\n{}", runner.log());
            if let Some(lite) = &mut cluster.lite {
                lite.broker.crash_and_restart(Duration::from_millis(300));
                lite.relay.cut_all();
            }
            runner = start(&conf);
            continue;
        }
        if runner.log().contains("stopped the runner last time") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(exits >= 1, "the message never stopped the runner");
    eprintln!("the runner stopped {exits} time(s) before the message was recognised");
    let client = cluster.client().await;
    let mut dead = subscribe(&client, &dlq, "check").await;
    let dead: Vec<u64> =
        collect(&mut dead, Duration::from_secs(20), |_| true).await.iter().filter_map(|p| id(p)).collect();
    assert_eq!(dead, vec![7], "only the message that stopped the runner is dead-lettered");
    let mut out = subscribe(&client, &output, "check").await;
    let mut seen = std::collections::BTreeSet::new();
    let _ = collect(&mut out, Duration::from_secs(30), |p| {
        seen.extend(id(p));
        seen.len() as u64 >= N - 1
    })
    .await;
    let want: std::collections::BTreeSet<u64> = (0..N).filter(|i| *i != 7).collect();
    assert_eq!(seen, want, "every good message is processed\n{}", runner.log());
}

fn id(payload: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(payload).ok()?.get("id")?.as_u64()
}

/// An HS256 JSON Web Token for `role` (its `sub`), signed with `key`: what
/// Pulsar's `AuthenticationProviderToken` checks against `tokenSecretKey`.
pub fn token(key: &[u8], role: &str) -> String {
    let header = base64url(br#"{"alg":"HS256"}"#);
    let claims = base64url(serde_json::json!({"sub": role}).to_string().as_bytes());
    let signed = format!("{header}.{claims}");
    format!("{signed}.{}", base64url(&hmac_sha256(key, signed.as_bytes())))
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    assert!(key.len() <= 64, "a key longer than SHA-256's block is hashed first; not needed here");
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().to_vec()
}

pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}
