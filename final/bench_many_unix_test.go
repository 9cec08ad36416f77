//go:build unix

package main

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// busyWithIdle is the case of many idle connections: -vs.many (10,000)
// kept-alive connections, each having had one answer, held open and idle,
// while one client of -vs.conns connections asks for the 1 KiB file as
// fast as it can. It reports the busy client's requests per second, the
// server's CPU time per request, its memory (RSS) while it holds them
// all, and how much that grew per connection when they were opened. The
// sequential server, which holds one connection at a time, sits it out.
//
// Each connection is a descriptor in the server and one in this process:
// each needs a soft limit on open descriptors (RLIMIT_NOFILE) above
// -vs.many. Go's runtime raises it to the hard one as every Go program
// starts (final's event loops say how far, on their console); nginx
// raises it to worker_rlimit_nofile; raiseFileLimit skips the case when
// the hard limit is too low.
func busyWithIdle(b *testing.B, servers []running, t *resultTable) {
	need := uint64(*vsMany + *vsConns + 256)
	if *vsInProcess {
		need *= 2 // the servers' ends too
	}
	raiseFileLimit(b, need)
	req := []byte("GET /1k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	var rates, cpus, mem, perConn [][]float64
	var held []running
	for _, s := range servers {
		if s.conns == 1 {
			continue
		}
		drive(b, s, req, 200, *vsTime/5) // as the other cases: warm
		before := s.memory()
		idle, err := holdIdle(s, req, *vsMany)
		if err != nil {
			closeAll(idle)
			b.Logf("%s: %v: it sits this case out", s.name, err)
			continue
		}
		time.Sleep(200 * time.Millisecond) // let the server settle
		perConn = append(perConn, []float64{(float64(s.memory()) - float64(before)) / float64(*vsMany)})
		var r, c, m []float64
		for range *vsRounds {
			rate, cpu := drive(b, s, req, 200, *vsTime)
			r, c, m = append(r, rate), append(c, cpu), append(m, float64(s.memory())/(1<<20))
		}
		closeAll(idle)
		held = append(held, s)
		rates, cpus, mem = append(rates, r), append(cpus, c), append(mem, m)
		time.Sleep(200 * time.Millisecond) // let the server close them all
	}
	name := fmt.Sprintf("%d idle + 1 busy", *vsMany)
	t.add(name, "req/s", report(b, held, rates, "-req/s"))
	t.add(name, "CPU µs/req", report(b, held, cpus, "-cpu-us/req"))
	t.add(name, "RSS MB", report(b, held, mem, "-RSS-MB"))
	t.add(fmt.Sprintf("idle (%d)", *vsMany), "B/conn", report(b, held, perConn, "-B/conn"))
}

// holdIdle opens n connections to s, one at a time, each sending one
// request and reading its answer, and leaves them open. (The servers' listen
// backlogs are shorter than n: connecting all first would overflow them.)
func holdIdle(s running, req []byte, n int) ([]*client, error) {
	clients := make([]*client, 0, n)
	for range n {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			return clients, err
		}
		c := newClient(conn, 4<<10)
		clients = append(clients, c)
		if err := c.roundTrip(req, 200); err != nil {
			return clients, fmt.Errorf("connection %d: %v", len(clients), err)
		}
		c.r = nil // the client's own buffer is not the server's memory
	}
	return clients, nil
}
