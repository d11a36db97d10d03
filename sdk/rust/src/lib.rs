//! fmc guest SDK for Rust: a native function for fmc-runner, as a WebAssembly
//! module (`wasm32-unknown-unknown`).
//!
//! The runner's ABI (runner/README.md, "WebAssembly ABI") is bytes in linear
//! memory: batches of records in, entries out. This crate hides it behind a
//! typed API — a [`Message`] in; [`Context::output`], [`Context::output_to`]
//! (a named topic), [`Context::ack`] (MANUAL) out; an `Err` for a user error;
//! the mesh's `config` and `secrets` once at start ([`Config`]) — and exports
//! the entry points with [`export!`]. It uses the batch ABI with `fmc_init`
//! (ABI 3): one call per batch, one configuration per instance.
//!
//! It needs only `std` for `wasm32-unknown-unknown` and builds with Rust 1.63
//! (Debian's `rustc` with `libstd-rust-dev-wasm32`) as with a current rustup.

use std::cell::RefCell;

/// One input message.
pub struct Message<'a> {
    pub payload: &'a [u8],
    pub key: Option<&'a str>,
    /// Milliseconds since the epoch, when the producer set one.
    pub event_time: Option<u64>,
    pub properties: Vec<(&'a str, &'a str)>,
}

impl<'a> Message<'a> {
    /// The payload as text, when it is UTF-8.
    pub fn text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.payload).ok()
    }

    pub fn property(&self, name: &str) -> Option<&'a str> {
        self.properties.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

/// A message out. Key, event time and properties are the input's unless set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub payload: Vec<u8>,
    pub key: Option<String>,
    pub event_time: Option<u64>,
    pub properties: Option<Vec<(String, String)>>,
}

impl Output {
    pub fn new(payload: impl Into<Vec<u8>>) -> Output {
        Output { payload: payload.into(), ..Output::default() }
    }

    pub fn key(mut self, key: impl Into<String>) -> Output {
        self.key = Some(key.into());
        self
    }

    pub fn event_time(mut self, millis: u64) -> Output {
        self.event_time = Some(millis);
        self
    }

    /// Sets one property (the output then carries only the properties set).
    pub fn property(mut self, name: impl Into<String>, value: impl Into<String>) -> Output {
        self.properties.get_or_insert_with(Vec::new).push((name.into(), value.into()));
        self
    }
}

/// The function's configuration: the mesh's `config` (as JSON) and its secrets.
#[derive(Debug, Clone, Default)]
pub struct Config {
    json: String,
    secrets: Vec<(String, String)>,
}

impl Config {
    /// The mesh's `config` as JSON text (`null` when the mesh gives none).
    pub fn json(&self) -> &str {
        &self.json
    }

    /// A secret the mesh names (`secrets.NAME`), read by the runner at start.
    pub fn secret(&self, name: &str) -> Option<&str> {
        self.secrets.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A top-level string of the config (`config: {team: risk}` → `string("team")`).
    pub fn string(&self, key: &str) -> Option<String> {
        json::field(&self.json, key).and_then(json::string)
    }

    /// A top-level number of the config.
    pub fn number(&self, key: &str) -> Option<f64> {
        json::field(&self.json, key).and_then(|v| v.trim().parse().ok())
    }

    /// A top-level boolean of the config.
    pub fn boolean(&self, key: &str) -> Option<bool> {
        json::field(&self.json, key).and_then(|v| v.trim().parse().ok())
    }
}

/// Where a message's outputs go.
pub struct Context {
    input: u32,
    entries: Vec<u8>,
    count: u32,
}

impl Context {
    /// An output to the function's `output` topic.
    pub fn output(&mut self, out: Output) {
        self.entry(0);
        record(&mut self.entries, &out);
    }

    /// An output to one of the function's named `topics` (the mesh maps the
    /// name to a topic; a name it does not map fails this input).
    pub fn output_to(&mut self, topic: &str, out: Output) {
        self.entry(3);
        bytes(&mut self.entries, topic.as_bytes());
        record(&mut self.entries, &out);
    }

    /// Acknowledges this input (under `processingGuarantee: manual`; the
    /// runner acknowledges inputs itself otherwise).
    pub fn ack(&mut self) {
        self.entry(2);
    }

