#!/usr/bin/env bash
# A real Apache Pulsar broker on loopback for the tests and for `fmc dev`:
# Pulsar's own standalone (broker, one bookie, RocksDB metadata; no
# ZooKeeper, no functions worker, no stream storage), its jars resolved from
# Maven Central by Maven (scripts/pulsar/pom.xml pins the release).
#
#   bash scripts/pulsar-standalone.sh install          # resolve the jars (once)
#   bash scripts/pulsar-standalone.sh start [--keep-data]
#   bash scripts/pulsar-standalone.sh stop [--purge]   # --purge: its data and run folders too
#   bash scripts/pulsar-standalone.sh status
#
# `start` installs if needed, waits until the broker stores messages, and
# prints the broker and admin URLs (also written, as FMC_PULSAR_URL and
# FMC_PULSAR_ADMIN_URL lines, to the instance's `env` file, which the tests
# read). Several instances can run side by side: FMC_PULSAR_INSTANCE names
# one (default `default`), FMC_PULSAR_BROKER_PORT / FMC_PULSAR_WEB_PORT /
# FMC_PULSAR_BOOKIE_PORT choose its ports (16650, 18080, 13181). Everything
# lives under FMC_PULSAR_HOME (default .pulsar/ in the checkout).
#
# Optional, for the tests of TLS and authentication:
#   FMC_PULSAR_TLS_CERT, FMC_PULSAR_TLS_KEY (PEM; the key PKCS#8) and
#   FMC_PULSAR_BROKER_TLS_PORT: a pulsar+ssl:// port too (FMC_PULSAR_TLS_URL
#   in the env file);
#   FMC_PULSAR_TOKEN_SECRET_KEY (a file of HMAC key bytes) and
#   FMC_PULSAR_ADMIN_TOKEN (a token signed with it for the role `admin`):
#   token authentication and authorization on, `admin` the super-user (the
#   broker's own client and this script's readiness check use its token).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
home=${FMC_PULSAR_HOME:-$root/.pulsar}
instance=${FMC_PULSAR_INSTANCE:-default}
run=$home/run/$instance
data=$home/data/$instance
lib=$home/lib
pom=$root/scripts/pulsar/pom.xml
broker_port=${FMC_PULSAR_BROKER_PORT:-16650}
web_port=${FMC_PULSAR_WEB_PORT:-18080}
bookie_port=${FMC_PULSAR_BOOKIE_PORT:-13181}
# Heap and direct memory: what the tests' traffic needs, within CI's budget.
heap=${FMC_PULSAR_HEAP:-512m}

say() { echo "pulsar-standalone: $*" >&2; }
# Maven 3.8 writes colour resets even in batch mode with colours off: strip them.
plain() { sed 's/\x1b\[[0-9;]*m//g'; }

version() { sed -n 's:.*<pulsar.version>\(.*\)</pulsar.version>.*:\1:p' "$pom"; }

install() {
  local want
  want=$(version)
  if [ -f "$lib/.version" ] && [ "$(cat "$lib/.version")" = "$want" ]; then
    return 0
  fi
  command -v mvn >/dev/null || { say "mvn not found (Maven resolves the broker's jars)"; exit 2; }
  say "resolving Apache Pulsar $want from Maven Central into $lib"
  rm -rf "$lib" "$home/m2"
  mkdir -p "$home"
  # A repository of its own (then removed): the jars are copied into lib/.
  mvn -q -B -Dstyle.color=never -f "$pom" -Dmaven.repo.local="$home/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$lib" 2>&1 | plain >&2
  rm -rf "$home/m2"
  echo "$want" > "$lib/.version"
}

pid_alive() { [ -f "$run/pid" ] && kill -0 "$(cat "$run/pid")" 2>/dev/null; }

