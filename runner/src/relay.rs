//! A loopback relay between Pulsar clients and a broker that restores what the
//! `pulsar` crate requires and pulsar-lite leaves out, and that can inject faults.
//!
//! Why: real Apache Pulsar brokers send every `MESSAGE` frame with the optional
//! magic number `0x0e01` and a CRC32C of the rest of the frame; the `pulsar`
//! crate insists on both, pulsar-lite sends neither (../shared/reference/
//! runner-spike.md §1). Rather than patching a third-party crate, tests (and
//! `fmc dev`) put this relay in front of pulsar-lite. It also marks lookup
//! answers "proxy through the service URL", so clients keep talking to the relay
//! instead of dialling the broker's own address, and it can cut every open
//! connection on demand (a broker drop, as the runner must survive it).
//!
//! Frames (Pulsar binary protocol): `[total u32][cmd_size u32][BaseCommand]`,
//! and for payload commands `[0x0e01][crc32c u32][meta_size u32][meta][payload]`
//! after the command. Client → broker bytes pass through untouched.

use crate::varint;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const MAGIC_CRC32C: [u8; 2] = [0x0e, 0x01];
const MAGIC_BROKER_ENTRY_METADATA: [u8; 2] = [0x0e, 0x02];
const TYPE_CONNECT: u64 = 2;
const TYPE_MESSAGE: u64 = 9;
const TYPE_LOOKUP_RESPONSE: u64 = 24;
const FIELD_CONNECT: u64 = 2;
const FIELD_CONNECT_AUTH_DATA: u64 = 3;
const FIELD_CONNECT_AUTH_METHOD_NAME: u64 = 5;
const FIELD_LOOKUP_RESPONSE: u64 = 24;
const FIELD_PROXY_THROUGH_SERVICE_URL: u64 = 8;
const FIELD_BROKER_SERVICE_URL_TLS: u64 = 2;
/// Frames above this are refused (Pulsar's default max message size is 5 MiB).
const MAX_FRAME: usize = 64 << 20;

/// How the auth of one `CONNECT` looked: (method name, data).
pub type ConnectAuth = (String, Vec<u8>);

/// A running relay; dropping it stops accepting (open connections end with the task).
pub struct Relay {
    pub addr: SocketAddr,
    cut: watch::Sender<u64>,
    /// Frames whose checksum the relay added.
    pub checksummed: Arc<AtomicU64>,
    /// The auth method and data of every client `CONNECT`, in order (tests
    /// check what a client presented; pulsar-lite checks nothing).
    pub connects: Arc<Mutex<Vec<ConnectAuth>>>,
    /// Added before each broker → client frame, milliseconds (a slow network).
    delay_ms: Arc<AtomicU64>,
}

/// What every relayed connection shares.
#[derive(Clone)]
struct Shared {
    checksummed: Arc<AtomicU64>,
    connects: Arc<Mutex<Vec<ConnectAuth>>>,
    delay_ms: Arc<AtomicU64>,
    tls_url: Option<String>,
}

impl Relay {
    /// Listens on `listen` (port 0 picks one) and relays to `upstream`.
    pub async fn start(listen: SocketAddr, upstream: SocketAddr) -> std::io::Result<Relay> {
        Relay::start_with(listen, upstream, None).await
    }