    fn entry(&mut self, tag: u32) {
        self.count += 1;
        self.entries.extend_from_slice(&self.input.to_le_bytes());
        self.entries.extend_from_slice(&tag.to_le_bytes());
    }
}

/// A native function: made once from its configuration, then given each message.
pub trait Function: Sized {
    /// An `Err` refuses the start (the runner exits with a configuration error).
    fn init(config: &Config) -> Result<Self, String>;
    /// An `Err` is a user error: the message is retried, then dead-lettered.
    fn process(&mut self, message: &Message, ctx: &mut Context) -> Result<(), String>;
}

/// Exports the runner's entry points for a [`Function`] type.
#[macro_export]
macro_rules! export {
    ($function:ty) => {
        thread_local! {
            static FMC_FUNCTION: ::std::cell::RefCell<Option<$function>> = ::std::cell::RefCell::new(None);
        }

        #[no_mangle]
        pub extern "C" fn fmc_alloc(len: i32) -> i32 {
            $crate::abi::alloc(len)
        }

        #[no_mangle]
        pub extern "C" fn fmc_init(ptr: i32, len: i32) -> i32 {
            match $crate::abi::config(ptr, len).and_then(|c| <$function as $crate::Function>::init(&c)) {
                Ok(f) => {
                    FMC_FUNCTION.with(|slot| *slot.borrow_mut() = Some(f));
                    0
                }
                Err(_) => 1,
            }
        }

        #[no_mangle]
        pub extern "C" fn fmc_process_batch(ptr: i32, len: i32) -> i64 {
            FMC_FUNCTION.with(|slot| {
                let mut slot = slot.borrow_mut();
                if slot.is_none() {
                    match <$function as $crate::Function>::init(&$crate::Config::default()) {
                        Ok(f) => *slot = Some(f),
                        Err(_) => return -1,
                    }
                }
                let function = slot.as_mut().expect("initialised above");
                $crate::abi::batch(ptr, len, |m, c| <$function as $crate::Function>::process(function, m, c))
            })
        }
    };
}

/// The ABI's byte layouts; used by [`export!`], not by functions.
#[doc(hidden)]
pub mod abi {
    use super::*;

    thread_local! {
        /// Buffers handed to or returned by the runner, kept until the next batch.
        static LIVE: RefCell<Vec<Vec<u8>>> = RefCell::new(Vec::new());
    }

    pub fn alloc(len: i32) -> i32 {
        let mut buf = vec![0u8; len.max(0) as usize];
        let ptr = buf.as_mut_ptr() as i32;
        LIVE.with(|live| live.borrow_mut().push(buf));
        ptr
    }

