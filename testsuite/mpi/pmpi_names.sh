#!/bin/sh
# The profiling interface is complete: every MPI_ function libpraas
# exports is exported as PMPI_ too (a weak alias), and mpi.h declares a
# PMPI_ for every MPI_ prototype and no other. TAP.
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
lib=$top_builddir/.libs/libpraas.so
hdr=$top_srcdir/include/praas/mpi/mpi.h
tmp=$(mktemp -d "${TMPDIR:-/tmp}/praas-pmpi.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

echo "1..4"
if [ ! -f "$lib" ] || ! command -v nm >/dev/null 2>&1; then
  for i in 1 2 3 4; do echo "ok $i # SKIP no shared libpraas or no nm"; done
  exit 0
fi
nm -D --defined-only "$lib" | awk '$3 ~ /^MPI_/ {print $3}' | sort >"$tmp/mpi"
nm -D --defined-only "$lib" | awk '$3 ~ /^PMPI_/ {print substr($3, 2)}' | sort >"$tmp/pmpi"
n=$(wc -l <"$tmp/mpi")
if [ "$n" -gt 200 ]; then echo "ok 1 - libpraas exports $n MPI_ functions"
else echo "not ok 1 - libpraas exports only $n MPI_ functions"; fi
if cmp -s "$tmp/mpi" "$tmp/pmpi"; then echo "ok 2 - each has a PMPI_ twin"
else echo "not ok 2 - MPI_ and PMPI_ exports differ"; diff "$tmp/mpi" "$tmp/pmpi" | sed 's/^/# /'; fi
sed -n 's/^[A-Za-z_]* \**\(MPI_[A-Za-z0-9_]*\)(.*/\1/p' "$hdr" | sort >"$tmp/proto"
sed -n 's/^extern __typeof__(\(MPI_[A-Za-z0-9_]*\)) P\(MPI_[A-Za-z0-9_]*\);$/\1 \2/p' "$hdr" \
  >"$tmp/decl"
awk '$1 != $2 {bad = 1} END {exit bad}' "$tmp/decl"
st=$?
cut -d' ' -f1 "$tmp/decl" | sort | cmp -s - "$tmp/proto" && [ $st -eq 0 ]
if [ $? -eq 0 ]; then echo "ok 3 - mpi.h declares PMPI_ for each MPI_ prototype"
else echo "not ok 3 - mpi.h's PMPI_ declarations differ from its prototypes"; fi
if cmp -s "$tmp/proto" "$tmp/mpi"; then echo "ok 4 - the library defines every call mpi.h declares"
else echo "not ok 4 - mpi.h and the library differ"; diff "$tmp/proto" "$tmp/mpi" | sed 's/^/# /'; fi
