#!/bin/sh
# Function libraries uploaded to the control plane (TAP): praas-control with
# a library directory, the praas command line (the client library's
# praas_library_*) and curl. Uploads the example function library by name,
# creates a process naming it and invokes; refuses a text file, bad names, a
# deletion while a process uses the library and an upload over the limit;
# re-uploads replace atomically; a 4 MiB shared object built here shows its
# upload's progress; the libraries outlive the daemon.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/testsuite/lib/tap.sh"
. "$top_srcdir/testsuite/lib/daemon.sh" # B, CONTROL, PROCESS, CLI, LIB
PROG=$B/testsuite/invoke_e2e
daemon_need "$CLI" "$PROG"
for c in curl sha256sum "${CC:-cc}"; do
    if ! command -v "$c" >/dev/null 2>&1; then
        echo "1..0 # SKIP $c is not installed"
        exit 0
    fi
done
tap_tmpdir library
unset PRAAS_STORAGE PRAAS_CONTROL PRAAS_PROCESS_BIN PRAAS_LIBRARY_DIR
DIR=$TMP/libs

# start: praas-control with the library directory; sets daemon, URL and
# PRAAS_CONTROL.
start() {
    daemon_start --process-bin "$PROCESS" --storage "file://$TMP/storage" \
        --library-dir "$DIR" --max-library 8M --subprocess-grace 500 || return 1
    PRAAS_CONTROL=$URL
    export PRAAS_CONTROL
}
stop() { daemon_stop; }

# put NAME FILE [CURL-ARGS]: PUT FILE as library NAME; status in $code, body
# in $TMP/body.
put() {
    name=$1 file=$2
    shift 2
    code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PUT --data-binary @"$file" \
        -H 'Content-Type: application/octet-stream' "$@" "$URL/v1/libraries/$name")
}
# req METHOD PATH: status in $code, body in $TMP/body.
req() {
    code=$(curl -s --path-as-is -o "$TMP/body" -w '%{http_code}' -X "$1" "$URL$2")
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }
# field NAME < JSON: the value of a string or number field (first one).
field() { sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\).*/\1/p" | head -1; }

start
ok $? "praas-control starts with --library-dir and --max-library 8M"

# Upload by name and serve it.
"$CLI" library upload e2e "$LIB" >"$TMP/o" 2>"$TMP/e"
st=$?
[ $st -eq 0 ] && [ "$(field sha256 <"$TMP/o")" = "$(sha "$LIB")" ] &&
    [ "$(field size <"$TMP/o")" = "$(size "$LIB")" ] && [ ! -s "$TMP/e" ]
ok $? "praas library upload e2e: the answer has the file's size and sha256 (status $st)"
[ $st -eq 0 ] || show "$TMP/o" "$TMP/e"
cmp -s "$LIB" "$DIR/e2e.so"
ok $? "the library is stored byte for byte in the library directory"
"$CLI" library list >"$TMP/o" 2>&1 && grep -q '"name": "e2e"' "$TMP/o" &&
    grep -q "\"sha256\": \"$(sha "$LIB")\"" "$TMP/o" &&
    grep -q "\"size\": $(size "$LIB")," "$TMP/o" && grep -q '"uploaded": "20' "$TMP/o"
ok $? "praas library list shows it with its size, sha256 (sha256sum's) and upload time"
req GET /v1/libraries/e2e
[ "$code" = 200 ] && [ "$(field sha256 <"$TMP/body")" = "$(sha "$LIB")" ]
ok $? "GET /v1/libraries/e2e -> 200 with its sha256 (got $code)"
"$CLI" library show e2e >"$TMP/o" 2>&1 && grep -q '"name": "e2e"' "$TMP/o"
ok $? "praas library show e2e"
"$CLI" process create --library e2e --id lp >"$TMP/o" 2>&1 &&
    grep -q '"library_name": "e2e"' "$TMP/o" && grep -q "\"library\": \"$DIR/e2e.so\"" "$TMP/o"
res=$?
ok $res "praas process create --library e2e (a name, not a path)"
[ $res -eq 0 ] || show "$TMP/o"
"$CLI" session alloc lp >"$TMP/o" 2>&1
sid=$(field id <"$TMP/o")
printf 'by name' | "$CLI" invoke echo --session "$sid" --input - -q >"$TMP/res" 2>"$TMP/e" &&
    [ "$(cat "$TMP/res")" = "by name" ] && [ ! -s "$TMP/e" ]
res=$?
ok $res "invoke echo in a session of the process: the right result"
[ $res -eq 0 ] || show "$TMP/o" "$TMP/e"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST -d '{"library": "nope"}' \
    "$URL/v1/processes")
[ "$code" = 400 ] && grep -q "'nope': not an absolute path, and no library of that name" "$TMP/body"
ok $? "a process naming a library never uploaded -> 400 naming it (got $code)"

