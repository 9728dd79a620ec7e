package console

import (
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process (server and client alike) has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPages renders every page from a store of 100,000 tickets and
// 20,000 deals (the goal: each under 200 ms), over loopback HTTP as a
// browser asks for them.
//
//	go test -run X -bench Pages -benchtime 10x ./console/
func BenchmarkPages(b *testing.B) {
	st := openStore(b)
	start := time.Now()
	grow(b, st, 100_000, 20_000)
	b.Logf("store filled in %s", time.Since(start).Round(time.Millisecond))
	srv := server(b, newConsole(b, Options{Store: st, PortalID: "139000"}))
	for _, pg := range []struct{ name, path string }{
		{"now", "/"},
		{"trends", "/trends"},
		{"trends-52-weeks", "/trends?weeks=52&to=2026-11-18"},
		{"sync", "/sync"},
		{"record", "/record?id=8000000001"},
	} {
		b.Run(pg.name, func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				resp, err := srv.Client().Get(srv.URL + pg.path)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: status %d", pg.path, resp.StatusCode)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
			// The machine may be shared: CPU time says what a page costs
			// when the wall clock waits for others.
			b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/page")
		})
	}
}
