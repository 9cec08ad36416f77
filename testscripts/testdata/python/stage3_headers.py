"""Stage 3 of the workbook, in Python: a real HTTP/1.1 response.

The grader's proof that `workbook grade STAGE -cmd '...'` grades a server
in any language, and a model for a Python student. Same command line as the
Go stages: python3 stage3_headers.py [-bind ADDR] [PORT]
"""

import argparse
import signal
import socket
import sys
import time

MAX_HEAD = 32 * 1024  # a head longer than this is a bug or an attack
TIMEOUT = 10  # seconds a client may take to send its head

PAGE = b"""<!DOCTYPE html>
<html>
<head><title>Hello</title></head>
<body>
<h1>Hello, web!</h1>
<p>This page came from a Python program, written byte by byte to a TCP socket.</p>
</body>
</html>
"""


def read_head(conn):
    """Read up to the blank line that ends the head, however the bytes
    arrive: TCP is a stream, and one recv() is not one request."""
    head = b""
    while b"\r\n\r\n" not in head and b"\n\n" not in head:
        chunk = conn.recv(4096)
        if not chunk or len(head) > MAX_HEAD:
            return None
        head += chunk
    return head


def http_date():
    """IMF-fixdate, always GMT (RFC 9110 section 5.6.7)."""
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())


def response_ok(body):
    head = (
        "HTTP/1.1 200 OK\r\n"
        f"Date: {http_date()}\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"  # bytes, not characters
        "Connection: close\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


def handle(conn):
    conn.settimeout(TIMEOUT)
    try:
        head = read_head(conn)
    except (socket.timeout, OSError):
        return
    if head is None:
        return
    print(head.decode("latin-1").split("\r\n\r\n")[0] + "\r\n", flush=True)
    conn.sendall(response_ok(PAGE))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-bind", default="127.0.0.1")
    parser.add_argument("port", nargs="?", type=int, default=8000)
    args = parser.parse_args()
    # Ctrl-C and SIGTERM end the server with status 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as ln:
        ln.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ln.bind((args.bind, args.port))
        ln.listen()
        port = ln.getsockname()[1]
        host = f"[{args.bind}]" if family == socket.AF_INET6 else args.bind
        print(f"Serving HTTP on {args.bind} port {port} (http://{host}:{port}/) ...", flush=True)
        try:
            while True:
                conn, _ = ln.accept()
                with conn:
                    handle(conn)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
