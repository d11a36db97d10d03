//! Pulsar's OAuth2 client-credentials authentication, as the Java client's
//! `AuthenticationOAuth2` does it: discover the token endpoint from the
//! issuer's `/.well-known/openid-configuration`, POST the client id and
//! secret (from a key file mounted from a Secret) with the audience and
//! scope, and present the access token to the broker as a `token`. The token
//! is kept until a minute before it expires and fetched again on the next
//! (re)connection.

use crate::config::OAuth2Config;
use pulsar::error::AuthenticationError;
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Deserialize)]
struct KeyFile {
    client_id: String,
    client_secret: String,
}

#[derive(Deserialize)]
struct Discovery {
    token_endpoint: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
}

pub struct OAuth2 {
    config: OAuth2Config,
    tls: Arc<rustls::ClientConfig>,
    token: Option<(String, Instant)>,
}

impl OAuth2 {
    pub fn new(config: OAuth2Config, tls: Arc<rustls::ClientConfig>) -> OAuth2 {
        OAuth2 { config, tls, token: None }
    }

    async fn fetch(&self) -> Result<(String, Instant), String> {
        let key_path = self.config.private_key.strip_prefix("file://").unwrap_or(&self.config.private_key);
        let text =
            std::fs::read_to_string(key_path).map_err(|e| format!("cannot read OAuth2 key file {key_path}: {e}"))?;
        let key: KeyFile = serde_json::from_str(&text).map_err(|e| format!("OAuth2 key file {key_path}: {e}"))?;
        let issuer = self.config.issuer_url.trim_end_matches('/');
        let discovery =
            crate::http::request("GET", &format!("{issuer}/.well-known/openid-configuration"), None, &[], &self.tls)
                .await?;
        let discovery: Discovery = json(discovery, "openid-configuration")?;
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", key.client_id.as_str()),
            ("client_secret", key.client_secret.as_str()),
        ];
        if let Some(a) = &self.config.audience {
            form.push(("audience", a));
        }
        if let Some(s) = &self.config.scope {
            form.push(("scope", s));
        }
        let body: String = form.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
        let response = crate::http::request(
            "POST",
            &discovery.token_endpoint,
            Some("application/x-www-form-urlencoded"),
            body.as_bytes(),
            &self.tls,
        )
        .await?;
        let token: TokenResponse = json(response, "token response")?;
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(3600).saturating_sub(60).max(1));
        Ok((token.access_token, Instant::now() + lifetime))
    }
}

fn json<T: for<'de> Deserialize<'de>>(r: crate::http::Response, what: &str) -> Result<T, String> {
    if r.status != 200 {
        return Err(format!("OAuth2 {what}: HTTP {}: {}", r.status, String::from_utf8_lossy(&r.body)));
    }
    serde_json::from_slice(&r.body).map_err(|e| format!("OAuth2 {what}: {e}"))
}

/// `application/x-www-form-urlencoded` value encoding.
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[async_trait::async_trait]
impl pulsar::authentication::Authentication for OAuth2 {
    fn auth_method_name(&self) -> String {
        "token".into()
    }

    async fn initialize(&mut self) -> Result<(), AuthenticationError> {
        Ok(())
    }

    async fn auth_data(&mut self) -> Result<Vec<u8>, AuthenticationError> {
        if let Some((token, until)) = &self.token
            && Instant::now() < *until
        {
            return Ok(token.clone().into_bytes());
        }
        let (token, until) = self.fetch().await.map_err(AuthenticationError::Retriable)?;
        self.token = Some((token.clone(), until));
        Ok(token.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_values_are_percent_encoded() {
        assert_eq!(super::urlencode("a b/c+d~"), "a%20b%2Fc%2Bd~");
    }
}
