package main

// nginx in BenchmarkVsNetHTTP: the server a user would pick instead of
// final or net/http, started with a configuration written for the run,
// with final's settings where nginx has the same ones.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// nginxPath finds nginx: on the PATH, or where Debian puts it (/usr/sbin,
// which is on root's PATH only).
func nginxPath() (string, error) {
	if bin, err := exec.LookPath("nginx"); err == nil {
		return bin, nil
	}
	return exec.LookPath("/usr/sbin/nginx")
}

// nginxConf is nginx's configuration, with final's settings:
//
//   - one worker process, and no master: master_process off makes the one
//     process that nginx starts serve, so /proc shows its CPU time and
//     memory, as for the others (a master would only watch its worker);
//   - sendfile on, and no open_file_cache (final keeps no file open
//     between requests either);
//   - keep-alive for a minute (final's -idle-timeout 1m), and for any
//     number of requests (nginx closes after 1,000 by default; final and
//     net/http never do);
//   - the access log to a file, a line per request, written as it
//     happens (no buffer=), in the format of final's, Python's;
//   - listings (autoindex, with sizes and dates, as final's);
//   - heads up to 64 KB (final takes 32 KB: nginx's limit is per line);
//   - room for every connection of the run (worker_connections) and the
//     descriptors for them (worker_rlimit_nofile raises the soft limit,
//     as final's event loop does, within the hard one).
//
// The five temporary folders are nginx's for request bodies and proxies,
// which it makes at start, even unused.
const nginxConf = `daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile %[4]d;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections %[4]d; }
http {
	types { text/plain txt; text/html html; }
	default_type application/octet-stream;
	charset utf-8;
	log_format python '$remote_addr - - [$time_local] "$request" $status -';
	access_log %[1]s/access.log python;
	sendfile on;
	keepalive_timeout 60s;
	keepalive_requests 1000000000;
	large_client_header_buffers 4 64k;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen 127.0.0.1:%[3]d;
		root %[2]s;
		autoindex on;
	}
}
`

// startNginx starts nginx on root, on a port found free.
func startNginx(bin string) func(b *testing.B, root string) running {
	return func(b *testing.B, root string) running {
		dir := b.TempDir()
		ln := listen(b)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		conns := max(*vsIdle, *vsMany) + 1024
		conf := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, root, port, conns), 0o644); err != nil {
			b.Fatal(err)
		}
		// -e: the error log before the configuration is read, which is
		// /var/log/nginx/error.log otherwise, and not everyone's to write.
		cmd := exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if conn, err := net.Dial("tcp", addr); err == nil {
				conn.Close()
				pid := cmd.Process.Pid
				return running{
					addr:   addr,
					memory: func() uint64 { return rss(pid) },
					cpu:    func() time.Duration { return cpuTime(pid) },
				}
			}
		}
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		b.Fatalf("nginx: not listening on %s after 10 s\n%s", addr, log)
		return running{}
	}
}