    fn input(ptr: i32, len: i32) -> &'static [u8] {
        // SAFETY: the runner wrote `len` bytes at `ptr`, a buffer `alloc` made
        // and keeps alive until the next batch.
        unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len.max(0) as usize) }
    }

    pub fn config(ptr: i32, len: i32) -> Result<Config, String> {
        let mut r = Reader { bytes: input(ptr, len), at: 0 };
        let json = r.text()?.to_string();
        let mut secrets = Vec::new();
        for _ in 0..r.u32()? {
            let k = r.text()?.to_string();
            secrets.push((k, r.text()?.to_string()));
        }
        LIVE.with(|live| live.borrow_mut().clear());
        Ok(Config { json, secrets })
    }

    /// Runs `process` on each record of the batch; the packed result.
    pub fn batch(ptr: i32, len: i32, mut process: impl FnMut(&Message, &mut Context) -> Result<(), String>) -> i64 {
        let bytes = input(ptr, len);
        let mut r = Reader { bytes, at: 0 };
        let mut ctx = Context { input: 0, entries: Vec::new(), count: 0 };
        let count = match r.u32() {
            Ok(n) => n,
            Err(_) => return -1,
        };
        for i in 0..count {
            let message = match r.message() {
                Ok(m) => m,
                Err(_) => return -1,
            };
            ctx.input = i;
            let before = (ctx.entries.len(), ctx.count);
            if let Err(e) = process(&message, &mut ctx) {
                // A failed input's outputs are dropped; its error stands alone.
                ctx.entries.truncate(before.0);
                ctx.count = before.1;
                ctx.entry(1);
                bytes_into(&mut ctx.entries, e.as_bytes());
            }
        }
        let mut out = Vec::with_capacity(4 + ctx.entries.len());
        out.extend_from_slice(&ctx.count.to_le_bytes());
        out.extend_from_slice(&ctx.entries);
        let packed = ((out.as_ptr() as i64) << 32) | out.len() as i64;
        LIVE.with(|live| {
            let mut live = live.borrow_mut();
            // The input of this batch (the last buffer) and earlier ones are done.
            live.clear();
            live.push(out);
        });
        packed
    }

    fn bytes_into(out: &mut Vec<u8>, b: &[u8]) {
        super::bytes(out, b)
    }

    struct Reader<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl<'a> Reader<'a> {
        fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
            let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or("truncated batch")?;
            let out = &self.bytes[self.at..end];
            self.at = end;
            Ok(out)
        }

        fn u32(&mut self) -> Result<u32, String> {
            let b = self.take(4)?;
            Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }

        fn u64(&mut self) -> Result<u64, String> {
            let b = self.take(8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            Ok(u64::from_le_bytes(a))
        }

        fn text(&mut self) -> Result<&'a str, String> {
            let n = self.u32()? as usize;
            std::str::from_utf8(self.take(n)?).map_err(|_| "not UTF-8".to_string())
        }

        fn message(&mut self) -> Result<Message<'a>, String> {
            let n = self.u32()? as usize;
            let payload = self.take(n)?;
            let key = match self.u32()? {
                u32::MAX => None,
                n => Some(std::str::from_utf8(self.take(n as usize)?).map_err(|_| "key not UTF-8")?),
            };
            let event_time = match self.u64()? {
                0 => None,
                t => Some(t),
            };
            let mut properties = Vec::new();
            for _ in 0..self.u32()? {
                let k = self.text()?;
                properties.push((k, self.text()?));
            }
            Ok(Message { payload, key, event_time, properties })
        }
    }
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// An output record; "as the input" where the output sets nothing.
fn record(out: &mut Vec<u8>, o: &Output) {
    bytes(out, &o.payload);
    match &o.key {
        Some(k) => bytes(out, k.as_bytes()),
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
    out.extend_from_slice(&o.event_time.unwrap_or(0).to_le_bytes());
    match &o.properties {
        Some(props) => {
            out.extend_from_slice(&(props.len() as u32).to_le_bytes());
            for (k, v) in props {
                bytes(out, k.as_bytes());
                bytes(out, v.as_bytes());
            }
        }
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

/// Just enough JSON to read a config's top-level fields (a module that needs
/// more parses [`Config::json`] with the JSON crate of its choice).
mod json {
    /// The raw text of a top-level field's value.
    pub fn field<'a>(json: &'a str, key: &str) -> Option<&'a str> {
        let b = json.as_bytes();
        let mut i = skip_ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i += 1;
        loop {
            i = skip_ws(b, i);
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let key_end = end_of_string(b, i)?;
            let name = &json[i + 1..key_end - 1];
            i = skip_ws(b, key_end);
            if b.get(i) != Some(&b':') {
                return None;
            }
            let start = skip_ws(b, i + 1);
            let end = end_of_value(b, start)?;
            if name == key {
                return Some(&json[start..end]);
            }
            i = skip_ws(b, end);
            match b.get(i) {
                Some(b',') => i += 1,
                _ => return None,
            }
        }
    }

    /// A JSON string's value (the common escapes).
    pub fn string(raw: &str) -> Option<String> {
        let inner = raw.trim().strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            }
        }
        Some(out)
    }

    fn skip_ws(b: &[u8], mut i: usize) -> usize {
        while b.get(i).map_or(false, |c| c.is_ascii_whitespace()) {
            i += 1;
        }
        i
    }

    /// The index after the string starting at `i` (a `"`).
    fn end_of_string(b: &[u8], mut i: usize) -> Option<usize> {
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    }

    fn end_of_value(b: &[u8], i: usize) -> Option<usize> {
        match b.get(i)? {
            b'"' => end_of_string(b, i),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'"' => {
                            j = end_of_string(b, j)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(j + 1);
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                None
            }
            _ => {
                let mut j = i;
                while j < b.len() && !matches!(b[j], b',' | b'}' | b']') && !b[j].is_ascii_whitespace() {
                    j += 1;
                }
                Some(j)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_fields_are_read_from_the_top_level() {
        let c = Config { json: r#"{"a": {"min": 1}, "min": 2.5, "team": "r\"isk", "on": true}"#.into(), secrets: vec![] };
        assert_eq!((c.number("min"), c.string("team"), c.boolean("on")), (Some(2.5), Some("r\"isk".into()), Some(true)));
        assert_eq!(c.number("missing"), None);
    }
}
