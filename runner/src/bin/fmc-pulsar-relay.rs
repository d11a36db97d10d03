//! `fmc-pulsar-relay LISTEN UPSTREAM [--tls-cert PEM --tls-key PEM]`: the
//! checksum-restoring relay (see `fmc_runner::relay`) as a process, for
//! `fmc dev` and manual tests against pulsar-lite; with a certificate, clients
//! connect with `pulsar+ssl://`. `kill -USR1` cuts every open connection (a
//! broker drop).

use std::net::SocketAddr;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(listen), Some(upstream)) = (
        args.first().and_then(|a| a.parse::<SocketAddr>().ok()),
        args.get(1).and_then(|a| a.parse::<SocketAddr>().ok()),
    ) else {
        eprintln!("usage: fmc-pulsar-relay LISTEN_ADDR UPSTREAM_ADDR (e.g. 127.0.0.1:6651 127.0.0.1:6650)");
        return std::process::ExitCode::from(2);
    };
    let option = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let tls = match (option("--tls-cert"), option("--tls-key")) {
        (Some(cert), Some(key)) => match fmc_runner::relay::tls_server_config(cert, key) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("fmc-pulsar-relay: {e}");
                return std::process::ExitCode::from(2);
            }
        },
        (None, None) => None,
        _ => {
            eprintln!("fmc-pulsar-relay: --tls-cert and --tls-key go together");
            return std::process::ExitCode::from(2);
        }
    };
    let relay = match fmc_runner::relay::Relay::start_with(listen, upstream, tls).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fmc-pulsar-relay: cannot listen on {listen}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    eprintln!("fmc-pulsar-relay: {} -> {upstream}", relay.addr);
    let Ok(mut usr1) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()) else {
        return std::process::ExitCode::from(1);
    };
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
        return std::process::ExitCode::from(1);
    };
    loop {
        tokio::select! {
            _ = usr1.recv() => relay.cut_all(),
            _ = term.recv() => return std::process::ExitCode::SUCCESS,
        }
    }
}
