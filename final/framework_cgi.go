package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// cgiDir is the folder whose files are programs to run, never files
	// to send.
	cgiDir = "cgi-bin"
	// cgiPath is the only variable of our own environment a script gets:
	// our environment may hold secrets (tokens, passwords) that are none
	// of a script's business.
	cgiPath = "PATH=/usr/local/bin:/usr/bin:/bin"
	// cgiReadAhead is how much of a script's output we wait for before
	// answering: output that ends within it gets a Content-Length, longer
	// output is streamed in chunks as it comes, never held whole.
	cgiReadAhead = 64 << 10
	// cgiMaxDefault is how many scripts may run at once (-cgi-max): each is
	// a process, or several, and a burst of requests must not become a
	// burst of processes as large.
	cgiMaxDefault = 16
	// cgiQueueWait is how long a request waits for a turn when -cgi-max
	// scripts are running: a burst of quick scripts is served in turns,
	// and only a longer wait is refused.
	cgiQueueWait = time.Second
	// cgiExitGrace is how long a script may run on after its output has
	// ended before we stop waiting to learn how it ended (failed).
	cgiExitGrace = 2 * time.Second
)

// isCGI reports whether a cleaned name is in the CGI folder, by the
// folder's own name: "cgi-bin/x". Any other name that reaches the folder
// ("CGI-BIN/x" where the file system ignores case, a symlink to it) is
// refused by serveFile (notScripts), never run: a script has one URL.
func isCGI(name string) bool {
	first, _, _ := strings.Cut(name, "/")
	return first == cgiDir
}

// cgiSettings are a cgiRunner's settings, fixed before the server starts.
type cgiSettings struct {
	root    *os.Root
	dir     string        // the document root as an absolute path, for the scripts
	timeout time.Duration // how long a script may run
	max     int           // how many scripts may run at once (0: cgiMaxDefault)
	site    handler       // where a local redirect goes (RFC 3875 §6.2.2): the whole site again
}

// cgiRunner runs the programs in the document root's cgi-bin folder as
// CGI/1.1 scripts (RFC 3875), and keeps count of those running.
type cgiRunner struct {
	cgiSettings

	turns   chan struct{} // one token in it per script running: no more than max
	mu      sync.Mutex
	scripts map[*exec.Cmd]bool // the scripts running
}

// newCGIRunner makes a runner with its settings.
func newCGIRunner(s cgiSettings) *cgiRunner {
	if s.max <= 0 {
		s.max = cgiMaxDefault
	}
	return &cgiRunner{cgiSettings: s, turns: make(chan struct{}, s.max)}
}

// serveCGI runs a script under cgi-bin/ and sends what it prints, as
// CGI/1.1 (RFC 3875) says: the request goes in through environment
// variables and stdin, the response comes out of stdout, a header block
// and then the body. A nil runner (CGI turned off) refuses. slash says
// whether the path ended in "/", which PATH_INFO keeps.
func (c *cgiRunner) serveCGI(w *response, req *request, name string, slash bool) {
	if c == nil {
		sendError(w, 403)
		return
	}
	if req.method != "GET" && req.method != "HEAD" && req.method != "POST" {
		sendError(w, 405, "Allow: GET, HEAD, POST")
		return
	}
	if !cgiSupported {
		sendError(w, 501)
		return
	}
	script, pathInfo, status := findScript(c.root, name, slash)
	// PATH_INFO reaches the script decoded (RFC 3875 §4.1.5), so
	// "%0d%0a" in the URL would be a real CR LF in it: a script that
	// echoes it into a header line would let the client add headers of
	// its own (response splitting). §4.1.5 lets us refuse such a value.
	if status == 0 && !isFieldValue(pathInfo) {
		status = 400
	}
	if status != 0 {
		sendError(w, status)
		return
	}
	// From here on we wait for the script, not for the client: an event
	// loop must hand this connection to a goroutine of its own.
	w.conn.blocking()
	if loc := c.run(w, req, script, pathInfo); loc != "" {
		c.localRedirect(w, req, loc)
	}
}

