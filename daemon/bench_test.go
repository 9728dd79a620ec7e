package daemon

import (
	"bufio"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/store"
)

// Sizes of the first-sync benchmark's portal, demo seed included.
const (
	benchTickets = 100_000
	benchDeals   = 20_000
)

// benchScale shrinks the first-sync benchmark for a quick trial run:
// ALUSTA_BENCH_SCALE=0.05 syncs 5,000 tickets and 1,000 deals.
func benchScale(b *testing.B) float64 {
	s := os.Getenv("ALUSTA_BENCH_SCALE")
	if s == "" {
		return 1
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > 1 {
		b.Fatalf("ALUSTA_BENCH_SCALE=%q: want a number in (0, 1]", s)
	}
	return f
}

// BenchmarkFirstSync is alusta's first cycle against a large portal:
// 100,000 tickets and 20,000 service orders spread over 90 days, on the
// demo portal's owners, pipelines and providers. The client paces itself
// as for a real portal (250 calls per 10 s, HubSpot's highest tier, and
// HubSpot's 5 searches per second), so the wall time is what a real first
// sync would take, less HubSpot's own latency.
//
// Memory is measured in this process, which also holds the sandbox and its
// 120,000 records: peak-heap-inuse-MB samples runtime.MemStats.HeapInuse
// every 50 ms during the cycle, heap-growth-MB is how much HeapInuse rose
// over the cycle's start, heap-sys-MB is runtime.MemStats.HeapSys after it
// and vmhwm-MB the process's peak resident set (VmHWM in
// /proc/self/status).
func BenchmarkFirstSync(b *testing.B) {
	scale := benchScale(b)
	tickets, deals := int(benchTickets*scale), int(benchDeals*scale)
	for range b.N {
		b.StopTimer()
		t0 := time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC) // Monday, 09:00 in Helsinki
		start := time.Now()
		now := func() time.Time { return t0.Add(time.Since(start)) }
		crm, err := sandbox.New(sandbox.Options{Seed: "demo", Now: now, Logger: slog.New(slog.DiscardHandler),
			DemoSize: sandbox.DemoSize{Tickets: tickets, Deals: deals}})
		if err != nil {
			b.Fatal(err)
		}
		nt, nd := len(crm.Objects(hubspot.Tickets)), len(crm.Objects(hubspot.Deals))
		srv := httptest.NewServer(crm)
		client, err := hubspot.New(hubspot.Options{BaseURL: srv.URL, Token: "bench", RateLimit: 250, Now: now})
		if err != nil {
			b.Fatal(err)
		}
		st, err := store.Open(context.Background(), b.TempDir()+"/alusta.db", store.Options{Now: now})
		if err != nil {
			b.Fatal(err)
		}
		d, err := New(Options{
			Client: client, Store: st, PipelinesDir: "../testdata/rules/pipelines", MappingsDir: "../testdata/rules/mappings",
			Lookback: 2 * time.Minute, Now: now,
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Prepare(context.Background()); err != nil {
			b.Fatalf("prepare: %v", err)
		}
		notesBefore := crm.Requests()["POST /crm/v3/objects/{objectType}/batch/create"]
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heapBefore := ms.HeapInuse
		peak := newHeapSampler(50 * time.Millisecond)

		b.StartTimer()
		wall := time.Now()
		sum, err := d.Cycle(context.Background())
		elapsed := time.Since(wall)
		b.StopTimer()

		heapPeak := peak.stop()
		runtime.ReadMemStats(&ms)
		if err != nil {
			b.Fatalf("first sync: %v (%s)", err, sum)
		}
		records := float64(nt + nd)
		b.ReportMetric(elapsed.Seconds(), "wall-s")
		b.ReportMetric(float64(sum.Calls), "api-calls")
		b.ReportMetric(records/elapsed.Seconds(), "records/s")
		b.ReportMetric(float64(sum.Pulled)/elapsed.Seconds(), "pulled/s")
		b.ReportMetric(float64(sum.Writes), "writes")
		b.ReportMetric(float64(sum.Decisions), "decisions")
		b.ReportMetric(float64(heapPeak)/(1<<20), "peak-heap-inuse-MB")
		b.ReportMetric(float64(heapPeak-min(heapPeak, heapBefore))/(1<<20), "heap-growth-MB")
		b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MB")
		if hwm, ok := vmHWM(); ok {
			b.ReportMetric(float64(hwm)/(1<<20), "vmhwm-MB")
		}
		b.Logf("%d tickets, %d deals: %s; note batches %d; sandbox requests %v", nt, nd, sum,
			crm.Requests()["POST /crm/v3/objects/{objectType}/batch/create"]-notesBefore, crm.Requests())

		st.Close()
		srv.Close()
		crm.Close()
	}
}

// BenchmarkWebhookToWriteBack measures the time from a person's edit in
// HubSpot to alusta's write-back: the sandbox signs and delivers the
// webhook (on a 10 ms tick), the daemon's endpoint verifies and enqueues
// it, the Run loop wakes, reads the record by id and writes the decision
// back. Polling runs hourly and the search index lags a minute, so only
// the webhook can explain the write-back. The client paces as for a real
// portal (250 calls per 10 s, 5 searches per second).
func BenchmarkWebhookToWriteBack(b *testing.B) {
	r := startHookRig(b, 5)
	cands := urgentCandidates(b, r.crm)
	if b.N > len(cands) {
		b.Fatalf("b.N %d: only %d tickets to raise to URGENT; use -benchtime=%dx or less", b.N, len(cands), len(cands))
	}
	var total time.Duration
	calls := 0
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		r.settle(b)
		before := sumRequests(r.crm)
		b.StartTimer()
		total += r.raiseAndWait(b, cands[i], time.Millisecond)
		b.StopTimer()
		r.settle(b)
		calls += sumRequests(r.crm) - before
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/op")
	b.ReportMetric(float64(calls)/float64(b.N), "api-calls/op")
}

func sumRequests(crm *sandbox.Server) int {
	n := 0
	for k, c := range crm.Requests() {
		if k != sandbox.HistoryReads { // counted under batch read too
			n += c
		}
	}
	return n
}

// heapSampler records the largest HeapInuse it sees.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func newHeapSampler(every time.Duration) *heapSampler {
	s := &heapSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			s.peak = max(s.peak, ms.HeapInuse)
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *heapSampler) stop() uint64 {
	close(s.done)
	s.wg.Wait()
	return s.peak
}

// vmHWM is the process's peak resident set in bytes, from Linux's
// /proc/self/status.
func vmHWM() (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
