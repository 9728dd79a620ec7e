package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alusta/alusta"
	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/store"
)

// Sizes of the first-sync benchmark's portal, demo seed included.
const (
	benchTickets = 100_000
	benchDeals   = 20_000
	benchDays    = 90
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
		crm, err := sandbox.New(sandbox.Options{Seed: "demo", Now: now, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		nt, nd := fillPortal(b, crm, now(), tickets, deals)
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
			Client: client, Store: st, PipelinesDir: "../pipelines", MappingsDir: "../mappings",
			Lookback: 2 * time.Minute, Now: now,
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Prepare(context.Background()); err != nil {
			b.Fatalf("prepare: %v", err)
		}
		notesBefore := crm.Requests()["POST /crm/v3/objects/{objectType}"]
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
		b.Logf("%d tickets, %d deals: %s; notes added %d; sandbox requests %v", nt, nd, sum,
			crm.Requests()["POST /crm/v3/objects/{objectType}"]-notesBefore, crm.Requests())

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
	for _, c := range crm.Requests() {
		n += c
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

// portalVocabulary is what bulk records may hold: the demo portal's
// owners, pipelines, providers and texts.
type portalVocabulary struct {
	advisers, orderers     []string
	ticketPipe, dealPipe   string
	ticketStage            map[string]string // label -> id
	dealStages, dealStageL []string          // ids and labels in pipeline order
	providers              []benchProvider
	texts                  map[string][][2]string
}

type benchProvider struct {
	id              string
	active          bool
	services, areas []string
	prices          map[string]float64
}

func vocabulary(tb testing.TB, crm *sandbox.Server) *portalVocabulary {
	tb.Helper()
	v := &portalVocabulary{ticketStage: map[string]string{}}
	for _, o := range crm.Owners() {
		if len(o.Teams) > 0 && o.Teams[0].Name == "Neuvonta" {
			v.advisers = append(v.advisers, o.ID)
		} else {
			v.orderers = append(v.orderers, o.ID)
		}
	}
	tp, dp := crm.Pipelines(hubspot.Tickets), crm.Pipelines(hubspot.Deals)
	if len(tp) == 0 || len(dp) == 0 || len(v.advisers) == 0 || len(v.orderers) == 0 {
		tb.Fatal("demo portal: missing pipelines or owners")
	}
	v.ticketPipe, v.dealPipe = tp[0].ID, dp[0].ID
	for _, s := range tp[0].Stages {
		v.ticketStage[s.Label] = s.ID
	}
	for _, s := range dp[0].Stages {
		v.dealStages = append(v.dealStages, s.ID)
		v.dealStageL = append(v.dealStageL, s.Label)
	}
	for _, id := range crm.Objects(hubspot.Companies) {
		o, _ := crm.Object(hubspot.Companies, id)
		get := func(k string) string { s, _ := o.Prop(k); return s }
		p := benchProvider{id: id, active: get("alusta_provider_active") == "true",
			services: strings.Split(get("alusta_provider_services"), ";"), areas: strings.Split(get("alusta_provider_areas"), ";"),
			prices: map[string]float64{}}
		for _, kv := range strings.Split(get("alusta_provider_prices"), ";") {
			k, val, _ := strings.Cut(kv, ":")
			p.prices[k], _ = strconv.ParseFloat(val, 64)
		}
		v.providers = append(v.providers, p)
	}
	b, err := fs.ReadFile(alusta.DemoSeed(), "texts.json")
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, &v.texts); err != nil {
		tb.Fatal(err)
	}
	return v
}

func (v *portalVocabulary) candidates(service, muni string) []*benchProvider {
	var out []*benchProvider
	for i := range v.providers {
		p := &v.providers[i]
		if p.active && slices.Contains(p.services, service) && slices.Contains(p.areas, muni) {
			out = append(out, p)
		}
	}
	return out
}

// pickW picks an item by weight.
func pickW(rng *rand.Rand, items []string, weights []int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := rng.IntN(total)
	for i, w := range weights {
		if x < w {
			return items[i]
		}
		x -= w
	}
	return items[len(items)-1]
}

var (
	benchMunis    = []string{"Tampere", "Orivesi", "Kangasala", "Nokia", "Ylöjärvi", "Lempäälä", "Pirkkala"}
	benchMuniW    = []int{55, 4, 10, 9, 8, 7, 7}
	benchGroups   = []string{"ikaantyneet", "vammaiset", "lapsiperheet", "omaishoitajat"}
	benchGroupW   = []int{55, 20, 15, 10}
	benchLangs    = []string{"fi", "sv", "en"}
	benchLangW    = []int{88, 8, 4}
	benchServices = []string{"siivous", "kauppa", "ateria", "turvapalvelu", "avustaja", "kotihoito", "hoitajavuokraus", "lastenhoito"}
	benchServiceW = []int{25, 15, 15, 10, 12, 10, 5, 8}
	benchUnits    = map[string]struct {
		unit     string
		lo, high int
	}{
		"siivous": {"h", 2, 12}, "kauppa": {"kpl", 2, 8}, "ateria": {"kpl", 10, 30}, "turvapalvelu": {"kk", 1, 3},
		"avustaja": {"h", 8, 40}, "kotihoito": {"h", 10, 60}, "hoitajavuokraus": {"h", 8, 40}, "lastenhoito": {"h", 6, 30},
	}
)

// fillPortal adds tickets and deals to the demo portal until it holds
// tickets and deals, spread over 90 days before now with the demo seed's
// proportions: stages by age, kinds, services, municipalities, owners and
// providers that can serve the order. Every record is checked against the
// portal's property definitions (as a person's edit would be) before it
// is inserted; it returns the final counts.
func fillPortal(tb testing.TB, crm *sandbox.Server, now time.Time, tickets, deals int) (int, int) {
	tb.Helper()
	v := vocabulary(tb, crm)
	check, err := sandbox.New(sandbox.Options{Seed: "demo", Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	defer check.Close()
	checkTicket, checkDeal := check.Objects(hubspot.Tickets)[0], check.Objects(hubspot.Deals)[0]
	valid := func(typ, id string, p map[string]string) {
		in := make(map[string]string, len(p))
		for k, val := range p {
			// HubSpot computes these; a person cannot set them.
			if k != "createdate" && k != "time_to_close" {
				in[k] = val
			}
		}
		if err := check.Update(typ, id, in); err != nil {
			tb.Fatalf("bulk %s %v: not valid for the portal: %v", typ, p, err)
		}
	}
	rng := rand.New(rand.NewPCG(2026, 120))
	span := int64(benchDays * 24 * time.Hour)
	when := func() time.Time { return now.Add(-time.Duration(rng.Int64N(span))).Truncate(time.Millisecond) }
	until := func(t time.Time, d time.Duration) time.Time {
		u := t.Add(time.Minute + time.Duration(rng.Int64N(int64(d)))).Truncate(time.Millisecond)
		if u.After(now) {
			return now.Add(-time.Duration(rng.IntN(3600)) * time.Second).Truncate(time.Millisecond)
		}
		return u
	}
	stages := []string{"Uusi", "Työn alla", "Odottaa asiakasta", "Suljettu"}
	nt := len(crm.Objects(hubspot.Tickets))
	for ; nt < tickets; nt++ {
		created := when()
		age := now.Sub(created)
		w := []int{0, 3, 5, 92}
		switch {
		case age < 3*24*time.Hour:
			w = []int{40, 35, 10, 15}
		case age < 14*24*time.Hour:
			w = []int{5, 20, 15, 60}
		}
		stage := pickW(rng, stages, w)
		kind := pickW(rng, []string{"neuvonta", "palaute", "reklamaatio"}, []int{75, 18, 7})
		muni := pickW(rng, benchMunis, benchMuniW)
		p := map[string]string{
			"hs_pipeline": v.ticketPipe, "hs_pipeline_stage": v.ticketStage[stage],
			"hs_ticket_priority":  pickW(rng, []string{"LOW", "MEDIUM", "HIGH", "URGENT"}, []int{30, 50, 15, 5}),
			"source_type":         pickW(rng, []string{"EMAIL", "PHONE", "CHAT", "FORM"}, []int{35, 40, 15, 10}),
			"alusta_ticket_kind":  kind,
			"alusta_municipality": muni,
			"alusta_client_group": pickW(rng, benchGroups, benchGroupW),
			"alusta_language":     pickW(rng, benchLangs, benchLangW),
			"alusta_service":      "neuvonta",
		}
		if kind != "neuvonta" || rng.IntN(2) == 0 {
			p["alusta_service"] = pickW(rng, benchServices, benchServiceW)
		}
		if kind != "neuvonta" {
			if cs := v.candidates(p["alusta_service"], muni); len(cs) > 0 {
				p["alusta_provider"] = cs[rng.IntN(len(cs))].id
			}
			if rng.IntN(5) > 0 {
				score := 3 + rng.IntN(3)
				if kind == "reklamaatio" {
					score = 1 + rng.IntN(2)
				}
				p["alusta_feedback_score"] = strconv.Itoa(score)
			}
			if kind == "reklamaatio" && p["hs_ticket_priority"] == "LOW" {
				p["hs_ticket_priority"] = "HIGH"
			}
		}
		text := v.texts[kind][rng.IntN(len(v.texts[kind]))]
		p["subject"], p["content"] = text[0], text[1]
		if stage != "Uusi" || rng.IntN(3) == 0 {
			p["hubspot_owner_id"] = v.advisers[rng.IntN(len(v.advisers))]
		}
		modified := until(created, min(age, 5*24*time.Hour)+time.Minute)
		if stage == "Suljettu" {
			p["closed_date"] = modified.Format(hubspot.TimeFormat)
			p["time_to_close"] = strconv.FormatInt(modified.Sub(created).Milliseconds(), 10)
		}
		p["createdate"] = created.Format(hubspot.TimeFormat)
		valid(hubspot.Tickets, checkTicket, p)
		crm.Insert(hubspot.Tickets, p, modified)
	}

	nd := len(crm.Objects(hubspot.Deals))
	for ; nd < deals; nd++ {
		created := when()
		age := now.Sub(created)
		// Vastaanotettu, Välitetty, hyväksynyt, hylännyt, käynnissä, Toteutunut, Peruttu
		w := []int{0, 1, 2, 4, 25, 60, 8}
		switch {
		case age < 2*24*time.Hour:
			w = []int{45, 35, 12, 3, 5, 0, 0}
		case age < 10*24*time.Hour:
			w = []int{2, 12, 18, 5, 45, 10, 8}
		}
		stage := pickW(rng, v.dealStageL, w)
		service := pickW(rng, benchServices, benchServiceW)
		muni := pickW(rng, benchMunis, benchMuniW)
		u := benchUnits[service]
		units := u.lo + rng.IntN(u.high-u.lo+1)
		p := map[string]string{
			"dealname": fmt.Sprintf("Tilaus %d/%06d %s, %s", created.Year(), nd+1, service, muni),
			"pipeline": v.dealPipe, "dealstage": v.dealStages[slices.Index(v.dealStageL, stage)],
			"alusta_service": service, "alusta_municipality": muni,
			"alusta_units": strconv.Itoa(units), "alusta_unit": u.unit,
			"alusta_payer":        pickW(rng, []string{"city", "client"}, []int{85, 15}),
			"alusta_language":     pickW(rng, benchLangs, benchLangW),
			"alusta_client_group": pickW(rng, benchGroups, benchGroupW),
			"hubspot_owner_id":    v.orderers[rng.IntN(len(v.orderers))],
		}
		var chosen *benchProvider
		if cs := v.candidates(service, muni); len(cs) > 0 {
			chosen = cs[rng.IntN(len(cs))]
			if rng.IntN(5) == 0 {
				p["alusta_client_choice"] = chosen.id
			}
		}
		price := 0.0
		if chosen != nil {
			price = chosen.prices[service]
		}
		p["amount"] = strconv.FormatFloat(float64(units)*price, 'f', 2, 64)
		assigned := stage != "Vastaanotettu" && chosen != nil
		if stage == "Tuottaja hylännyt" && chosen != nil {
			p["alusta_declined_by"] = chosen.id
			assigned = false
		}
		if assigned {
			p["alusta_provider"] = chosen.id
		}
		modified := until(created, min(age, 20*24*time.Hour)+time.Minute)
		if stage == "Toteutunut" || stage == "Peruttu" {
			p["closedate"] = modified.Format(hubspot.TimeFormat)
		}
		p["createdate"] = created.Format(hubspot.TimeFormat)
		valid(hubspot.Deals, checkDeal, p)
		id := crm.Insert(hubspot.Deals, p, modified)
		if assigned {
			if err := crm.Associate(hubspot.Deals, id, hubspot.Companies, chosen.id, 5); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return nt, nd
}