// run starts the script, answers with what it prints, and makes sure that
// it, and whatever it started, is gone when the answer is. It returns the
// path of a local redirect, for serveCGI to follow once the script's turn
// is over.
func (c *cgiRunner) run(w *response, req *request, script, pathInfo string) (redirect string) {
	// Each script is a process, or more: a turn to run one is waited for,
	// briefly, and past that refused: 503 Service Unavailable, with
	// Retry-After (RFC 9110 §15.6.4, §10.2.3): come back in a second.
	if !c.takeTurn() {
		sendError(w, 503, "Retry-After: 1")
		return ""
	}
	defer func() { <-c.turns }() // last: once the script is reaped
	// The script gets a deadline: one that loops or waits for ever would
	// otherwise hold the connection, and a process, for ever.
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.dir, filepath.FromSlash(script)))
	cmd.Dir = filepath.Dir(cmd.Path) // the script's folder (RFC 3875 §7.2)
	cmd.Env = c.env(w.conn, req, script, pathInfo)
	// The body goes to stdin (§4.2). exec feeds it from a goroutine, so a
	// script that never reads it can't block us. Without a body, stdin is
	// /dev/null: no pipe and no goroutine to make, for most requests.
	if len(req.body) > 0 {
		cmd.Stdin = bytes.NewReader(req.body)
	}
	stderr := &prefixWriter{prefix: script + ": "}
	cmd.Stderr = stderr
	defer stderr.flush()
	// On a timeout, kill the script's whole process group: a shell
	// script's children (a sleep, a pipeline) would outlive the shell.
	// WaitDelay: if they still hold its stdout open, stop waiting.
	inOwnGroup(cmd)
	cmd.WaitDelay = time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		sendError(w, 500)
		return ""
	}
	// A process that left the group (setsid) outlives the group kill, and
	// may hold stdout open: we would read, and hold this script's turn,
	// for as long as it lives. At the deadline, stop reading.
	context.AfterFunc(ctx, func() { stdout.Close() })
	if err := cmd.Start(); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			sendError(w, 403)
			return ""
		}
		sendError(w, 500) // not a program: no "#!" line, say
		return ""
	}
	// Whatever happens next, reap the process, and kill anything it left
	// running in its group. Until then the runner knows of it: a script
	// still running when the server exits is killed with its group
	// (killScripts), not left behind in a group of its own, where the
	// Ctrl-C that stops the server never reaches it.
	c.track(cmd, true)
	wait := sync.OnceValue(cmd.Wait)
	defer func() {
		// By now the script has closed its output, and the answer is
		// complete: kill what is left of its group first, then reap it.
		// Waiting first would hold this connection, and the requests
		// pipelined behind it, for a script that runs on after its answer.
		killGroup(cmd)
		wait()
		c.track(cmd, false)
	}()
	kill := func() { killGroup(cmd) }
	return c.relay(w, req, scriptRun{script, ctx, cancel, kill, wait, bufio.NewReaderSize(stdout, maxHead)})
}

// takeTurn waits, cgiQueueWait at most, until fewer than max scripts are
// running, and reports whether this one may run.
func (c *cgiRunner) takeTurn() bool {
	select {
	case c.turns <- struct{}{}:
		return true
	case <-time.After(cgiQueueWait):
		return false
	}
}

// scriptRun is a script running, as relay sees it: its deadline, and its
// output, read through a buffer as big as the longest header block we take
// from a client (ReadSlice needs a whole header line in the buffer).
type scriptRun struct {
	name   string
	ctx    context.Context
	cancel context.CancelFunc // kills it, as its deadline would
	kill   func()             // kills it, deadline or not
	wait   func() error       // waits for it to end, once
	out    *bufio.Reader
}

