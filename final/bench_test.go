package main

// BenchmarkVsNetHTTP measures final, in each serving mode, side by side
// with Go's own net/http and with nginx (when it is installed), on the
// same files, with the same client: see "How fast" in README.md.
//
//	go test ./final -run '^$' -bench VsNetHTTP -benchtime 1x
//
// It reports requests per second, CPU time per request and memory per
// idle connection for each server, and their ratios to nginx and to
// net/http, ends with a table of them all, and never passes or fails: a
// timing assertion would fail on a busy laptop.

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	vsTime      = flag.Duration("vs.time", time.Second, "BenchmarkVsNetHTTP: how long each round drives one server")
	vsRounds    = flag.Int("vs.rounds", 3, "BenchmarkVsNetHTTP: rounds per case, the servers taking turns; the median counts")
	vsConns     = flag.Int("vs.conns", 32, "BenchmarkVsNetHTTP: concurrent keep-alive connections")
	vsIdle      = flag.Int("vs.idle", 2000, "BenchmarkVsNetHTTP: idle connections for the memory measure")
	vsMany      = flag.Int("vs.many", 10000, "BenchmarkVsNetHTTP: idle connections held open while another client is served (0: skip that case)")
	vsInProcess = flag.Bool("vs.inprocess", false, "BenchmarkVsNetHTTP: run the servers inside the test process, so -cpuprofile sees them")
)

// benchCase is one kind of request, sent again and again.
type benchCase struct {
	name   string
	target string
	header string // extra header lines, each ending in "\r\n"
	status int    // the status both servers must answer
}

// modTime is the time of every file of the benchmark's site: a 304 needs a
// date to send in If-Modified-Since.
var modTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var benchCases = []benchCase{
	{"1KiB", "/1k.txt", "", 200},
	{"1MiB", "/1m.txt", "", 200},
	{"listing100", "/dir100/", "", 200},
	{"304", "/1k.txt", "If-Modified-Since: " + modTime.Format(timeFormat) + "\r\n", 304},
	// A client that takes gzip: final sends the copy it keeps, net/http
	// the file as it is (it compresses nothing).
	{"1KiB-gzip", "/1k.txt", "Accept-Encoding: gzip\r\n", 200},
	{"cgi", "/cgi-bin/hello.sh", "", 200},
}

// serverUnderTest is one contestant: a name for the results, and how to
// start it on a document root. To add one (another serving mode, say),
// add a line to contenders.
type serverUnderTest struct {
	name  string
	start func(b *testing.B, root string) running
	// conns, when not 0, is how many connections drive this server at
	// once, instead of -vs.conns: 1 for a server that serves one
	// connection at a time, where more would only wait in line.
	conns int
	noCGI bool // it runs no CGI scripts: the cgi case leaves it out
}

// running is a started server: where it listens, how much memory it holds
// now, in bytes, and, for a server in a process of its own, how much CPU
// time it has used so far (nil otherwise).
type running struct {
	name   string
	conns  int  // as in serverUnderTest
	noCGI  bool // as in serverUnderTest
	addr   string
	memory func() uint64
	cpu    func() time.Duration
}

// baselines are the servers the others are divided by, when they run:
// nginx, the server a user would pick, and Go's own.
var baselines = []string{"nginx", "nethttp"}

// contenders are the servers every case is run against.
func contenders(b *testing.B) []serverUnderTest {
	servers := []serverUnderTest{
		{name: "nethttp", start: startNetHTTPProcess},
		{name: "final", start: startFinalProcess()},
		{name: "final-eventloop", start: startFinalProcess("-serve", "eventloop")},
		{name: "final-poll", start: startFinalProcess("-serve", "poll")},
		{name: "final-sequential", start: startFinalProcess("-serve", "sequential"), conns: 1},
	}
	if *vsInProcess {
		servers = []serverUnderTest{
			{name: "nethttp", start: startNetHTTPHere},
			{name: "final", start: startFinalHere("goroutines")},
		}
		if loopsSupported {
			servers = append(servers,
				serverUnderTest{name: "final-eventloop", start: startFinalHere("eventloop")},
				serverUnderTest{name: "final-poll", start: startFinalHere("poll")})
		}
	}
	// nginx is always a process of its own: it is not written in Go.
	if bin, err := nginxPath(); err == nil {
		servers = append(servers, serverUnderTest{name: "nginx", start: startNginx(bin), noCGI: true})
	} else {
		b.Log("nginx is not installed (apt-get install nginx): the servers run without it")
	}
	return servers
}

