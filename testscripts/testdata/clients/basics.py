"""Python's own HTTP clients against a workbook server (TestClients/python).

Reads a JSON object from stdin: {"base": "http://127.0.0.1:PORT", "ops": [...]}
with each op one of

    {"lib": "urllib", "method": "GET", "path": "/", "data": "a=1"}
    {"lib": "http.client", "method": "HEAD", "path": "/"}
    {"lib": "keepalive", "paths": ["/", "/sample.txt"]}
    {"lib": "revalidate", "path": "/", "headers": {"Accept-Encoding": "gzip"}}

(urllib and http.client ops take "headers" too) and prints a JSON list with
one result per op: the status, reason, HTTP version, headers, the body's
length as it came and the body (decoded as UTF-8), or the error the library
raised ("BadStatusLine: ..."). A body that came with Content-Encoding: gzip
is decompressed first, as a program that asked for gzip must do itself
(Python's clients don't), and the result says "gunzipped". "keepalive"
sends its GETs one after the other on one http.client connection and says
whether they all went over the same socket ("reused"); "revalidate" sends a
GET, then the same GET with If-None-Match: the first answer's ETag, as a
cache does. Standard library only.
"""

import gzip
import http.client
import json
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

TIMEOUT = 10


def result(status, reason, version, headers, body):
    headers = [[k, v] for k, v in headers]
    out = {"status": status, "reason": reason, "version": version, "headers": headers, "length": len(body)}
    if any(k.lower() == "content-encoding" and v.strip().lower() == "gzip" for k, v in headers):
        body = gzip.decompress(body)
        out["gunzipped"] = True
    out["body"] = body.decode("utf-8", "replace")
    return out


def error(e):
    return {"error": "%s: %s" % (type(e).__name__, e)}


def do_urllib(base, op):
    data = op.get("data")
    req = urllib.request.Request(
        base + op["path"],
        data=data.encode() if data is not None else None,
        headers=op.get("headers", {}),
        method=op.get("method", "GET"),
    )
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return result(r.status, r.reason, r.version, r.getheaders(), r.read())
    except urllib.error.HTTPError as e:  # 4xx and 5xx: still a response
        return result(e.code, e.reason, None, e.headers.items(), e.read())
    except Exception as e:
        return error(e)


def connection(base):
    u = urlsplit(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)


def do_http_client(base, op):
    conn = connection(base)
    try:
        headers = dict(op.get("headers", {}))
        data = op.get("data")
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(op.get("method", "GET"), op["path"], body=data, headers=headers)
        r = conn.getresponse()
        return result(r.status, r.reason, r.version, r.getheaders(), r.read())
    except Exception as e:
        return error(e)
    finally:
        conn.close()


def do_keepalive(base, op):
    conn = connection(base)
    socks, results = [], []
    try:
        for path in op["paths"]:
            conn.request("GET", path)
            socks.append(conn.sock)  # request() connects again if needed
            r = conn.getresponse()
            results.append(result(r.status, r.reason, r.version, r.getheaders(), r.read()))
    except Exception as e:
        return error(e)
    finally:
        conn.close()
    return {"responses": results, "reused": all(s is socks[0] for s in socks)}


def do_revalidate(base, op):
    conn = connection(base)
    headers = dict(op.get("headers", {}))
    socks, results = [], []
    try:
        for _ in range(2):
            conn.request("GET", op["path"], headers=headers)
            socks.append(conn.sock)
            r = conn.getresponse()
            results.append(result(r.status, r.reason, r.version, r.getheaders(), r.read()))
            headers["If-None-Match"] = r.getheader("ETag", "")
    except Exception as e:
        return error(e)
    finally:
        conn.close()
    return {"responses": results, "reused": all(s is socks[0] for s in socks)}


def main():
    spec = json.load(sys.stdin)
    do = {"urllib": do_urllib, "http.client": do_http_client, "keepalive": do_keepalive, "revalidate": do_revalidate}
    out = [do[op["lib"]](spec["base"], op) for op in spec["ops"]]
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
