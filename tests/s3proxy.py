#!/usr/bin/python3
"""A test proxy in front of s3rver (run with Debian's /usr/bin/python3).

  s3proxy.py PORT UPSTREAM-PORT [--verify LOG] [--fail-every N] [--slow MS]
             [--fail-match REGEX]

--verify LOG   recompute the SigV4 signature of every request with botocore's
               S3SigV4Auth (an implementation independent of libcurl's), the
               payload hash and Content-MD5 included; a mismatch gets 403
               and a line in LOG,
               a match "ok METHOD PATH" in LOG.
--fail-every N answer every Nth request with 503 SlowDown (not forwarded).
--fail-first   answer 503 to the first try of every distinct request
               ("METHOD PATH?QUERY"): each one needs exactly one retry.
--fail-code N  the status of --fail-first and --fail-every (default 503;
               429 is "too many requests").
--fail-match R answer 500 to every request whose "METHOD PATH?QUERY" matches R.
--slow MS      wait MS milliseconds before forwarding each request.
--hold REGEX   never answer a request whose "METHOD PATH?QUERY" matches
               (logs "held ..."): the client hangs there until killed.
--log FILE     a line "METHOD PATH?QUERY" per request, as it arrives.
--conn-log F   a line with the client's port per request (to count the
               connections a client opened).
--aws-list     answer a ListObjectsV2 with encoding-type=url as AWS does
               (s3rver ignores it): every Key URL-encoded, spaces as '+',
               and <EncodingType>url</EncodingType> added.
Prints "ready" on stdout once it listens.
"""
import base64
import hashlib
import http.client
import http.server
import re
import sys
import threading
import time
import urllib.parse
import xml.sax.saxutils

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

port, upstream = int(sys.argv[1]), int(sys.argv[2])
opts = sys.argv[3:]
verify_log = fail_every = slow = fail_match = hold = req_log = None
fail_first = False
aws_list = False
conn_log = None
fail_code = 503
seen = set()
while opts:
    o = opts.pop(0)
    if o == '--verify':
        verify_log = opts.pop(0)
    elif o == '--fail-every':
        fail_every = int(opts.pop(0))
    elif o == '--slow':
        slow = int(opts.pop(0)) / 1000.0
    elif o == '--fail-first':
        fail_first = True
    elif o == '--hold':
        hold = re.compile(opts.pop(0))
    elif o == '--fail-code':
        fail_code = int(opts.pop(0))
    elif o == '--conn-log':
        conn_log = opts.pop(0)
    elif o == '--aws-list':
        aws_list = True
    elif o == '--log':
        req_log = opts.pop(0)
    elif o == '--fail-match':
        fail_match = re.compile(opts.pop(0))
    else:
        sys.exit('s3proxy.py: unknown option ' + o)

SECRETS = {'S3RVER': 'S3RVER'}
lock = threading.Lock()
count = [0]


def log(line, path=None):
    with lock, open(path or verify_log, 'a') as f:
        f.write(line + '\n')


def check_signature(method, path, headers, body):
    auth = headers.get('authorization', '')
    m = re.match(r'AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, '
                 r'SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$', auth)
    if not m:
        return 'no SigV4 Authorization header'
    akid, _, region, signed, sig = m.groups()
    if akid not in SECRETS:
        return 'unknown key ' + akid
    declared = headers.get('x-amz-content-sha256')
    if declared is None:
        return 'no x-amz-content-sha256'
    if declared != 'UNSIGNED-PAYLOAD' and declared != hashlib.sha256(body).hexdigest():
        return 'x-amz-content-sha256 is not the SHA-256 of the body'
    md5 = headers.get('content-md5')
    if md5 is not None and md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
        return 'Content-MD5 is not the MD5 of the body'
    names = signed.split(';')
    hdrs = {}
    for n in names:
        if n not in headers:
            return 'signed header %s not sent' % n
        hdrs[n] = headers[n]
    req = AWSRequest(method=method, url='http://%s%s' % (headers['host'], path),
                     headers=hdrs, data=body)
    req.context['timestamp'] = headers['x-amz-date']
    signer = S3SigV4Auth(Credentials(akid, SECRETS[akid]), 's3', region)
    # botocore leaves these out of a signature; curl must not sign them
    for n in names:
        if n in ('expect', 'user-agent', 'x-amzn-trace-id'):
            return 'signs header %s' % n
    cr = signer.canonical_request(req)
    sts = signer.string_to_sign(req, cr)
    want = signer.signature(sts, req)
    if want != sig:
        return 'signature mismatch; canonical request was:\n' + cr
    return None


def url_encode_keys(data):
    """The keys of a ListBucketResult as AWS writes them for encoding-type=url."""
    def enc(m):
        key = xml.sax.saxutils.unescape(m.group(1), {'&quot;': '"', '&apos;': "'"})
        key = re.sub(r'&#(x[0-9a-fA-F]+|[0-9]+);',
                     lambda n: chr(int(n.group(1)[1:], 16) if n.group(1)[0] == 'x' else int(n.group(1))), key)
        return '<Key>%s</Key>' % urllib.parse.quote_plus(key, safe='/')
    text = re.sub(r'<Key>(.*?)</Key>', enc, data.decode(), flags=re.S)
    return text.replace('</ListBucketResult>', '<EncodingType>url</EncodingType></ListBucketResult>').encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def reply(self, code, text):
        body = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
                '<Message>%s</Message></Error>' % (text, text)).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/xml')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else b''
        with lock:
            count[0] += 1
            k = count[0]
        what = '%s %s' % (self.command, self.path)
        if req_log:
            log(what, req_log)
        if conn_log:
            log(str(self.client_address[1]), conn_log)
        if hold and hold.search(what):
            if req_log:
                log('held ' + what, req_log)
            time.sleep(3600)
            return
        if fail_every and k % fail_every == 0:
            return self.reply(fail_code, 'SlowDown')
        if fail_first:
            with lock:
                first = what not in seen
                seen.add(what)
            if first:
                return self.reply(fail_code, 'SlowDown')
        if fail_match and fail_match.search('%s %s' % (self.command, self.path)):
            return self.reply(500, 'InternalError')
        if verify_log:
            hdrs = {h.lower(): v for h, v in self.headers.items()}
            why = check_signature(self.command, self.path, hdrs, body)
            if why:
                log('BAD %s %s: %s' % (self.command, self.path, why))
                return self.reply(403, 'SignatureDoesNotMatch')
            log('ok %s %s' % (self.command, self.path))
        if slow:
            time.sleep(slow)
        c = http.client.HTTPConnection('127.0.0.1', upstream, timeout=60)
        fwd = {h: v for h, v in self.headers.items() if h.lower() not in ('connection', 'expect')}
        c.request(self.command, self.path, body=body, headers=fwd)
        r = c.getresponse()
        data = r.read()
        if aws_list and self.command == 'GET' and 'encoding-type=url' in self.path and r.status == 200:
            data = url_encode_keys(data)
        self.send_response(r.status)
        for h, v in r.getheaders():
            if h.lower() not in ('connection', 'transfer-encoding', 'keep-alive', 'content-length'):
                self.send_header(h, v)
        if self.command == 'HEAD':
            self.send_header('Content-Length', r.getheader('Content-Length') or '0')
        else:
            self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)
        c.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = handle_any


srv = http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler)
srv.daemon_threads = True
print('ready', flush=True)
srv.serve_forever()
