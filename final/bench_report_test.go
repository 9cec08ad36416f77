package main

// The table that BenchmarkVsNetHTTP prints at its end: every server, every
// case, in one run, ready to paste into BENCHMARKS.md.

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// resultTable holds the medians of a run: by column (a case and what was
// measured, "1KiB req/s"), then by server.
type resultTable struct {
	columns []string
	cells   map[string]map[string]float64
	load    []string // the load average, as the run went
}

func (t *resultTable) add(column, unit string, byServer map[string]float64) {
	if t.cells == nil {
		t.cells = map[string]map[string]float64{}
	}
	key := column + " " + unit
	if _, ok := t.cells[key]; !ok {
		t.columns = append(t.columns, key)
	}
	t.cells[key] = byServer
	t.noteLoad()
}

// noteLoad notes the load average (Linux only): on a shared machine, the
// figures mean something only beside it.
func (t *resultTable) noteLoad() {
	if avg, err := os.ReadFile("/proc/loadavg"); err == nil {
		t.load = append(t.load, strings.Join(strings.Fields(string(avg))[:3], " "))
	}
}

// print prints the tables: requests per second, their ratio to nginx (to
// net/http where nginx sits out), CPU time per request, and memory.
func (t *resultTable) print(servers []running) {
	if len(t.columns) == 0 {
		return
	}
	fmt.Printf("\nBenchmarkVsNetHTTP, %s, %s, %s/%s, %d CPUs, GOMAXPROCS %d; load average (1, 5, 15 min) after each case: %s\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), runtime.GOMAXPROCS(0), strings.Join(t.load, "; "))
	t.printUnits(servers, "req/s", "%.0f", []string{"req/s"}, nil)
	t.printUnits(servers, "req/s ÷ nginx's († ÷ net/http's, where nginx sits out)", "%.2f", []string{"req/s"}, t.ratio)
	t.printUnits(servers, "CPU µs/req", "%.1f", []string{"CPU µs/req"}, nil)
	t.printUnits(servers, "memory", "%.0f", []string{"B/conn", "RSS MB"}, nil)
}

// printUnits prints a table of the columns measured in units, each cell
// with format, or, with ratio, the ratio it returns.
func (t *resultTable) printUnits(servers []running, title, format string, units []string, ratio func(column, server string) (float64, string)) {
	var columns, heads []string
	for _, c := range t.columns {
		for _, u := range units {
			if head, ok := strings.CutSuffix(c, " "+u); ok {
				if len(units) > 1 {
					head += ", " + u
				}
				columns, heads = append(columns, c), append(heads, head)
			}
		}
	}
	if len(columns) == 0 {
		return
	}
	fmt.Printf("\n| %s | %s |\n|---|%s\n", title, strings.Join(heads, " | "), strings.Repeat("---:|", len(columns)))
	for _, s := range servers {
		cells := make([]string, len(columns))
		for i, c := range columns {
			v, ok := t.cells[c][s.name]
			mark := ""
			if ok && ratio != nil {
				v, mark = ratio(c, s.name)
			}
			switch {
			case !ok:
				cells[i] = "–"
			case ratio != nil && v == 0:
				cells[i] = ""
			default:
				cells[i] = fmt.Sprintf(format, v) + mark
			}
		}
		fmt.Printf("| %s | %s |\n", s.name, strings.Join(cells, " | "))
	}
}

// ratio divides a server's figure by nginx's in the same column, or by
// net/http's (marked †) where nginx has none.
func (t *resultTable) ratio(column, server string) (float64, string) {
	for i, base := range baselines {
		if b, ok := t.cells[column][base]; ok && b > 0 {
			if i > 0 {
				return t.cells[column][server] / b, " †"
			}
			return t.cells[column][server] / b, ""
		}
	}
	return 0, ""
}
