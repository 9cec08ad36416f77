package main

// BenchmarkSlowHead measures what a request head that arrives a byte at a
// time costs each server, in CPU time: the servers and their processes are
// BenchmarkVsNetHTTP's (bench_test.go).
//
//	go test ./final -run '^$' -bench SlowHead -benchtime 1x
//
// A server that looks at the whole head again on every read pays for a
// head of n bytes n times over: n²/2 bytes looked at. One that remembers
// where its last look stopped pays for each byte once, whatever the size
// of the head. It reports, never fails.

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// slowHeads are two heads of 32 KB, just under final's limit: 8,000 short
// lines, and one long line.
var slowHeads = []struct{ name, head string }{
	{"8000-lines", "GET /1k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n" + strings.Repeat("a:\r\n", 8000) + "\r\n"},
	{"one-line", "GET /1k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + strings.Repeat("a", 32000) + "\r\n\r\n"},
}

func BenchmarkSlowHead(b *testing.B) {
	root := benchSite(b)
	var servers []running
	for _, s := range contenders(b) {
		r := s.start(b, root)
		r.name = s.name
		servers = append(servers, r)
	}
	if servers[0].cpu == nil {
		b.Skip("the CPU time of a server needs a process of its own (no -vs.inprocess)")
	}
	for _, h := range slowHeads {
		b.Run(h.name, func(b *testing.B) {
			cpus := make([][]float64, len(servers))
			for range *vsRounds {
				for i, s := range servers {
					cpus[i] = append(cpus[i], sendSlowly(b, s, h.head))
				}
			}
			report(b, servers, cpus, "-cpu-ms/head")
		})
	}
}

// sendSlowly sends head to s a byte at a time, each byte a write of its
// own after a pause, so that each arrives, and is read, on its own. It
// returns the CPU time s spent, in milliseconds, until its answer (a 200)
// was read.
func sendSlowly(b *testing.B, s running, head string) float64 {
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	before := s.cpu()
	for i := range len(head) - 1 {
		if _, err := conn.Write([]byte{head[i]}); err != nil {
			b.Fatalf("%s: %v", s.name, err)
		}
		time.Sleep(time.Microsecond) // the shortest pause there is: tens of µs
	}
	c := &client{conn: conn, r: bufio.NewReader(conn)}
	want := 200
	if s.name == "nginx" {
		want = 0 // it refuses the 8,000 lines with a 400, once all have come
	}
	if err := c.roundTrip([]byte(head[len(head)-1:]), want); err != nil {
		b.Fatalf("%s: %v", s.name, err)
	}
	return float64((s.cpu() - before).Microseconds()) / 1000
}

// BenchmarkHeadByteByByte feeds heads of short lines, of 4 to 32 KB, to
// nextRequest a byte at a time, as BenchmarkSlowHead's servers get them,
// without the network: the cost of reading a head, alone. It reports the
// time per byte of head, which stays the same at every size when the cost
// is linear in the bytes received, and grows with the head when it is not.
//
//	go test ./final -run '^$' -bench HeadByteByByte
func BenchmarkHeadByteByByte(b *testing.B) {
	for _, kb := range []int{4, 8, 16, 32} {
		lines := (kb<<10 - 64) / 4
		head := "GET /1k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n" + strings.Repeat("a:\r\n", lines) + "\r\n"
		b.Run(fmt.Sprintf("%dKB", kb), func(b *testing.B) {
			for b.Loop() {
				var st connState
				for i := range len(head) {
					st.buf = append(st.buf, head[i])
					if req, status := st.nextRequest(); req != nil || status != 0 {
						if i != len(head)-1 || status != 0 {
							b.Fatalf("byte %d: status %d", i, status)
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(head)), "ns/byte")
		})
	}
}
