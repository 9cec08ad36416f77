// Package testscripts is the workbook's grader: the scripts in testdata,
// the harness that runs them against a server over real sockets, and two
// ways in. `go test ./...` at the workbook root grades the workbook's own
// answers; the workbook command (testscripts/workbook) grades a student's.
//
// # Running it
//
//	go test ./...                                  grade everything (a table at the end)
//	go test ./testscripts -run TestStages/stage4_404         one stage
//	go test ./testscripts -run TestStages/stage4_404/not_found -v   one script, with its log
//	go test ./testscripts -run TestStages/final/01           one chapter of final
//	go test ./testscripts -run 'TestHarness|TestWorkbook'    the grader's self-test
//
//	go run ./testscripts/workbook start stage4_404 ~/my/stage4_404 [-from ~/my/stage3_headers]
//	go run ./testscripts/workbook grade stage4_404 ~/my/stage4_404
//	go run ./testscripts/workbook grade stage3_headers ~/my -cmd 'python3 server.py {port}'
//	go run ./testscripts/workbook grade all ~/my -json results.json
//
// What is graded (grader.go): a program (a Go folder, built with go build,
// or a -cmd command line) against a suite (a folder of scripts; one row of
// the summary table). testdata/<stage>/*.txtar are a stage's scripts;
// testdata/<stage>/<name>/ is a chapter of that stage (final's chapters,
// graded against the stage's program) or, when the reference has a folder
// <stage>/<name> of its own, an exercise (stage 1's echo, yell and sum,
// graded against that program). final's scripts also run once per extra
// serving mode (final-eventloop, ...).
//
// TestMain builds every reference program, two at a time, and reads their
// .go files so that go test's cache notices an edit. A program that does
// not compile fails its own suites only, with the compiler's message.
// After the run a table gives one row per suite. go test hides a passing
// package's output, so when everything passed the table is also written
// to the terminal (/dev/tty, CONOUT$ on Windows) if there is one; the
// workbook command always ends with it, on any output. (A cached go test
// result replays nothing to the terminal: add -count=1 to see it again.)
//
// WORKBOOK_GRADE still grades a copy with go test, in place of a stage:
//
//	WORKBOOK_GRADE=stage4_404=/path/to/my/copy go test ./testscripts
//
// (a relative path is taken from the workbook root; a folder outside the
// workspace is built with GOWORK=off, as its own module).
//
// # Scripts
//
// testdata/<stage>/*.txtar are testscript files (see
// github.com/rogpeppe/go-internal/testscript), one behaviour per file. Each
// script starts with STAGE (the stage's name), ROOT (the workbook root) and
// WEB ($ROOT/web, the sample site) set, and runs in a fresh work directory.
// Besides the builtin commands (exec, stdout, cmp, exists, ...) scripts have
// the commands below. Arguments in single quotes are not expanded: write
// 'GET /'$NAME'.html HTTP/1.1\r\n' to put a variable inside a request.
//
// Byte arguments (send's pieces, the TEXT of expect and mkfile, -data) take
// these escapes and no others: \r \n \t \\ \0 and \xNN (one byte, in hex).
//
// Every failure prints a transcript: the request and what it should have
// got (control bytes quoted, never printed raw); "try it", the commands
// that start the graded server by hand on port 8000 (the student's own,
// with a copy of any folder the script made, which outlives the run) and
// send the request (curl where curl sends the same request, printf | nc
// otherwise); the bytes sent and received (Go %q, long bodies cut);
// expected against got; hints, the one that names the likely mistake
// first; the server's console when it helps; the script and the seed.
//
// # Servers
//
//	serve [NAME=VALUE...] [ARGS...]
//
// Starts the program as `PROGRAM -bind 127.0.0.1 ARGS... 0` (no -bind of
// its own when ARGS has one) and waits (up to 30 s) for its "Serving HTTP
// on 127.0.0.1 port N (http://127.0.0.1:N/) ..." line on stdout (stage 1's
// exercises: "Serving TCP on 127.0.0.1 port N ..."). A first line of
// another form, or the line on stderr, fails after a second. Sets PORT
// (N), HOSTPORT (127.0.0.1:N, or [::1]:N) and URL (http://HOSTPORT). A Go
// program runs in the work directory; a -cmd command runs in its own
// folder, and a relative -dir is made absolute for it. Stages 5 and up need
// `serve -dir $WEB` (or a folder the script made). The server is killed when
// the script ends. One server at a time per script. Leading NAME=VALUE
// words are added to the server's environment, as in a shell (the server
// does not see variables set with the builtin env).
//
//	! serve ARGS...
//
// The stage must exit with a non-zero status within 10 s, without ever
// printing the ready line. Its stdout and stderr then go to the builtin
// stdout and stderr commands; check the status with exitcode.
//
//	stop-server
//
// Sends Ctrl-C (SIGINT) and requires exit status 0 within 5 s. The server's
// whole stdout and stderr then go to the builtin stdout and stderr
// commands. (On Windows, which has no SIGINT, it kills the server and checks
// nothing.) The name is not "stop": that is a builtin.
//
//	exitcode N
//
// The last server (stopped, or refused by ! serve) exited with status N.
//
//	console [-count N] REGEXP
//	! console REGEXP
//
// The server's console (stdout and stderr so far) matches the Go regexp, in
// multi-line mode (^ and $ match at line ends); with -count, exactly N
// times. A server may log a request just after closing its connection, so
// console waits up to 2 s for a match; ! console fails if a match appears
// within 200 ms.
//
// # Requests
//
//	send [-keep | -lines N] [-pause DUR] [-timeout DUR] PIECE [PIECE...]
//
// Opens a new TCP connection to HOSTPORT and writes each PIECE as a
// separate write (TCP_NODELAY, -pause between pieces, default 50ms): a
// request in fragments. Then reads until the server closes the connection
// or -timeout (default 5s) passes. With -keep it does not wait for the
// close: it stops after one complete response, framed by Content-Length
// (or chunked encoding; a HEAD, 1xx, 204 or 304 response ends with its
// head). With -lines N it stops once N lines (LF-terminated) have come
// back: for stage 1's exercises, which speak in lines, not HTTP. The
// response bytes go to stdout, so `stdout` and `cmp stdout FILE`
// work too, like nc (cut after 16 KiB, so that a failing script's log stays
// readable: check big bodies with expect body-file).
//
//	hold [PIECE...]
//
// Opens a connection to HOSTPORT, writes the pieces, and leaves it open,
// reading nothing, until the script ends: a client that takes its time,
// while the next commands are other clients.
//
//	client [-method M] [-data TEXT] [-header 'K: V']... PATH
//
// A request with Go's net/http client to URL+PATH: a new transport, no
// keep-alive, 10 s timeout, redirects not followed (a 301 is checked, not
// chased). A client error (a malformed response, EOF) fails at once. The
// body goes to stdout, like curl (cut after 16 KiB, as for send). The expect commands check the response
// (the body as the client decoded it).
//
// # Conditions
//
// final's scripts run once per serving mode: final's rows (the default,
// goroutines), then final-eventloop, final-poll and final-sequential, each
// started with -serve MODE. The conditions [goroutines], [eventloop],
// [poll] and [sequential] say which mode a script runs against:
//
//	[sequential] skip 'needs two clients served at once'
//
// [ipv6] holds where the machine can listen on ::1; [symlinks] where a
// script can make symbolic links (not on Windows, where that needs a
// privilege).
//
// # Checks on the last send or client
//
//	expect status CODE            status line is exactly "HTTP/1.1 CODE reason\r\n"
//	expect header NAME VALUE      a NAME header (any case) with exactly VALUE
//	expect header-match NAME RE   a NAME header whose value matches RE
//	expect no-header NAME         no NAME header
//	expect body TEXT              the body is exactly TEXT
//	expect body-contains TEXT     the body contains TEXT
//	expect body-lacks TEXT        the body does not contain TEXT
//	expect body-match RE          the body matches RE (multi-line mode)
//	expect body-file FILE         the body is exactly the bytes of FILE
//	expect raw TEXT               the whole response is exactly TEXT
//	expect wellformed             strict HTTP/1.1 framing (below)
//	expect closed                 the server closed the connection cleanly (send only): no
//	                              reset, also none while the request was still being written
//	expect silent                 no bytes came back at all
//	expect whole-request          the answer began only once the first request had fully
//	                              arrived (send with pieces): not after one Read
//
// expect wellformed checks the head byte by byte: the status line
// `HTTP/1.1 SP 3DIGIT SP reason CRLF`; each header line `name: value CRLF`
// with a token name and no space before the colon; CRLF everywhere (a bare
// LF gets a caret); the blank line. Then: Date present, in IMF-fixdate
// (Mon, 02 Jan 2006 15:04:05 GMT) and within a minute of now; Content-Type
// present; Content-Length present once, digits only, equal to the body
// bytes that arrived (no body for HEAD, 204, 304); Connection: close
// (except after send -keep).
//
//	expect responses N            exactly N responses came back (a 1xx counts), and nothing after
//	expect header-set 'NAMES'     exactly these headers, each once, in any order
//
// expect -response K WHAT ARGS... checks the Kth response of the last send
// (1 for the first), for several requests on one connection: responses are
// framed as a client frames them (a HEAD's, 1xx's, 204's or 304's ends with
// its head; a chunked body with its last chunk; any other after
// Content-Length bytes).
//
// expect takes no !: use no-header or body-lacks.
//
// # Helpers
//
//	random [-decimal] NAME [LEN]
//
// Sets NAME to LEN (default 8) random lowercase hex digits, so that a path
// or a body cannot be hard-coded. With -decimal, NAME is a number of LEN
// decimal digits, the first not 0: for a server that computes (stage 1's
// sum exercise), or one that changes letters but not digits. Each script
// has its own seed, from the clock, or from GRADER_SEED when set; the seed
// is in every transcript, so GRADER_SEED=12345 go test ... replays a
// failure exactly.
//
//	keep-header NAME VAR [REGEXP]
//
// Sets VAR to the value of the NAME header of the last send or client (the
// first, if it came twice), to send it back: an ETag in If-None-Match, a
// Last-Modified in If-Range. With REGEXP, VAR is the part of the value in
// its first group: keep-header Content-Type B 'boundary=(\S+)'. A response
// without the header, or whose value does not match, fails, with the
// transcript.
//
//	hint [TEXT]
//
// From here on, a failure of this script also prints "hint: TEXT", before
// the grader's own hints: what this script's check is about, which the
// grader's general hint cannot know. hint without TEXT ends the script's
// hints so far, before checks that are about something else.
//
//	mkfile [-size N[KiB|MiB]] [-age DUR] PATH [CONTENT]
//
// Writes a file (and its folders) under the work directory: CONTENT
// (escapes as above, empty if missing), or N bytes of pseudo-random binary
// data from the script's seed. With -age (a Go duration, 1h), the file's
// modification time is that long ago: older than a file written after it,
// whatever the file system's clock resolution.
//
// # Example
//
//	# A path with no file behind it answers 404.
//	serve -dir $WEB
//	random NAME 4
//	send 'GET /nope-'$NAME'.html HTTP/1.1\r\nHost: localhost\r\n\r\n'
//	expect status 404
//	expect wellformed
//	expect closed
//	expect body-contains '<h1>404 Not Found</h1>'
//	console '"GET /nope-[0-9a-f]{4}\.html HTTP/1\.1" 404 -$'
//	stop-server
//
// # The self-test
//
// TestHarness runs testdata/selftest/*.txtar against fake servers, good and
// broken, in-process (the `fake MODE` command, self-test only) or as this
// test binary started as a stage. A self-test script with a want-failure
// file must fail, and its output must contain every line of that file; one
// with a stage file (stage4_404, say) is graded as that stage, for the
// functions its hints name. `fake raw` answers each request with the
// bytes of the file its X-Raw header names, for a self-test that needs a
// response of its own.
package testscripts