    /// As [`Relay::start`]; with `tls`, clients connect with TLS
    /// (`pulsar+ssl://`) and the relay speaks plain TCP to the broker.
    pub async fn start_with(
        listen: SocketAddr,
        upstream: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<Relay> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (cut, _) = watch::channel(0u64);
        let shared = Shared {
            checksummed: Arc::new(AtomicU64::new(0)),
            connects: Arc::new(Mutex::new(Vec::new())),
            delay_ms: Arc::new(AtomicU64::new(0)),
            tls_url: tls.as_ref().map(|_| format!("pulsar+ssl://{addr}")),
        };
        let relay = Relay {
            addr,
            cut: cut.clone(),
            checksummed: shared.checksummed.clone(),
            connects: shared.connects.clone(),
            delay_ms: shared.delay_ms.clone(),
        };
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let cuts = cut.subscribe();
                let shared = shared.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = client.set_nodelay(true);
                    let Ok(broker) = TcpStream::connect(upstream).await else { return };
                    let _ = broker.set_nodelay(true);
                    match acceptor {
                        Some(a) => {
                            if let Ok(tls) = a.accept(client).await {
                                connection(tls, broker, cuts, shared).await;
                            }
                        }
                        None => connection(client, broker, cuts, shared).await,
                    }
                });
            }
        });
        Ok(relay)
    }

    /// Delays every broker → client frame by `delay` from now on (zero: none).
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms.store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Closes every open connection (clients see the broker go away).
    pub fn cut_all(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

async fn connection(
    client: impl AsyncRead + AsyncWrite + Send + 'static,
    broker: TcpStream,
    mut cuts: watch::Receiver<u64>,
    shared: Shared,
) {
    let (mut client_read, mut client_write) = tokio::io::split(client);
    let (mut broker_read, mut broker_write) = broker.into_split();
    let upstream = async {
        // The first frame is the client's CONNECT: note its auth, then copy bytes.
        let first = read_frame(&mut client_read).await?;
        if let Some(auth) = connect_auth(&first) {
            shared.connects.lock().expect("invariant: no panics while holding the lock").push(auth);
        }
        broker_write.write_all(&first).await?;
        tokio::io::copy(&mut client_read, &mut broker_write).await
    };
    // Broker → client frames go through a queue stamped with their arrival, so
    // an injected delay adds latency without cutting throughput.
    let (queue, mut queued) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let read_side = async {
        loop {
            let frame = read_frame(&mut broker_read).await?;
            let frame = rewrite(frame, &shared.checksummed, shared.tls_url.as_deref());
            if queue.send((tokio::time::Instant::now(), frame)).is_err() {
                return Ok::<(), std::io::Error>(());
            }
        }
    };
    let write_side = async {
        while let Some((arrived, frame)) = queued.recv().await {
            let delay = shared.delay_ms.load(Ordering::Relaxed);
            if delay > 0 {
                tokio::time::sleep_until(arrived + Duration::from_millis(delay)).await;
            }
            client_write.write_all(&frame).await?;
        }
        Ok::<(), std::io::Error>(())
    };
    let downstream = async {
        tokio::select! {
            r = read_side => r,
            r = write_side => r,
        }
    };
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
        _ = cuts.changed() => {}
    }
}

/// Auth method name and data of a `CONNECT` frame.
fn connect_auth(frame: &[u8]) -> Option<ConnectAuth> {
    let cmd_size = u32::from_be_bytes(frame.get(4..8)?.try_into().ok()?) as usize;
    let command = frame.get(8..8 + cmd_size)?;
    if command_type(command)? != TYPE_CONNECT {
        return None;
    }
    let connect = field_bytes(command, FIELD_CONNECT)?;
    let name = field_bytes(connect, FIELD_CONNECT_AUTH_METHOD_NAME).unwrap_or_default();
    let data = field_bytes(connect, FIELD_CONNECT_AUTH_DATA).unwrap_or_default();
    Some((String::from_utf8_lossy(name).to_string(), data.to_vec()))
}

/// One field of a protobuf message: its key, where its value starts (after
/// the length of a length-delimited field) and where the field ends.
struct Field {
    key: u64,
    value: usize,
    end: usize,
}

/// The field that starts at `pos`; none when the bytes are not protobuf.
fn field_at(message: &[u8], pos: usize) -> Option<Field> {
    let (key, next) = varint::read(message, pos)?;
    let (value, end) = match key & 7 {
        0 => (next, varint::read(message, next)?.1),
        1 => (next, next + 8),
        5 => (next, next + 4),
        2 => {
            let (len, after) = varint::read(message, next)?;
            (after, after.checked_add(len as usize)?)
        }
        _ => return None,
    };
    (end <= message.len()).then_some(Field { key, value, end })
}