# Refusals.
printf 'just some text\n' >"$TMP/text"
put text "$TMP/text"
[ "$code" = 400 ] && grep -q 'not a shared object' "$TMP/body" && grep -q 'ELF magic' "$TMP/body"
ok $? "uploading a text file -> 400 'not a shared object' naming the ELF magic (got $code)"
"$CLI" library upload text "$TMP/text" >"$TMP/o" 2>&1
[ $? -eq 1 ] && grep -q 'not a shared object' "$TMP/o" && grep -q PRAAS_ERR_INVALID "$TMP/o"
ok $? "praas library upload of a text file -> exit 1, PRAAS_ERR_INVALID, the cause"
printf 'int f(void) { return 1; }\n' >"$TMP/obj.c"
"${CC:-cc}" -c "$TMP/obj.c" -o "$TMP/obj.o"
put obj "$TMP/obj.o"
[ "$code" = 400 ] && grep -q 'an object file' "$TMP/body"
ok $? "uploading an ELF object file (ET_REL) -> 400 saying so (got $code)"
for bad in .. .hidden 'a%2Fb' 'a%20b' "$(printf '%065d' 0)"; do
    code=$(curl -s --path-as-is -o "$TMP/body" -w '%{http_code}' -X PUT \
        --data-binary @"$LIB" "$URL/v1/libraries/$bad")
    [ "$code" = 400 ] && grep -q 'library name' "$TMP/body"
    ok $? "PUT /v1/libraries/$bad -> 400 naming the name's rules (got $code)"
done
find "$DIR" -mindepth 1 ! -name e2e.so ! -name e2e.json >"$TMP/extra"
[ ! -s "$TMP/extra" ]
ok $? "the refused uploads left nothing in the library directory"
[ -s "$TMP/extra" ] && show "$TMP/extra"
"$CLI" library upload 'a/b' "$LIB" >"$TMP/o" 2>&1
[ $? -eq 1 ] && grep -q "library name 'a/b'" "$TMP/o"
ok $? "praas library upload a/b -> exit 1 naming the name (the client checks it)"
req DELETE /v1/libraries/e2e
[ "$code" = 409 ] && grep -q 'used by process lp' "$TMP/body"
ok $? "DELETE of a library a process uses -> 409 naming the process (got $code)"
"$CLI" library delete e2e >"$TMP/o" 2>&1
[ $? -eq 1 ] && grep -q PRAAS_ERR_STATE "$TMP/o"
ok $? "praas library delete of a used library -> exit 1, PRAAS_ERR_STATE"
req POST /v1/libraries
[ "$code" = 405 ]
ok $? "POST /v1/libraries -> 405 (got $code)"
req GET /v1/libraries/none
[ "$code" = 404 ] && grep -q "no library 'none'" "$TMP/body"
ok $? "GET of an unknown library -> 404 (got $code)"

# A 4 MiB shared object built here: the upload shows its progress.
cat >"$TMP/big.c" <<'EOF'
/* 4 MiB of read-only data, so that the library is large. */
const unsigned char big_table[4u << 20] = {1, 2, 3};
int big_first(void) { return big_table[0]; }
EOF
"${CC:-cc}" -shared -fPIC -o "$TMP/big.so" "$TMP/big.c" 2>"$TMP/cc.log"
[ "$(size "$TMP/big.so")" -ge 4194304 ]
ok $? "cc -shared builds a $(size "$TMP/big.so")-byte library"
"$CLI" library upload big "$TMP/big.so" --progress >"$TMP/o" 2>"$TMP/e"
st=$?
[ $st -eq 0 ] && grep -q 'praas: upload [0-9]*/[0-9]* bytes (100%) [0-9.]* MiB/s' "$TMP/e" &&
    [ "$(field sha256 <"$TMP/o")" = "$(sha "$TMP/big.so")" ]
ok $? "praas library upload --progress: a 100% line on stderr, the file's sha256 (status $st)"
[ $st -eq 0 ] || show "$TMP/o" "$TMP/e"
"$CLI" library upload big "$TMP/big.so" >"$TMP/o" 2>"$TMP/e" && [ ! -s "$TMP/e" ]
ok $? "without --progress and with stderr not a terminal: no progress"
"$CLI" library upload big "$TMP/big.so" --progress -q >"$TMP/o" 2>"$TMP/e" && [ ! -s "$TMP/e" ]
ok $? "-q wins over --progress"
"$CLI" library upload big "$TMP/big.so" --progress --no-progress >"$TMP/o" 2>"$TMP/e" &&
    [ ! -s "$TMP/e" ]
ok $? "--no-progress wins over --progress"
head -c $((2 << 20)) "$TMP/big.so" >"$TMP/payload"
"$CLI" invoke echo --process lp --memory 8M --input "$TMP/payload" --output "$TMP/res" \
    --progress 2>"$TMP/e"
