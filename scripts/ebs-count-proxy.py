"""Counting EC2 proxy for scripts/ebs-vs-packer.sh: forwards every request
to moto unchanged and appends its Action to a log (one line per call).

usage: python ebs-count-proxy.py UPSTREAM_PORT LISTEN_PORT LOG
"""
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
SKIP = ("host", "content-length", "connection", "transfer-encoding", "date", "server")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        action = urllib.parse.parse_qs(body.decode()).get("Action", ["?"])[0]
        with open(log, "a") as f:
            f.write(action + "\n")
        req = urllib.request.Request(
            "http://127.0.0.1:%s%s" % (upstream, self.path), data=body, method="POST"
        )
        for k, v in self.headers.items():
            if k.lower() not in SKIP:
                req.add_header(k, v)
        try:
            resp = urllib.request.urlopen(req)
            code, data, headers = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            code, data, headers = e.code, e.read(), e.headers
        self.send_response(code)
        for k, v in headers.items():
            if k.lower() not in SKIP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
