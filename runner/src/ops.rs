//! What operators expect of a workload: Prometheus metrics with Pulsar
//! Functions' names and labels (so existing dashboards work), `/healthz` (the
//! process is up) and `/readyz` (connected and subscribed), on one small HTTP
//! endpoint. The server is a few lines over tokio: three GET routes need no
//! framework.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Counters shared by the processing loop and the HTTP endpoint.
#[derive(Default)]
pub struct Stats {
    pub received: AtomicU64,
    pub processed: AtomicU64,
    pub user_exceptions: AtomicU64,
    pub system_exceptions: AtomicU64,
    pub sink_exceptions: AtomicU64,
    pub acked: AtomicU64,
    /// Payloads that broke their input's declared schema (dead-lettered).
    pub schema_rejected: AtomicU64,
    /// Messages the broker confirmed on the dead-letter topic, for any reason.
    pub dead_lettered: AtomicU64,
    /// Epoch milliseconds of the last processed message.
    pub last_invocation: AtomicU64,
    pub ready: AtomicBool,
    /// Recent processing latencies in milliseconds (a bounded window for quantiles).
    latencies: Mutex<Latencies>,
    /// What the function measured itself (`context.record_metric`): count and
    /// sum per name, Pulsar's `pulsar_function_user_metric_` summary.
    user_metrics: Mutex<std::collections::BTreeMap<String, (u64, f64)>>,
}

#[derive(Default)]
struct Latencies {
    window: Vec<f64>,
    next: usize,
    count: u64,
    sum: f64,
}

const WINDOW: usize = 4096;

impl Stats {
    pub fn record_latency(&self, ms: f64) {
        let mut l = self.latencies.lock().expect("invariant: no panics while holding the lock");
        if l.window.len() < WINDOW {
            l.window.push(ms);
        } else {
            let i = l.next;
            l.window[i] = ms;
        }
        l.next = (l.next + 1) % WINDOW;
        l.count += 1;
        l.sum += ms;
    }

    pub fn record_user_metric(&self, name: &str, value: f64) {
        let mut m = self.user_metrics.lock().expect("invariant: no panics while holding the lock");
        let entry = m.entry(name.to_string()).or_default();
        entry.0 += 1;
        entry.1 += value;
    }

    /// The Prometheus text exposition.
    pub fn render(&self, labels: &str) -> String {
        let mut out = String::new();
        let counters = [
            ("received_total", &self.received),
            ("processed_successfully_total", &self.processed),
            ("user_exceptions_total", &self.user_exceptions),
            ("system_exceptions_total", &self.system_exceptions),
            ("sink_exceptions_total", &self.sink_exceptions),
        ];
        for (name, value) in counters {
            out.push_str(&format!(
                "# TYPE pulsar_function_{name} counter\npulsar_function_{name}{{{labels}}} {}\n",
                value.load(Ordering::Relaxed)
            ));
        }
        // fmc's own counters: acknowledgements sent (a batch entry counts once),
        // payloads that broke their input's schema, and dead-lettered messages.
        let own = [
            ("acked_total", &self.acked),
            ("schema_rejected_total", &self.schema_rejected),
            ("dead_lettered_total", &self.dead_lettered),
        ];
        for (name, value) in own {
            out.push_str(&format!(
                "# TYPE fmc_runner_{name} counter\nfmc_runner_{name}{{{labels}}} {}\n",
                value.load(Ordering::Relaxed)
            ));
        }
        out.push_str(&format!(
            "# TYPE pulsar_function_last_invocation gauge\npulsar_function_last_invocation{{{labels}}} {}\n",
            self.last_invocation.load(Ordering::Relaxed)
        ));
        let l = self.latencies.lock().expect("invariant: no panics while holding the lock");
        let mut sorted = l.window.clone();
        sorted.sort_by(f64::total_cmp);
        out.push_str("# TYPE pulsar_function_process_latency_ms summary\n");
        for q in [0.5, 0.9, 0.99, 0.999] {
            let v = if sorted.is_empty() { 0.0 } else { sorted[((sorted.len() - 1) as f64 * q) as usize] };
            out.push_str(&format!("pulsar_function_process_latency_ms{{{labels},quantile=\"{q}\"}} {v}\n"));
        }
        out.push_str(&format!("pulsar_function_process_latency_ms_sum{{{labels}}} {}\n", l.sum));
        out.push_str(&format!("pulsar_function_process_latency_ms_count{{{labels}}} {}\n", l.count));
        // Pulsar's name and label for user metrics: one summary, `metric` says which.
        let user = self.user_metrics.lock().expect("invariant: no panics while holding the lock");
        if !user.is_empty() {
            out.push_str("# TYPE pulsar_function_user_metric_ summary\n");
        }
        for (name, (count, sum)) in user.iter() {
            let metric = label_value(name);
            out.push_str(&format!("pulsar_function_user_metric__sum{{{labels},metric=\"{metric}\"}} {sum}\n"));
            out.push_str(&format!("pulsar_function_user_metric__count{{{labels},metric=\"{metric}\"}} {count}\n"));
        }
        out
    }
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Serves `/metrics`, `/healthz` and `/readyz` until the process ends.
pub async fn serve(listener: TcpListener, stats: Arc<Stats>, labels: String) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else { continue };
        let stats = stats.clone();
        let labels = labels.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            let Ok(n) = socket.read(&mut buf).await else { return };
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let (status, body) = match path {
                "/metrics" => ("200 OK", stats.render(&labels)),
                "/healthz" => ("200 OK", "ok\n".to_string()),
                "/readyz" if stats.ready.load(Ordering::Relaxed) => ("200 OK", "ready\n".to_string()),
                "/readyz" => ("503 Service Unavailable", "not ready\n".to_string()),
                _ => ("404 Not Found", "not found\n".to_string()),
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        });
    }
}

pub use fmc_engine::log::{epoch_ms, log};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_use_pulsar_function_names_and_quantiles() {
        let s = Stats::default();
        s.received.fetch_add(3, Ordering::Relaxed);
        for ms in [1.0, 2.0, 3.0] {
            s.record_latency(ms);
        }
        let text = s.render("tenant=\"t\",name=\"f\"");
        assert!(text.contains("pulsar_function_received_total{tenant=\"t\",name=\"f\"} 3\n"), "{text}");
        assert!(
            text.contains("pulsar_function_process_latency_ms{tenant=\"t\",name=\"f\",quantile=\"0.5\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("pulsar_function_process_latency_ms_count{tenant=\"t\",name=\"f\"} 3\n"));
    }

    #[test]
    fn user_metrics_are_one_summary_labelled_by_metric() {
        let s = Stats::default();
        s.record_user_metric("len", 2.0);
        s.record_user_metric("len", 3.0);
        s.record_user_metric("odd \"name\"", 1.0);
        let text = s.render("name=\"f\"");
        assert!(text.contains("pulsar_function_user_metric__sum{name=\"f\",metric=\"len\"} 5\n"), "{text}");
        assert!(text.contains("pulsar_function_user_metric__count{name=\"f\",metric=\"len\"} 2\n"), "{text}");
        assert!(text.contains("metric=\"odd \\\"name\\\"\"} 1\n"), "{text}");
    }
}