// failed waits for the script to exit, once its output has ended, and
// reports whether it failed: killed by a signal, or exited with a status
// other than 0. Output that ends in a failure may stop anywhere: a shell
// killed by the kernel for its memory, a Python traceback after half a
// page. A script that runs on, its output closed, for cgiExitGrace meant
// its answer to be whole: it is killed (run would kill it next anyway),
// and has not failed.
func (sc scriptRun) failed() bool {
	late := time.AfterFunc(cgiExitGrace, sc.kill)
	err := sc.wait()
	if !late.Stop() {
		return false
	}
	// ErrWaitDelay: it exited with 0, but a process it started still held
	// its stderr when cmd.WaitDelay ran out. Not the script's failure.
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		return false
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", sc.name, err) // "exit status 1", "signal: killed"
	return true
}

// relay answers with what the script prints: its header block, then its
// body, read ahead up to cgiReadAhead (then sent with a Content-Length) or
// streamed as it comes. It returns the path of a local redirect, if that
// is the answer.
func (c *cgiRunner) relay(w *response, req *request, sc scriptRun) (redirect string) {
	status, contentType, header, err := readCGIHeader(sc.out)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(sc.out, cgiReadAhead))
	}
	// The output has ended, and not a byte has gone out: a script that
	// failed can still be answered 500, never passed off as a whole answer.
	if err == nil && len(body) < cgiReadAhead && sc.failed() {
		err = errors.New("failed")
	}
	if err != nil {
		// Nothing usable came out, or the script failed. Let it finish
		// (reading what it still prints, or it could block on a full
		// pipe), then: too slow is 504 Gateway Timeout; a script that
		// failed is our side's error, 500; one that "succeeded" spoke
		// garbage, an upstream's error, 502 Bad Gateway.
		io.Copy(io.Discard, sc.out)
		exit := sc.wait()
		switch {
		case sc.ctx.Err() != nil:
			sendError(w, 504)
		case exit != nil && !errors.Is(exit, exec.ErrWaitDelay):
			sendError(w, 500)
		default:
			sendError(w, 502)
		}
		return ""
	}
	if sc.ctx.Err() != nil {
		sendError(w, 504) // a header, then nothing in time
		return ""
	}
	// A Location that is a path on this server, alone in the header
	// block, is a local redirect (§6.2.2): the server answers as if the
	// client had asked for that path with a GET, and the client never
	// learns of it.
	if len(header) == 1 && strings.HasPrefix(header[0], "Location: /") &&
		status == 302 && contentType == "" && len(body) == 0 {
		return strings.TrimPrefix(header[0], "Location: ")
	}

	length := int64(len(body))
	if len(body) == cgiReadAhead {
		length = -1 // more to come: chunked
	}
	writeHead(w, status, contentType, length, header...)
	w.Write(body)
	if length < 0 {
		// Cut short, the answer must not end as a whole one does, with the
		// last chunk (RFC 9112 §7.1): the connection closes without it,
		// and the client knows the body is incomplete. So it is when the
		// deadline killed the script, and when the script failed (killed
		// by a signal, or an exit status not 0) after its output began.
		// (An HTTP/1.0 body has no chunks: it ends at the close, cut or
		// not, and its client cannot tell.)
		if _, err := io.Copy(w, sc.out); err != nil || sc.ctx.Err() != nil || sc.failed() {
			w.abort()
			// Or the client has gone, and nobody reads the script's
			// output: it would block on a full pipe, and we in wait(),
			// until the CGI timeout. Kill it now.
			sc.cancel()
		}
	}
	return ""
}

// localRedirect answers as if the client had asked for loc with a GET. A
// script that redirects to itself would do so for ever: a few times are
// plenty.
func (c *cgiRunner) localRedirect(w *response, req *request, loc string) {
	if req.redirects >= maxLocalRedirects || !isTarget(loc) {
		sendError(w, 500)
		return
	}
	next := *req
	next.method, next.target, next.body, next.hasBody = "GET", loc, nil, false
	next.path, next.query, _ = strings.Cut(loc, "?")
	next.redirects++
	c.site.serveHTTP(w, &next)
}