/// The first length-delimited field `field` of a protobuf message.
fn field_bytes(message: &[u8], field: u64) -> Option<&[u8]> {
    let mut pos = 0;
    while pos < message.len() {
        let f = field_at(message, pos)?;
        if f.key == field << 3 | 2 {
            return message.get(f.value..f.end);
        }
        pos = f.end;
    }
    None
}

/// A rustls server configuration from PEM files (the relay's `pulsar+ssl://` side).
pub fn tls_server_config(cert_file: &str, key_file: &str) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(cert_file)
        .map_err(|e| format!("{cert_file}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{cert_file}: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| format!("{key_file}: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(config))
}

async fn read_frame(r: &mut (impl AsyncReadExt + Unpin)) -> std::io::Result<Vec<u8>> {
    let mut size = [0u8; 4];
    r.read_exact(&mut size).await?;
    let total = u32::from_be_bytes(size) as usize;
    if total > MAX_FRAME {
        return Err(std::io::Error::other(format!("frame of {total} bytes")));
    }
    let mut frame = vec![0u8; 4 + total];
    frame[..4].copy_from_slice(&size);
    r.read_exact(&mut frame[4..]).await?;
    Ok(frame)
}

/// The frame as the client must see it. Frames that are not understood pass as they are.
/// `tls_url`: the relay's own `pulsar+ssl://` address when clients reach it
/// with TLS (lookup answers then name it, as a TLS-enabled broker would).
pub fn rewrite(frame: Vec<u8>, counter: &AtomicU64, tls_url: Option<&str>) -> Vec<u8> {
    let Some(cmd_size) = frame.get(4..8).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize) else {
        return frame;
    };
    let Some(command) = frame.get(8..8 + cmd_size) else { return frame };
    match command_type(command) {
        Some(TYPE_MESSAGE) => add_checksum(frame, cmd_size, counter),
        Some(TYPE_LOOKUP_RESPONSE) => proxy_lookup(&frame, cmd_size, tls_url).unwrap_or(frame),
        _ => frame,
    }
}

fn add_checksum(frame: Vec<u8>, cmd_size: usize, counter: &AtomicU64) -> Vec<u8> {
    let rest = &frame[8 + cmd_size..];
    if rest.len() < 4 || rest.starts_with(&MAGIC_CRC32C) || rest.starts_with(&MAGIC_BROKER_ENTRY_METADATA) {
        return frame;
    }
    let crc = crc32c::crc32c(rest);
    let mut out = Vec::with_capacity(frame.len() + 6);
    let total = (frame.len() - 4 + 6) as u32;
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&frame[4..8 + cmd_size]);
    out.extend_from_slice(&MAGIC_CRC32C);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(rest);
    counter.fetch_add(1, Ordering::Relaxed);
    out
}

/// Appends `proxy_through_service_url = true` (and, for TLS clients, a
/// `brokerServiceUrlTls`) to a lookup response.
fn proxy_lookup(frame: &[u8], cmd_size: usize, tls_url: Option<&str>) -> Option<Vec<u8>> {
    let command = &frame[8..8 + cmd_size];
    let mut out_cmd = Vec::with_capacity(command.len() + 4);
    let mut pos = 0;
    let mut found = false;
    while pos < command.len() {
        let f = field_at(command, pos)?;
        if f.key != FIELD_LOOKUP_RESPONSE << 3 | 2 {
            out_cmd.extend_from_slice(&command[pos..f.end]);
            pos = f.end;
            continue;
        }
        let body = &command[f.value..f.end];
        let mut inner = body.to_vec();
        if let Some(url) = tls_url.filter(|_| field_bytes(body, FIELD_BROKER_SERVICE_URL_TLS).is_none()) {
            varint::write(&mut inner, FIELD_BROKER_SERVICE_URL_TLS << 3 | 2);
            varint::write(&mut inner, url.len() as u64);
            inner.extend_from_slice(url.as_bytes());
        }
        varint::write(&mut inner, FIELD_PROXY_THROUGH_SERVICE_URL << 3);
        varint::write(&mut inner, 1);
        varint::write(&mut out_cmd, f.key);
        varint::write(&mut out_cmd, inner.len() as u64);
        out_cmd.extend_from_slice(&inner);
        pos = f.end;
        found = true;
    }
    if !found {
        return None;
    }
    let rest = &frame[8 + cmd_size..];
    let mut out = Vec::with_capacity(frame.len() + 4);
    out.extend_from_slice(&((4 + out_cmd.len() + rest.len()) as u32).to_be_bytes());
    out.extend_from_slice(&(out_cmd.len() as u32).to_be_bytes());
    out.extend_from_slice(&out_cmd);
    out.extend_from_slice(rest);
    Some(out)
}

