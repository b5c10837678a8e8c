#!/bin/sh
# Run a command with a private S3-compatible server: start s3rver (npm) on
# a free loopback port with its data in a temporary directory and one
# bucket, wait until it answers, export
#   PRAAS_TEST_S3=http://127.0.0.1:PORT/BUCKET
#   AWS_ENDPOINT_URL_S3=http://127.0.0.1:PORT  AWS_REGION=us-east-1
#   AWS_ACCESS_KEY_ID=S3RVER  AWS_SECRET_ACCESS_KEY=S3RVER
# (s3rver's built-in account: it checks that the key id exists but not
# Signature V4 itself, which test_sigv4 checks against botocore), run "$@",
# stop the server and clean up whatever happens, and exit with the
# command's status.
#
#   testsuite/with-s3.sh ./testsuite/unit/test_storage
#   testsuite/with-redis.sh testsuite/with-s3.sh ./testsuite/unit/test_storage
#
# s3rver is $S3RVER, or the one scripts/setup.sh installs in
# $top_builddir/node_modules-s3rver, or one on PATH. Without it, or if it
# cannot start, this script fails (status 99, automake's "hard error"),
# rather than run the command without S3 and pass for the wrong reason.

set -u

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG]..." >&2
    exit 2
fi

server=${S3RVER:-}
if [ -z "$server" ]; then
    for cand in "${top_builddir:-.}/node_modules-s3rver/node_modules/.bin/s3rver" \
                "$(command -v s3rver 2>/dev/null)"; do
        if [ -n "$cand" ] && [ -x "$cand" ]; then
            server=$cand
            break
        fi
    done
fi
if [ -z "$server" ] || [ ! -x "$server" ]; then
    echo "with-s3.sh: s3rver not found (run scripts/setup.sh, which installs it in" \
         "\$top_builddir/node_modules-s3rver, or set S3RVER)" >&2
    exit 99
fi
if ! command -v curl >/dev/null 2>&1; then
    echo "with-s3.sh: curl not found (apt-get install curl)" >&2
    exit 99
fi

. "$(dirname "$0")/lib/service.sh"
service_setup praas-s3
mkdir -p "$dir/data" || exit 99

# A bucket name of our own: a server that answers with it is ours, not one
# that already held the port while ours failed to bind.
bucket=praas-test-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')

# The HTTP status of GET /$bucket on port $1 (000 when nothing answers).
bucket_status() {
    curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 2 \
        "http://127.0.0.1:$1/$bucket" 2>/dev/null
}

launch_s3() {
    "$server" --directory "$dir/data" --address 127.0.0.1 --port "$1" \
        --configure-bucket "$bucket" >"$dir/s3rver.log" 2>&1 &
    pid=$!
}
s3_ready() { [ "$(bucket_status "$1")" = 200 ]; }
# node starts in about a second; allow 30 on a loaded machine.
started=
service_start launch_s3 s3_ready 300 0.1 && started=yes
if [ -z "$started" ]; then
    echo "with-s3.sh: s3rver ($server) did not start; its log:" >&2
    cat "$dir/s3rver.log" >&2 2>/dev/null
    exit 99
fi

PRAAS_TEST_S3=http://127.0.0.1:$port/$bucket
AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=S3RVER
AWS_SECRET_ACCESS_KEY=S3RVER
export PRAAS_TEST_S3 AWS_ENDPOINT_URL_S3 AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
"$@"
status=$?
exit $status