write_conf() {
  cat > "$run/standalone.conf" <<CONF
clusterName=standalone
brokerServicePort=$broker_port
webServicePort=$web_port
advertisedAddress=127.0.0.1
bindAddress=127.0.0.1
bookiePort=$bookie_port
managedLedgerDefaultEnsembleSize=1
managedLedgerDefaultWriteQuorum=1
managedLedgerDefaultAckQuorum=1
functionsWorkerEnabled=false
enablePackagesManagement=false
brokerDeleteInactiveTopicsEnabled=false
# The bookie turns read-only past 95 % disk use by default; a busy build
# machine's disk is often that full, and the tests write little.
diskUsageThreshold=0.99
diskUsageWarnThreshold=0.99
httpServerEnabled=false
CONF
  if [ -n "${FMC_PULSAR_BROKER_TLS_PORT:-}" ]; then
    cat >> "$run/standalone.conf" <<CONF
brokerServicePortTls=$FMC_PULSAR_BROKER_TLS_PORT
tlsCertificateFilePath=${FMC_PULSAR_TLS_CERT:?FMC_PULSAR_TLS_CERT is needed with a TLS port}
tlsKeyFilePath=${FMC_PULSAR_TLS_KEY:?FMC_PULSAR_TLS_KEY is needed with a TLS port}
CONF
  fi
  if [ -n "${FMC_PULSAR_TOKEN_SECRET_KEY:-}" ]; then
    cat >> "$run/standalone.conf" <<CONF
authenticationEnabled=true
authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken
tokenSecretKey=file://$FMC_PULSAR_TOKEN_SECRET_KEY
authorizationEnabled=true
superUserRoles=admin
brokerClientAuthenticationPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken
brokerClientAuthenticationParameters=token:${FMC_PULSAR_ADMIN_TOKEN:?FMC_PULSAR_ADMIN_TOKEN is needed with a token key}
CONF
  fi
}

wait_ready() {
  local admin=http://127.0.0.1:$web_port deadline=$((SECONDS + ${FMC_PULSAR_START_TIMEOUT:-180}))
  local auth=()
  [ -n "${FMC_PULSAR_ADMIN_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $FMC_PULSAR_ADMIN_TOKEN")
  # Ready = the admin API answers and a topic can be created (the bookie
  # stores its ledger): what every test needs first.
  until curl -sf "${auth[@]}" -X PUT "$admin/admin/v2/persistent/public/default/fmc-ready" -o /dev/null 2>/dev/null ||
    curl -sf "${auth[@]}" "$admin/admin/v2/persistent/public/default/fmc-ready/stats" -o /dev/null 2>/dev/null; do
    if ! pid_alive; then
      say "the broker exited; the end of its log ($run/broker.log):"
      tail -30 "$run/broker.log" >&2
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      say "not ready after ${FMC_PULSAR_START_TIMEOUT:-180} s; the end of its log ($run/broker.log):"
      tail -30 "$run/broker.log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

start() {
  local keep=0
  [ "${1:-}" = "--keep-data" ] && keep=1
  if pid_alive; then
    say "already running (pid $(cat "$run/pid"))"
    cat "$run/env"
    return 0
  fi
  install
  mkdir -p "$run"
  [ "$keep" = 1 ] || rm -rf "$data"
  mkdir -p "$data"
  write_conf
  local started=$SECONDS
  # setsid: the broker outlives this script and the shell that ran it.
  setsid java -Xms128m -Xmx"$heap" -XX:MaxDirectMemorySize=256m -XX:+UseG1GC \
    -Dio.netty.leakDetection.level=disabled -Dpulsar.log.level=warn \
    -cp "$lib/*" org.apache.pulsar.PulsarStandaloneStarter \
    --config "$run/standalone.conf" --no-functions-worker --no-stream-storage \
    --bookkeeper-port "$bookie_port" \
    --bookkeeper-dir "$data/bookkeeper" --metadata-dir "$data/metadata" \
    > "$run/broker.log" 2>&1 < /dev/null &
  echo $! > "$run/pid"
  wait_ready
  {
    echo "FMC_PULSAR_URL=pulsar://127.0.0.1:$broker_port"
    echo "FMC_PULSAR_ADMIN_URL=http://127.0.0.1:$web_port"
    [ -z "${FMC_PULSAR_BROKER_TLS_PORT:-}" ] || echo "FMC_PULSAR_TLS_URL=pulsar+ssl://127.0.0.1:$FMC_PULSAR_BROKER_TLS_PORT"
  } > "$run/env"
  say "ready in $((SECONDS - started)) s (pid $(cat "$run/pid"), log $run/broker.log)"
  echo "broker: pulsar://127.0.0.1:$broker_port"
  echo "admin:  http://127.0.0.1:$web_port"
  [ -z "${FMC_PULSAR_BROKER_TLS_PORT:-}" ] || echo "tls:    pulsar+ssl://127.0.0.1:$FMC_PULSAR_BROKER_TLS_PORT"
}

stop() {
  local purge=0 pid
  [ "${1:-}" = "--purge" ] && purge=1
  if pid_alive; then
    pid=$(cat "$run/pid")
    kill "$pid"
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    say "stopped (pid $pid)"
  fi
  rm -f "$run/pid" "$run/env"
  if [ "$purge" = 1 ]; then
    rm -rf "$run" "$data"
  fi
  return 0
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  status)
    if pid_alive; then cat "$run/env"; else say "not running"; exit 1; fi ;;
  *) echo "usage: $0 install|start [--keep-data]|stop [--purge]|status" >&2; exit 2 ;;
esac
