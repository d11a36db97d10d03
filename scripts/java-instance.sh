#!/usr/bin/env bash
# The `/pulsar` layout of a Pulsar Functions Java runner image, for the tests
# that start rendered Java functions as their StatefulSets say (issue 29):
#
#   bash scripts/java-instance.sh install     # into .pulsar/java (once)
#
#   lib/                      the Java instance and its dependencies from Maven
#                             Central (scripts/java-instance/pom.xml), named as
#                             Pulsar's distribution names them
#                             (groupId-artifactId-version.jar), so the
#                             operator's class-path globs find them
#   instances/java-instance.jar
#                             the launcher (tests/java-instance/launcher): Maven
#                             Central does not serve Pulsar's own
#                             (`pulsar-functions-runtime-all`), so this one,
#                             written here, stands in for it; its manifest puts
#                             the functions API, logging and Jackson beside it
#   examples/fmc-test-functions.jar
#                             the tests' Java functions (tests/java-instance/
#                             functions; `pulsar-functions-api-examples` is not
#                             served either), compiled against the served API
#
# Needs java, javac, jar and mvn. FMC_PULSAR_HOME as for pulsar-standalone.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
home=${FMC_PULSAR_HOME:-$root/.pulsar}
out=$home/java
pom=$root/scripts/java-instance/pom.xml
sources=$root/tests/java-instance

say() { echo "java-instance: $*" >&2; }
# Maven 3.8 writes colour resets even in batch mode with colours off: strip them.
plain() { sed 's/\x1b\[[0-9;]*m//g'; }

version() { sed -n 's:.*<pulsar.version>\(.*\)</pulsar.version>.*:\1:p' "$pom"; }

# Fingerprints of what the layout is made from: the libraries (the pom and this
# script; resolving them takes a while) and the whole (plus the tests' sources,
# which compile in seconds). Each part is rebuilt when its own changes.
lib_stamp() { cat "$pom" "$0" | sha256sum | cut -c1-16; }
stamp() { cat "$pom" "$0" $(find "$sources" -name '*.java' | sort) | sha256sum | cut -c1-16; }

resolve_lib() {
  local m2=$home/m2-java list
  list=$(mktemp)
  mvn -q -B -Dstyle.color=never -f "$pom" -Dmaven.repo.local="$m2" dependency:list \
    -DincludeScope=runtime -DoutputAbsoluteArtifactFilename=true -DoutputFile="$list" 2>&1 | plain >&2
  # Lines: group:artifact:type[:classifier]:version:scope:path
  grep -E '^ +[^ ]+:jar:' "$list" | sed 's/^ *//' | while IFS= read -r line; do
    local path=${line##*:} coords=${line%:*} g a t f4 f5 f6 v c
    IFS=: read -r g a t f4 f5 f6 <<< "$coords"
    if [ -z "$f6" ]; then v=$f4 c=""; else c=$f4 v=$f5; fi
    cp "$path" "$out/lib/$g-$a-$v${c:+-$c}.jar"
  done
  rm -rf "$m2" "$list"
}

# The launcher's manifest: the jars it shares with the function and the YAML
# jars (Class-Path, one per continuation line; a manifest line holds 72 bytes).
manifest() {
  echo "Class-Path: ."
  local pattern jar
  for pattern in org.apache.pulsar-pulsar-functions-api- org.apache.pulsar-pulsar-client-api- \
    org.apache.pulsar-pulsar-io-core- org.slf4j-slf4j-api- org.apache.logging.log4j-log4j-api- \
    org.apache.logging.log4j-log4j-core- org.apache.logging.log4j-log4j-slf4j2-impl- \
    com.fasterxml.jackson.core-jackson-annotations- com.fasterxml.jackson.core-jackson-core- \
    com.fasterxml.jackson.core-jackson-databind-; do
    jar=$(cd "$out/lib" && ls "$pattern"[0-9]*.jar | head -1)
    [ -n "$jar" ] || { say "no $pattern jar resolved"; exit 1; }
    echo "  ../lib/$jar"
  done
}

install() {
  local want
  want="$(version) $(stamp)"
  if [ -f "$out/.version" ] && [ "$(cat "$out/.version")" = "$want" ]; then
    return 0
  fi
  for tool in java javac jar mvn; do
    command -v "$tool" >/dev/null || { say "$tool not found"; exit 2; }
  done
  if [ -f "$out/lib/.stamp" ] && [ "$(cat "$out/lib/.stamp")" = "$(lib_stamp)" ]; then
    say "compiling the tests' launcher and functions against the libraries in $out/lib"
    rm -rf "$out/instances" "$out/examples" "$out/.version"
  else
    say "resolving the Pulsar Functions Java instance $(version) from Maven Central into $out"
    rm -rf "$out"
    mkdir -p "$out/lib"
    resolve_lib
    lib_stamp > "$out/lib/.stamp"
  fi
  mkdir -p "$out/instances" "$out/examples"
  local build
  build=$(mktemp -d)
  javac -d "$build/launcher" $(find "$sources/launcher" -name '*.java')
  manifest > "$build/manifest.txt"
  jar cfm "$out/instances/java-instance.jar" "$build/manifest.txt" -C "$build/launcher" .
  javac -d "$build/functions" -cp "$out/lib/*" $(find "$sources/functions" -name '*.java')
  jar cf "$out/examples/fmc-test-functions.jar" -C "$build/functions" .
  rm -rf "$build"
  echo "$want" > "$out/.version"
  say "ready: $(ls "$out/lib" | wc -l) jars"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
