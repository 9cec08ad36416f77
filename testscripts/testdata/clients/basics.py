"""Python's own HTTP clients against a workbook server (TestClients/python).

Reads a JSON object from stdin: {"base": "http://127.0.0.1:PORT", "ops": [...]}
with each op one of

    {"lib": "urllib", "method": "GET", "path": "/", "data": "a=1"}
    {"lib": "http.client", "method": "HEAD", "path": "/"}
    {"lib": "keepalive", "paths": ["/", "/sample.txt"]}

and prints a JSON list with one result per op: the status, reason, HTTP
version, headers and body (decoded as UTF-8), or the error the library
raised ("BadStatusLine: ..."). "keepalive" sends its GETs one after the other
on one http.client connection and says whether they all went over the same
socket ("reused"). Standard library only.
"""

import http.client
import json
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

TIMEOUT = 10


def result(status, reason, version, headers, body):
    return {
        "status": status,
        "reason": reason,
        "version": version,
        "headers": [[k, v] for k, v in headers],
        "body": body.decode("utf-8", "replace"),
    }


def error(e):
    return {"error": "%s: %s" % (type(e).__name__, e)}


def do_urllib(base, op):
    data = op.get("data")
    req = urllib.request.Request(
        base + op["path"],
        data=data.encode() if data is not None else None,
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
        headers = {}
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


def main():
    spec = json.load(sys.stdin)
    do = {"urllib": do_urllib, "http.client": do_http_client, "keepalive": do_keepalive}
    out = [do[op["lib"]](spec["base"], op) for op in spec["ops"]]
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
