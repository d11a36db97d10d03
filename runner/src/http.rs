//! A small HTTP/1.1 client for the two requests the runner makes besides
//! Pulsar's: downloading a function package and asking an OAuth2 server for a
//! token. One request per connection, redirects followed, https through
//! rustls with Mozilla's roots plus the configured CA file.
//!
//! Why not a client crate: two requests at start-up do not justify a second
//! async stack in a binary whose size is a feature; the `pulsar` crate already
//! links rustls and tokio.

use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Responses above this are refused (a package is a module, not a data set).
const MAX_BODY: usize = 256 << 20;
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Trust for https: Mozilla's roots plus the PEM certificates of `ca_file`.
pub fn tls_config(ca_file: Option<&str>) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(file) = ca_file {
        let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(file)
            .map_err(|e| format!("cannot read CA file {file}: {e}"))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("CA file {file}: {e}"))?;
        if certs.is_empty() {
            return Err(format!("CA file {file} holds no certificate"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| format!("CA file {file}: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

struct Url {
    https: bool,
    host: String,
    port: u16,
    path: String,
}

fn parse(url: &str) -> Result<Url, String> {
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!("`{url}` is not an http(s) URL"));
    };
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse() {
            Ok(port) => (h, port),
            Err(_) => (authority, if https { 443 } else { 80 }),
        },
        _ => (authority, if https { 443 } else { 80 }),
    };
    if host.is_empty() {
        return Err(format!("`{url}` names no host"));
    }
    Ok(Url { https, host: host.trim_matches(['[', ']']).to_string(), port, path: path.to_string() })
}

/// One request; follows up to five redirects (GET after a 303, as browsers do).
pub async fn request(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: &[u8],
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Response, String> {
    let mut url = url.to_string();
    let mut method = method.to_string();
    for _ in 0..=5 {
        let target = parse(&url)?;
        let raw = tokio::time::timeout(TIMEOUT, exchange(&method, &target, content_type, body, tls))
            .await
            .map_err(|_| format!("{url}: no answer within {}s", TIMEOUT.as_secs()))??;
        let (status, headers, payload) = split_response(&raw).map_err(|e| format!("{url}: {e}"))?;
        if matches!(status, 301 | 302 | 303 | 307 | 308)
            && let Some(location) = header(&headers, "location")
        {
            url = if location.starts_with("http") {
                location.to_string()
            } else {
                format!("{}://{}:{}{location}", if target.https { "https" } else { "http" }, target.host, target.port)
            };
            if status == 303 {
                method = "GET".into();
            }
            continue;
        }
        let body = if header(&headers, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            dechunk(payload).map_err(|e| format!("{url}: {e}"))?
        } else if let Some(len) = header(&headers, "content-length").and_then(|v| v.parse::<usize>().ok()) {
            payload.get(..len).ok_or(format!("{url}: the body ends early"))?.to_vec()
        } else {
            payload.to_vec()
        };
        return Ok(Response { status, body });
    }
    Err(format!("{url}: too many redirects"))
}

async fn exchange(
    method: &str,
    url: &Url,
    content_type: Option<&str>,
    body: &[u8],
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Vec<u8>, String> {
    let tcp = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| format!("cannot connect to {}:{}: {e}", url.host, url.port))?;
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nhost: {}\r\nuser-agent: fmc-runner\r\naccept: */*\r\nconnection: close\r\ncontent-length: {}\r\n",
        url.path,
        url.host,
        body.len()
    );
    if let Some(t) = content_type {
        head.push_str(&format!("content-type: {t}\r\n"));
    }
    head.push_str("\r\n");
    if url.https {
        let name =
            rustls_pki_types::ServerName::try_from(url.host.clone()).map_err(|e| format!("{}: {e}", url.host))?;
        let stream = tokio_rustls::TlsConnector::from(tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {}: {e}", url.host))?;
        round_trip(stream, head.as_bytes(), body).await
    } else {
        round_trip(tcp, head.as_bytes(), body).await
    }
}

async fn round_trip(mut s: impl AsyncRead + AsyncWrite + Unpin, head: &[u8], body: &[u8]) -> Result<Vec<u8>, String> {
    s.write_all(head).await.map_err(|e| e.to_string())?;
    s.write_all(body).await.map_err(|e| e.to_string())?;
    s.flush().await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        match s.read(&mut chunk).await {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            // Servers that close without TLS close_notify: what arrived is the answer.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => return Ok(out),
            Err(e) => return Err(e.to_string()),
        }
        if out.len() > MAX_BODY {
            return Err(format!("response over {} MiB", MAX_BODY >> 20));
        }
    }
}

type Headers = Vec<(String, String)>;

fn split_response(raw: &[u8]) -> Result<(u16, Headers, &[u8]), String> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no complete HTTP response")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "response head is not text")?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("no HTTP status line")?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers, &raw[end + 4..]))
}

fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").ok_or("a chunk size line is cut off")?;
        let size_text = std::str::from_utf8(&data[..line_end]).map_err(|_| "bad chunk size")?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size `{size_text}`"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(data.get(..size).ok_or("a chunk is cut off")?);
        data = data.get(size + 2..).ok_or("a chunk is cut off")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_responses_parse() {
        let u = parse("https://example.com:8443/a/b?c=1").unwrap();
        assert_eq!((u.https, u.host.as_str(), u.port, u.path.as_str()), (true, "example.com", 8443, "/a/b?c=1"));
        let u = parse("http://[::1]:9000").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("::1", 9000, "/"));
        assert_eq!(parse("http://h/x").unwrap().port, 80);
        assert!(parse("ftp://h/x").is_err());
        let (status, headers, body) = split_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi").unwrap();
        assert_eq!((status, header(&headers, "content-length"), body), (200, Some("2"), &b"hi"[..]));
        assert_eq!(dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap(), b"abcde");
        assert!(dechunk(b"9\r\nabc").is_err());
    }
}
