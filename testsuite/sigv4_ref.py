#!/usr/bin/env python3
"""Reference AWS Signature V4 for S3, computed by botocore (Debian's
python3-botocore), for testsuite/unit/test_sigv4.c to compare with.

    sigv4_ref.py --method PUT --endpoint http://127.0.0.1:9000 \
        --raw-path '/bucket/dir one/file' --timestamp 20240102T030405Z \
        --region us-east-1 --access-key AK --secret-key SK [--token T] \
        [--param NAME=VALUE]... [--header 'Name: value']... \
        [--body-file FILE | --payload-hash HEX]

The path is given raw and encoded here (urllib's quote, '/' kept), the
query parameters raw and encoded by botocore, the host taken by botocore
from the URL, x-amz-date, x-amz-content-sha256 (the SHA-256 of the body
file, by botocore, unless --payload-hash gives it) and
x-amz-security-token (from --token) added by botocore's S3SigV4Auth. The
clock is pinned to --timestamp.

Prints three lines:
    Path: <the encoded path>
    X-Amz-Content-SHA256: <the payload hash signed>
    Authorization: <the header botocore computed>
Exit status 2 for bad arguments, 3 when botocore is missing.
"""
import argparse
import datetime
import sys
import types
import urllib.parse

try:
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
except ImportError as e:  # pragma: no cover
    print("botocore is not installed: %s" % e, file=sys.stderr)
    sys.exit(3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--raw-path", required=True)
    ap.add_argument("--timestamp", required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--token")
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--body-file")
    ap.add_argument("--payload-hash")
    a = ap.parse_args()

    fixed = datetime.datetime.strptime(a.timestamp, "%Y%m%dT%H%M%SZ")

    class PinnedDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

        @classmethod
        def now(cls, tz=None):
            return fixed.replace(tzinfo=tz) if tz else fixed

    # Pin botocore's clock. Older botocore (Debian 12's 1.29) reads it as
    # datetime.datetime.utcnow() in add_auth: give botocore.auth a datetime
    # module whose clock is the fixed time. Newer ones call
    # get_current_datetime(), imported into botocore.auth: replace it.
    botocore.auth.datetime = types.SimpleNamespace(
        datetime=PinnedDatetime, timezone=datetime.timezone)
    if hasattr(botocore.auth, "get_current_datetime"):
        botocore.auth.get_current_datetime = lambda remove_tzinfo=True: fixed

    path = urllib.parse.quote(a.raw_path, safe="/~")
    params = []
    for p in a.param:
        name, _, value = p.partition("=")
        params.append((name, value))
    headers = {}
    for h in a.header:
        name, _, value = h.partition(":")
        headers[name] = value
    body = b""
    if a.body_file:
        with open(a.body_file, "rb") as f:
            body = f.read()

    req = botocore.awsrequest.AWSRequest(
        method=a.method, url=a.endpoint + path, headers=headers, data=body,
        params=params)
    creds = botocore.credentials.Credentials(a.access_key, a.secret_key, a.token)

    class Signer(botocore.auth.S3SigV4Auth):
        def payload(self, request):
            if a.payload_hash:
                return a.payload_hash
            return super().payload(request)

    Signer(creds, "s3", a.region).add_auth(req)
    print("Path: %s" % path)
    print("X-Amz-Content-SHA256: %s" % req.headers["X-Amz-Content-SHA256"])
    print("Authorization: %s" % req.headers["Authorization"])


if __name__ == "__main__":
    main()