// findScript finds the script a name runs: the first file on its path
// below cgi-bin. What follows is PATH_INFO, extra path for the script to
// use (RFC 3875 §4.1.5): cgi-bin/wiki.sh/Main_Page runs cgi-bin/wiki.sh
// with PATH_INFO=/Main_Page. A final slash is part of it: /Main_Page/,
// or "/" alone for cgi-bin/wiki.sh/.
func findScript(root *os.Root, name string, slash bool) (script, pathInfo string, status int) {
	parts := strings.Split(name, "/")
	for i := 2; i <= len(parts); i++ {
		script = path.Join(parts[:i]...)
		info, err := root.Stat(script)
		switch {
		case err != nil:
			return "", "", 404
		case info.IsDir():
			continue
		case !info.Mode().IsRegular() || info.Mode()&0o111 == 0:
			// A file we may not run is not sent either: 403 Forbidden.
			return "", "", 403
		}
		if i < len(parts) {
			pathInfo = "/" + path.Join(parts[i:]...)
		}
		if slash {
			pathInfo += "/"
		}
		return script, pathInfo, 0
	}
	// cgi-bin itself, or a folder in it: no listing of the programs.
	return "", "", 403
}

// env makes the script's environment: the meta-variables of RFC 3875
// §4.1, a few that servers commonly add, and PATH. Nothing else of ours.
func (c *cgiRunner) env(conn Conn, req *request, script, pathInfo string) []string {
	remoteAddr, remotePort, _ := net.SplitHostPort(conn.RemoteAddr().String())
	serverAddr, serverPort, _ := net.SplitHostPort(conn.LocalAddr().String())
	// SERVER_NAME is the name the client used, from Host without its
	// port; without a Host, our address.
	serverName := serverAddr
	if hosts := req.header["host"]; len(hosts) == 1 && hosts[0] != "" {
		serverName = hosts[0]
		if i := strings.LastIndexByte(serverName, ':'); i > strings.LastIndexByte(serverName, ']') {
			serverName = serverName[:i]
		}
	}
	env := []string{
		cgiPath,
		"GATEWAY_INTERFACE=CGI/1.1",
		"SERVER_SOFTWARE=http-from-scratch",
		"SERVER_NAME=" + serverName,
		"SERVER_PORT=" + serverPort,
		"SERVER_PROTOCOL=" + req.version,
		"REQUEST_METHOD=" + req.method,
		"REQUEST_URI=" + req.target,
		"SCRIPT_NAME=/" + script,
		"SCRIPT_FILENAME=" + filepath.Join(c.dir, filepath.FromSlash(script)),
		"DOCUMENT_ROOT=" + c.dir,
		"PATH_INFO=" + pathInfo,
		"QUERY_STRING=" + req.query, // set even when empty (§4.1.7)
		"REMOTE_ADDR=" + remoteAddr,
		"REMOTE_PORT=" + remotePort,
		"REDIRECT_STATUS=200", // php-cgi refuses to run without it
	}
	// CONTENT_LENGTH is set if and only if there is a body (§4.1.2): a
	// script must read exactly that many bytes, as stdin need not end.
	if req.hasBody {
		env = append(env, "CONTENT_LENGTH="+strconv.Itoa(len(req.body)))
	}
	if ct := req.header["content-type"]; len(ct) > 0 {
		env = append(env, "CONTENT_TYPE="+ct[0])
	}
	// Every other header becomes HTTP_NAME (§4.1.18), "User-Agent" as
	// HTTP_USER_AGENT, except:
	//   - Proxy: HTTP_PROXY is also the variable that tells programs
	//     which proxy to use, so a client could route the script's own
	//     requests through a machine of its choice (httpoxy, CVE-2016-5385);
	//   - names with "_": "X_Forwarded_For" and "X-Forwarded-For" would
	//     both become HTTP_X_FORWARDED_FOR, and the client could pass off
	//     one as the other;
	//   - Transfer-Encoding: the script gets the body decoded;
	//   - Authorization and Proxy-Authorization: passwords, which the
	//     RFC says a server SHOULD keep from scripts (as Apache does
	//     unless told CGIPassAuth On).
	for name, values := range req.header {
		if name == "content-type" || name == "content-length" || name == "proxy" ||
			name == "transfer-encoding" || name == "authorization" || name == "proxy-authorization" ||
			strings.Contains(name, "_") {
			continue
		}
		separator := ", "
		if name == "cookie" {
			separator = "; " // Cookie lines join with "; " (RFC 6265 §5.4)
		}
		env = append(env, "HTTP_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))+"="+strings.Join(values, separator))
	}
	slices.Sort(env)
	return env
}

// maxLocalRedirects bounds how many local redirects (§6.2.2) one request
// may go through.
const maxLocalRedirects = 5

// readCGIHeader reads the header block a script prints before its body
// (RFC 3875 §6): lines of "Name: value" up to a blank line. It returns the
// status to answer with, from a Status field (§6.3.3) or 302 for a
// Location to go to (§6.3.2), or else 200; the Content-Type; and the other
// header lines to pass on. The framing headers are left out: how the body
// is framed is the server's business, and a script's own Content-Length
// could disagree with what it sends.
func readCGIHeader(out *bufio.Reader) (status int, contentType string, header []string, err error) {
	location := false
	for size := 0; ; {
		line, err := out.ReadSlice('\n')
		if size += len(line); err != nil || size > maxHead {
			return 0, "", nil, errors.New("no header block")
		}
		text := strings.TrimRight(string(line), "\r\n")
		if text == "" {
			break
		}
		name, value, ok := parseField(text)
		if !ok {
			return 0, "", nil, errors.New("bad header line")
		}
		switch strings.ToLower(name) {
		case "status":
			// "Status: 404 Not Found": three digits, then the reason.
			code, err := strconv.Atoi(value[:min(3, len(value))])
			if err != nil || code < 200 || code > 599 || len(value) > 3 && value[3] != ' ' {
				return 0, "", nil, errors.New("bad Status")
			}
			status = code
		case "content-type":
			contentType = value
		case "content-length", "transfer-encoding", "connection", "keep-alive", "trailer", "upgrade", "date":
		case "location":
			location = true
			header = append(header, "Location: "+value)
		default:
			header = append(header, name+": "+value)
		}
	}
	switch {
	case status != 0:
	case location:
		status = 302
	case contentType != "":
		status = 200
	default:
		// A script must say something: a type, a place or a status (§6.2).
		return 0, "", nil, errors.New("no Content-Type, Location or Status")
	}
	return status, contentType, header, nil
}

// prefixWriter copies a script's stderr to our stderr, a line at a time,
// each line after the script's name, so the console says who complained.
type prefixWriter struct {
	prefix string
	line   []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.line = append(p.line, b...)
	for {
		i := bytes.IndexByte(p.line, '\n')
		if i < 0 && len(p.line) < maxLine {
			return len(b), nil
		}
		if i < 0 {
			i = len(p.line) - 1 // a very long line: out in pieces
		}
		os.Stderr.Write(append([]byte(p.prefix), p.line[:i+1]...))
		p.line = p.line[i+1:]
	}
}

// flush writes what is left of a last line without a line end.
func (p *prefixWriter) flush() {
	if len(p.line) > 0 {
		p.Write([]byte("\n"))
	}
}

// track adds a running script to the runner's, or removes it.
func (c *cgiRunner) track(cmd *exec.Cmd, running bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.scripts == nil {
		c.scripts = map[*exec.Cmd]bool{}
	}
	if running {
		c.scripts[cmd] = true
	} else {
		delete(c.scripts, cmd)
	}
}

// killScripts kills the CGI scripts still running, with their groups: the
// server is about to exit.
func (c *cgiRunner) killScripts() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for cmd := range c.scripts {
		killGroup(cmd)
	}
}
