//! Structured log lines (one JSON object per line on stderr), shared by the
//! runner and the engines it runs: no logging dependency.

/// Milliseconds since the Unix epoch (0 before it).
pub fn epoch_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// One JSON log line on stderr.
pub fn log(level: &str, message: &str, fields: &[(&str, String)]) {
    let mut line = serde_json::Map::new();
    line.insert("ts".into(), epoch_ms().into());
    line.insert("level".into(), level.into());
    line.insert("msg".into(), message.into());
    for (k, v) in fields {
        line.insert((*k).into(), v.clone().into());
    }
    eprintln!("{}", serde_json::Value::Object(line));
}