/// `BaseCommand.type` (field 1, a varint).
fn command_type(command: &[u8]) -> Option<u64> {
    let mut pos = 0;
    while pos < command.len() {
        let f = field_at(command, pos)?;
        if f.key == 1 << 3 {
            return varint::read(command, f.value).map(|(v, _)| v);
        }
        pos = f.end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(command: &[u8], rest: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&((4 + command.len() + rest.len()) as u32).to_be_bytes());
        f.extend_from_slice(&(command.len() as u32).to_be_bytes());
        f.extend_from_slice(command);
        f.extend_from_slice(rest);
        f
    }

    #[test]
    fn message_frames_get_magic_and_crc32c() {
        // BaseCommand { type: MESSAGE, message: {consumer_id: 1, message_id: {}} }
        let command = [0x08, 0x09, 0x4a, 0x04, 0x08, 0x01, 0x12, 0x00];
        let rest = [0, 0, 0, 2, 0xaa, 0xbb, b'h', b'i'];
        let counter = AtomicU64::new(0);
        let out = rewrite(frame(&command, &rest), &counter, None);
        let after = &out[8 + command.len()..];
        assert_eq!(&after[..2], &MAGIC_CRC32C);
        assert_eq!(u32::from_be_bytes([after[2], after[3], after[4], after[5]]), crc32c::crc32c(&rest));
        assert_eq!(&after[6..], &rest);
        assert_eq!(u32::from_be_bytes([out[0], out[1], out[2], out[3]]) as usize, out.len() - 4);
        // Already checksummed frames pass untouched.
        assert_eq!(rewrite(out.clone(), &counter, None), out);
        assert_eq!(counter.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn lookup_responses_are_marked_proxied() {
        // BaseCommand { type: LOOKUP_RESPONSE, lookupTopicResponse (24): {brokerServiceUrl: "x"} }
        let inner = [0x0a, 0x01, b'x'];
        let mut command = vec![0x08, 24, 0xc2, 0x01, inner.len() as u8];
        command.extend_from_slice(&inner);
        let out = rewrite(frame(&command, &[]), &AtomicU64::new(0), None);
        let new_cmd = &out[8..];
        assert_eq!(command_type(new_cmd), Some(TYPE_LOOKUP_RESPONSE));
        assert_eq!(&new_cmd[new_cmd.len() - 2..], &[0x40, 0x01], "proxy_through_service_url = true");
        assert_eq!(new_cmd[4] as usize, inner.len() + 2);
        // A TLS relay also names itself as the TLS broker URL.
        let out = rewrite(frame(&command, &[]), &AtomicU64::new(0), Some("pulsar+ssl://r:1"));
        let response = field_bytes(&out[8..], FIELD_LOOKUP_RESPONSE).expect("lookup response");
        assert_eq!(field_bytes(response, FIELD_BROKER_SERVICE_URL_TLS), Some(&b"pulsar+ssl://r:1"[..]));
    }

    #[test]
    fn other_frames_pass_through() {
        let ping = frame(&[0x08, 18, 0x92, 0x01, 0x00], &[]);
        assert_eq!(rewrite(ping.clone(), &AtomicU64::new(0), None), ping);
        let garbage = vec![0, 0, 0, 1, 0xff];
        assert_eq!(rewrite(garbage.clone(), &AtomicU64::new(0), None), garbage);
    }
}