st=$?
[ $st -eq 0 ] && cmp -s "$TMP/payload" "$TMP/res" && grep -q 'praas: invoke .*(100%)' "$TMP/e"
ok $? "praas invoke --progress of a 2 MiB payload: a 100% line, the payload echoed (status $st)"
[ $st -eq 0 ] || show "$TMP/e"
cat "$TMP/big.so" "$TMP/big.so" "$TMP/big.so" >"$TMP/huge.so"
put big "$TMP/huge.so"
[ "$code" = 413 ] && grep -q 'larger than the limit of 8388608 bytes' "$TMP/body"
ok $? "a 12 MiB upload over --max-library 8M -> 413 (got $code)"

# Re-uploads replace atomically: a reader sees one upload's description and
# file or the other's, never a mix, and a failed re-upload keeps the last.
put swap "$LIB"
a=$(sha "$LIB") b=$(sha "$TMP/big.so")
(
    for i in 1 2 3 4 5 6; do
        curl -s -o /dev/null -X PUT --data-binary @"$TMP/big.so" "$URL/v1/libraries/swap"
        curl -s -o /dev/null -X PUT --data-binary @"$LIB" "$URL/v1/libraries/swap"
    done
) &
writer=$!
bad=0 reads=0
while kill -0 $writer 2>/dev/null; do
    got=$(curl -s "$URL/v1/libraries/swap" | field sha256)
    reads=$((reads + 1))
    [ "$got" = "$a" ] || [ "$got" = "$b" ] || bad=$((bad + 1))
done
wait $writer
[ $bad -eq 0 ] && [ $reads -gt 0 ]
ok $? "$reads reads during 12 re-uploads each saw one of the two uploads ($bad did not)"
put swap "$TMP/big.so"
[ "$code" = 200 ] && [ "$(field sha256 <"$TMP/body")" = "$b" ] &&
    cmp -s "$TMP/big.so" "$DIR/swap.so"
ok $? "a re-upload answers 200 and replaces the file and its sha256 (got $code)"
put swap "$TMP/text"
req GET /v1/libraries/swap
[ "$(field sha256 <"$TMP/body")" = "$b" ] && cmp -s "$TMP/big.so" "$DIR/swap.so"
ok $? "a failed re-upload keeps the stored library"
find "$DIR" -mindepth 1 -name '.*' >"$TMP/extra"
[ ! -s "$TMP/extra" ]
ok $? "no temporary file is left in the library directory"

# The client library's calls (praas_library_*), from testsuite/invoke_e2e.
"$PROG" "$URL" "$LIB" library >"$TMP/out" 2>&1
st=$?
daemon_verdicts "client library: " "$TMP/out"
[ $st -eq 0 ] && [ $seen -eq 9 ]
ok $? "client library: invoke_e2e library ran its 9 checks (status $st)"
[ $seen -eq 9 ] || show "$TMP/out"

# Deleting.
"$CLI" process delete lp >"$TMP/o" 2>&1
"$CLI" library delete e2e >"$TMP/o" 2>&1 && grep -q '"deleted": "e2e"' "$TMP/o" &&
    [ ! -e "$DIR/e2e.so" ] && [ ! -e "$DIR/e2e.json" ]
ok $? "once its process is deleted, praas library delete e2e removes its files"
"$CLI" library show e2e >"$TMP/o" 2>&1
[ $? -eq 1 ] && grep -q PRAAS_ERR_NOT_FOUND "$TMP/o"
ok $? "praas library show of a deleted library -> exit 1, PRAAS_ERR_NOT_FOUND"

# The libraries outlive the daemon.
stop
[ "$status" = 0 ]
ok $? "the daemon stops cleanly (status $status)"
start
"$CLI" library list >"$TMP/o" 2>&1 && grep -q '"name": "big"' "$TMP/o" &&
    grep -q '"name": "swap"' "$TMP/o" && ! grep -q '"name": "e2e"' "$TMP/o"
ok $? "a new daemon on the same directory lists big and swap"

# Help.
"$CLI" library --help >"$TMP/h" 2>&1 && grep -q 'Usage: praas library upload' "$TMP/h"
ok $? "praas library --help"
"$CLI" library upload --help >"$TMP/h" 2>&1 && grep -q -- '--no-progress' "$TMP/h"
ok $? "praas library upload --help"
"$CLI" --help >"$TMP/h" 2>&1 && grep -q 'library upload NAME FILE' "$TMP/h"
ok $? "praas --help lists library"
"$CLI" library frob >"$TMP/h" 2>&1
[ $? -eq 2 ] && grep -q "unknown library command 'frob'" "$TMP/h"
ok $? "praas library frob -> exit 2"
stop
[ $failed -eq 0 ] || show "$TMP/daemon.log" | tail -20

echo "1..$n"
[ $failed -eq 0 ]
