#!/bin/sh
# Runs fmc as a Helm post-renderer. FMC_BIN chooses the binary (default: fmc on PATH).
# Helm 4 hides this program's stderr: diagnostics are also written to
# $FMC_DIAGNOSTICS_FILE (default $TMPDIR/fmc-diagnostics.log).
exec "${FMC_BIN:-fmc}" post-render "$@"
