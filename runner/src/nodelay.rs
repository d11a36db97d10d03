//! `TCP_NODELAY` on the runner's broker connections.
//!
//! Why: the `pulsar` crate opens its sockets with Nagle's algorithm on and has
//! no way to turn it off. A small frame (a send, an acknowledgement) written
//! while an earlier one is still unacknowledged then waits for the peer's
//! delayed ACK. Against Apache Pulsar at 1,000 msg/s (producer → runner →
//! consumer) the p99 latency was 68-69 ms with Nagle's algorithm and 36 ms
//! without, the median 23 ms either way (BENCHMARKS.md). So the runner sets
//! the option itself on every TCP socket of its process: once the client is
//! connected, then every half second, so that a connection the crate makes
//! again after a broker restart gets it too.

use std::time::Duration;

/// How often sockets made since the last sweep are found.
const SWEEP_EVERY: Duration = Duration::from_millis(500);

/// Sets `TCP_NODELAY` on every TCP socket of this process that lacks it;
/// returns how many it set.
pub fn sweep() -> usize {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else { return 0 };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<libc::c_int>().ok())
        .filter(|fd| is_tcp(*fd) && option(*fd, libc::IPPROTO_TCP, libc::TCP_NODELAY).is_none_or(|v| v == 0))
        .filter(|fd| set_nodelay(*fd))
        .count()
}

/// Sweeps now and then every [`SWEEP_EVERY`] for the life of the process.
pub fn keep_sweeping() {
    sweep();
    tokio::spawn(async {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            sweep();
        }
    });
}

fn is_tcp(fd: libc::c_int) -> bool {
    let stream = option(fd, libc::SOL_SOCKET, libc::SO_TYPE) == Some(libc::SOCK_STREAM);
    let domain = option(fd, libc::SOL_SOCKET, libc::SO_DOMAIN);
    stream && matches!(domain, Some(libc::AF_INET | libc::AF_INET6))
}

/// An integer socket option; `None` when `fd` is no socket (or is gone).
fn option(fd: libc::c_int, level: libc::c_int, name: libc::c_int) -> Option<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `value`, which is that large.
    let rc = unsafe { libc::getsockopt(fd, level, name, (&raw mut value).cast(), &raw mut len) };
    (rc == 0).then_some(value)
}

fn set_nodelay(fd: libc::c_int) -> bool {
    let on: libc::c_int = 1;
    let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: setsockopt reads `len` bytes from `on`, which is that large.
    unsafe { libc::setsockopt(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, (&raw const on).cast(), len) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tcp_connection_of_the_process_gets_nodelay_and_other_files_are_left_alone() {
        use std::os::fd::AsRawFd;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let file = std::fs::File::open("/proc/self/status").unwrap();
        assert_eq!(option(client.as_raw_fd(), libc::IPPROTO_TCP, libc::TCP_NODELAY), Some(0));
        assert!(sweep() >= 1);
        assert_ne!(option(client.as_raw_fd(), libc::IPPROTO_TCP, libc::TCP_NODELAY), Some(0));
        assert_eq!(option(file.as_raw_fd(), libc::SOL_SOCKET, libc::SO_TYPE), None, "a file is no socket");
        assert!(client.nodelay().unwrap());
    }
}