func BenchmarkVsNetHTTP(b *testing.B) {
	if runtime.GOOS == "windows" {
		b.Skip("the CGI script needs a Unix shell")
	}
	root := benchSite(b)
	var servers []running
	for _, s := range contenders(b) {
		r := s.start(b, root)
		r.name, r.conns, r.noCGI = s.name, s.conns, s.noCGI
		servers = append(servers, r)
	}
	t := &resultTable{}
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			servers := servers
			if c.name == "cgi" {
				// nginx has no CGI (its FastCGI speaks to a server of
				// scripts that stays up, another protocol): nothing to
				// compare with.
				servers = slices.DeleteFunc(slices.Clone(servers), func(s running) bool { return s.noCGI })
				b.Log("the servers without CGI (nginx) sit this case out")
			}
			req := []byte("GET " + c.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\nAccept: */*\r\n" + c.header + "\r\n")
			for _, s := range servers {
				drive(b, s, req, c.status, *vsTime/5) // warm up: caches, goroutine stacks
			}
			// The servers take turns, A B A B A B, so that a change in the
			// machine's speed during the run (another program, the CPU
			// heating up) hits all alike.
			rates := make([][]float64, len(servers))
			cpus := make([][]float64, len(servers))
			for range *vsRounds {
				for i, s := range servers {
					rate, cpu := drive(b, s, req, c.status, *vsTime)
					rates[i] = append(rates[i], rate)
					cpus[i] = append(cpus[i], cpu)
				}
			}
			t.add(c.name, "req/s", report(b, servers, rates, "-req/s"))
			t.add(c.name, "CPU µs/req", report(b, servers, cpus, "-cpu-us/req"))
		})
	}
	b.Run("idle-conn-memory", func(b *testing.B) {
		req := []byte("GET /1k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		// A server of one connection at a time never holds idle ones.
		many := slices.DeleteFunc(slices.Clone(servers), func(s running) bool { return s.conns == 1 })
		perConn := make([][]float64, len(many))
		for i, s := range many {
			perConn[i] = append(perConn[i], idleMemory(b, s, req, *vsIdle))
		}
		t.add(fmt.Sprintf("idle (%d)", *vsIdle), "B/conn", report(b, many, perConn, "-B/conn"))
	})
	b.Run(fmt.Sprintf("idle%d-busy1", *vsMany), func(b *testing.B) {
		if *vsMany == 0 {
			b.Skip("-vs.many 0")
		}
		busyWithIdle(b, servers, t)
	})
	t.print(servers)
}

// report reports the median of each server's results, and, for requests
// per second, how each compares with the baselines, and returns the
// medians by server.
func report(b *testing.B, servers []running, results [][]float64, unit string) map[string]float64 {
	medians := map[string]float64{}
	for i, s := range servers {
		if len(results[i]) > 0 && (unit != "-cpu-us/req" || s.cpu != nil) {
			medians[s.name] = median(results[i])
			b.ReportMetric(medians[s.name], s.name+unit)
		}
	}
	for _, s := range servers {
		for _, base := range baselines {
			if m, ok := medians[base]; ok && s.name != base && unit == "-req/s" {
				b.ReportMetric(medians[s.name]/m, s.name+"/"+base)
			}
		}
	}
	b.ReportMetric(0, "ns/op") // the time of the whole run means nothing here
	return medians
}

func median(xs []float64) float64 {
	xs = slices.Sorted(slices.Values(xs))
	return xs[len(xs)/2]
}

// benchSite makes the document root both servers serve.
func benchSite(b *testing.B) string {
	root := b.TempDir()
	files := map[string]string{
		"1k.txt":           strings.Repeat("0123456789abcdef", 1<<10/16),
		"1m.txt":           strings.Repeat("0123456789abcdef", 1<<20/16),
		"cgi-bin/hello.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nhello\\n'\n",
	}
	for i := range 100 {
		files[fmt.Sprintf("dir100/file-%03d.txt", i)] = strings.Repeat("x", i)
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.Chtimes(p, modTime, modTime); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

// netHTTPHandler is net/http's answer to final: a FileServer, and the
// benchmark's CGI script run by net/http/cgi.
func netHTTPHandler(root string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(root)))
	mux.Handle("/cgi-bin/hello.sh", &cgi.Handler{Path: filepath.Join(root, "cgi-bin", "hello.sh"), Root: "/cgi-bin/hello.sh"})
	return mux
}

// The servers in processes of their own (the default): final's real
// binary, and net/http in this test binary started again. Each has its
// own Go runtime, as it would in real life, apart from the load
// generator's.

// startFinalProcess builds final and starts it with args, logging to a
// file as a real server would.
func startFinalProcess(args ...string) func(b *testing.B, root string) running {
	return func(b *testing.B, root string) running {
		bin := filepath.Join(b.TempDir(), "final")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
		args = append([]string{"-dir", root, "-idle-timeout", "1m"}, args...)
		return startProcess(b, exec.Command(bin, append(args, "0")...))
	}
}

// startNetHTTPProcess starts this test binary again, as TestNetHTTPHelper.
func startNetHTTPProcess(b *testing.B, root string) running {
	cmd := exec.Command(os.Args[0], "-test.run=^TestNetHTTPHelper$")
	cmd.Env = append(os.Environ(), "BENCH_NETHTTP_ROOT="+root)
	return startProcess(b, cmd)
}

// TestNetHTTPHelper is not a test: it is net/http's server, when
// BenchmarkVsNetHTTP starts this binary as a process of its own.
func TestNetHTTPHelper(t *testing.T) {
	root := os.Getenv("BENCH_NETHTTP_ROOT")
	if root == "" {
		t.Skip("the net/http server of BenchmarkVsNetHTTP")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("Serving HTTP on 127.0.0.1 port %d\n", ln.Addr().(*net.TCPAddr).Port)
	t.Fatal(http.Serve(ln, netHTTPHandler(root)))
}

var readyLine = regexp.MustCompile(`Serving HTTP on \S+ port (\d+)`)

// startProcess starts a server, its output going to a file, and waits for
// the line that says which port it listens on.
func startProcess(b *testing.B, cmd *exec.Cmd) running {
	out, err := os.Create(filepath.Join(b.TempDir(), "log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		log, _ := os.ReadFile(out.Name())
		if m := readyLine.FindSubmatch(log); m != nil {
			pid := cmd.Process.Pid
			return running{
				addr:   "127.0.0.1:" + string(m[1]),
				memory: func() uint64 { return rss(pid) },
				cpu:    func() time.Duration { return cpuTime(pid) },
			}
		}
	}
	b.Fatalf("%s: no ready line in 10s", cmd.Path)
	return running{}
}

// rss is the memory a process has in RAM, from /proc (Linux only: 0
// elsewhere).
func rss(pid int) uint64 {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for line := range strings.Lines(string(status)) {
		if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

// cpuTime is the CPU time a process and its children (CGI scripts) have
// used, from /proc (Linux only: 0 elsewhere). A server's CPU time per
// request says how hard it works for each, even on a machine that is busy
// with other things, when requests per second say little.
func cpuTime(pid int) time.Duration {
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	// After the command's name, in parentheses, come the fields from the
	// third on; utime, stime, cutime and cstime are the 14th to the 17th,
	// in clock ticks of 1/100 s (USER_HZ, on every Linux that matters).
	_, rest, _ := strings.Cut(string(stat), ") ")
	fields := strings.Fields(rest)
	var ticks int64
	for _, f := range fields[min(11, len(fields)):min(15, len(fields))] {
		n, _ := strconv.ParseInt(f, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// The servers inside the test process (-vs.inprocess): they share the Go
// runtime, and the two CPUs, with the load generator, but a CPU profile
// of the test shows where their time goes.

// startFinalHere starts final as main does, on a port of its own, serving
// in mode (see serveModes).
func startFinalHere(mode string) func(b *testing.B, root string) running {
	return func(b *testing.B, root string) running {
		logTo(b, "final-"+mode+".log")
		s, _, err := newServer(config{dir: root, cgi: true, cgiTimeout: 10 * time.Second, idleTimeout: time.Minute,
			headTimeout: 10 * time.Second, bodyTimeout: 30 * time.Second, sendTimeout: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		ln := listen(b)
		go serveModes[mode](s, ln)
		b.Cleanup(func() { s.shutdown(ln) })
		return running{addr: ln.Addr().String(), memory: heapAndStacks}
	}
}

// startNetHTTPHere starts net/http's server on a port of its own.
func startNetHTTPHere(b *testing.B, root string) running {
	srv := &http.Server{Handler: netHTTPHandler(root)}
	ln := listen(b)
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return running{addr: ln.Addr().String(), memory: heapAndStacks}
}

func listen(b *testing.B) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return ln
}

// logTo sends final's access log, which goes to os.Stdout, to a file for
// the length of the benchmark: a real server logs, but the benchmark's
// output is for its results.
func logTo(b *testing.B, name string) {
	f, err := os.Create(filepath.Join(b.TempDir(), name))
	if err != nil {
		b.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = f
	b.Cleanup(func() {
		os.Stdout = stdout
		f.Close()
	})
}

// heapAndStacks is the memory this process's Go runtime holds in use,
// after a garbage collection.
func heapAndStacks() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
