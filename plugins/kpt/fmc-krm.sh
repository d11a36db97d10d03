#!/bin/sh
# fmc as a KRM exec function for `kpt fn render --allow-exec` (Kptfile `exec:`)
# and `kpt fn eval --exec`. FMC_BIN chooses the binary (default: fmc on PATH).
exec "${FMC_BIN:-fmc}" krm "$@"
