// Package testscripts is the workbook's grader. It has no code of its own
// outside the tests: `go test ./...` at the workbook root builds every stage
// and runs its scripts.
//
// # Running it
//
//	go test ./...                                  grade everything (a table at the end)
//	go test ./testscripts -run TestStages/stage4_404         one stage
//	go test ./testscripts -run TestStages/stage4_404/not_found -v   one script, with its log
//	go test ./testscripts -run TestHarness                   the grader's self-test
//
// TestMain finds the stages (every top-level folder stageN_name, then final,
// with a go.mod), builds each with `go build` in its folder, two at a time,
// and reads their .go files so that go test's cache notices an edit. A stage
// that does not compile fails its own tests only, with the compiler's
// message. After the run a table gives one row per stage: scripts run and
// the result. go test hides a passing package's output, so when everything
// passed the table is also written to the terminal (/dev/tty) if there is
// one. (A cached result replays nothing to the terminal: add -count=1 to see
// the table again.)
//
// To grade a copy of a stage kept elsewhere, name it in WORKBOOK_GRADE:
//
//	WORKBOOK_GRADE=stage4_404=/path/to/my/copy go test ./...
//	WORKBOOK_GRADE=stage4_404=~/copy4,stage5_files=../copy5 go test ./...
//
// The folder replaces the stage's own for the build (a relative path is
// taken from the workbook root; a folder outside the workspace is built with
// GOWORK=off, as its own module); the scripts stay the workbook's.
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
// got, a printf|nc or curl command to try by hand, the bytes sent and
// received (Go %q, long bodies cut), expected against got, a hint, the
// server's console when it helps, the script and the random seed.
//
// # Servers
//
//	serve [NAME=VALUE...] [ARGS...]
//
// Starts the stage as `STAGE -bind 127.0.0.1 ARGS... 0` in the work
// directory and waits (up to 30 s) for its "Serving HTTP on 127.0.0.1 port
// N (http://127.0.0.1:N/) ..." line on stdout. Sets PORT (N), HOSTPORT
// (127.0.0.1:N) and URL (http://127.0.0.1:N). Stages 5 and up need
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
// # Serving modes
//
// final's scripts run once per serving mode: TestStages/final (the
// default, goroutines), final-eventloop and final-sequential, each started
// with -serve MODE. The conditions [goroutines], [eventloop] and
// [sequential] say which mode a script runs against:
//
//	[sequential] skip 'needs two clients served at once'
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
//	expect closed                 the server closed the connection cleanly (send only)
//	expect silent                 no bytes came back at all
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
//	hint TEXT
//
// From here on, a failure of this script also prints "hint: TEXT", before
// the grader's own hints: what this script's check is about, which the
// grader's general hint cannot know.
//
//	mkfile [-size N[KiB|MiB]] PATH [CONTENT]
//
// Writes a file (and its folders) under the work directory: CONTENT
// (escapes as above, empty if missing), or N bytes of pseudo-random binary
// data from the script's seed.
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
// file must fail, and its output must contain every line of that file.
package testscripts
