"""A broken stage 3 for the grader's self-test: it takes one recv() for a
whole request, the mistake the fragments script is there to catch."""

import stage3_headers

stage3_headers.read_head = lambda conn: conn.recv(65536)
stage3_headers.main()
