package console

import (
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"testing"
)

func TestNowPage(t *testing.T) {
	st := openStore(t)
	grow(t, st, 300, 200)
	srv := server(t, newConsole(t, Options{Store: st}))
	status, body := get(t, srv.Client(), srv.URL+"/")
	if status != http.StatusOK {
		t.Fatalf("status: got %d, want 200\n%s", status, body)
	}
	// Open tickets are every third; each queue's clocks are in one state.
	queues := table(t, body, "queues")
	for _, tt := range []struct {
		queue string
		want  []string
	}{
		{"neuvonta", []string{"neuvonta", "Yhteydenotot", "25", "25", "0", "0", "0"}},
		{"ruotsi", []string{"ruotsi", "Yhteydenotot", "25", "0", "25", "0", "0"}},
		{"palaute", []string{"palaute", "Yhteydenotot", "25", "0", "0", "25", "0"}},
		{"kiireelliset", []string{"kiireelliset", "Yhteydenotot", "25", "0", "0", "0", "25"}},
		{"tilaukset", []string{"tilaukset", "Palvelutilaukset", "95", "95", "0", "0", "0"}},
		{"koordinaattori", []string{"koordinaattori", "Palvelutilaukset", "5", "0", "0", "5", "0"}},
	} {
		got := queues[tt.queue]
		if len(got) < len(tt.want) || !slices.Equal(got[:len(tt.want)], tt.want) {
			t.Errorf("queue %s: got %q, want %q", tt.queue, got, tt.want)
		}
	}
	if got := queues["neuvonta"]; len(got) != 8 || !strings.Contains(got[7], "klo") {
		t.Errorf("queue neuvonta: oldest waiting should be a Helsinki time, got %q", got)
	}
	coords := table(t, body, "coordinators")
	if len(coords) != 7 {
		t.Errorf("coordinators: got %d rows, want 7: %v", len(coords), coords)
	}
	if got := coords["Aino Virtanen"]; len(got) != 3 {
		t.Errorf("coordinator Aino Virtanen: got %q, want her by name", got)
	}
	providers := table(t, body, "providers")
	for name, want := range map[string][]string{
		"Tuottaja 02 Oy": {"Tuottaja 02 Oy", "5", "20", "25 %", "1"},
		"Tuottaja 26 Oy": {"Tuottaja 26 Oy", "5", "20", "25 %", "1"},
		"Tuottaja 03 Oy": {"Tuottaja 03 Oy", "0", "20", "0 %", "0"},
	} {
		if got := providers[name]; !slices.Equal(got, want) {
			t.Errorf("provider %s: got %q, want %q", name, got, want)
		}
	}
	waiting := table(t, body, "waiting")
	if len(waiting) != 5 {
		t.Errorf("waiting orders: got %d, want 5", len(waiting))
	}
	got := waiting["8000000000"]
	want := "client's choice Tuottaja 00 Oy not eligible; 40 providers, 0 eligible; no eligible provider for siivous in Tampere"
	if len(got) != 6 || got[5] != want {
		t.Errorf("waiting order 8000000000: got %q, want the reason %q", got, want)
	}
}

func TestRecordPage(t *testing.T) {
	st := openStore(t)
	grow(t, st, 30, 60)
	var logs logBuffer
	srv := server(t, newConsole(t, Options{Store: st, PortalID: "139000", Log: slog.New(slog.NewTextHandler(&logs, nil))}))
	status, body := get(t, srv.Client(), srv.URL+"/record?id=8000000001")
	if status != http.StatusOK {
		t.Fatalf("status: got %d, want 200\n%s", status, body)
	}
	if !strings.Contains(logs.String(), `msg="console view" page=record`) || !strings.Contains(logs.String(), "object=deals id=8000000001") {
		t.Errorf("the record view was not logged; log:\n%s", logs.String())
	}
	for _, want := range []string{
		`href="https://app.hubspot.com/contacts/139000/record/0-3/8000000001"`,
		"palvelutilaus 8000000001",
		"declined by Tuottaja 04 Oy", // an id in an explanation, by name
	} {
		if !strings.Contains(body, want) {
			t.Errorf("record page lacks %q", want)
		}
	}
	decisions := table(t, body, "decisions")
	if len(decisions) != 2 {
		t.Errorf("decisions: got %d, want 2", len(decisions))
	}
	writes := table(t, body, "writes")
	var rejected []string
	for _, w := range writes {
		if w[1] == "alusta_units" {
			rejected = w
		}
	}
	if len(rejected) != 6 || rejected[5] != `hylätty: 400 VALIDATION_ERROR: "…" is not a number` {
		t.Errorf("rejected write: got %q, want its reason with the value masked", rejected)
	}
	if strings.Contains(body, "kolme tuntia") {
		t.Error("a rejected value reached the page")
	}
	status, body = get(t, srv.Client(), srv.URL+"/record?id=7000000000")
	if status != http.StatusOK || !strings.Contains(body, `href="https://app.hubspot.com/contacts/139000/record/0-5/7000000000"`) {
		t.Errorf("ticket: got %d without the 0-5 HubSpot link", status)
	}
}

func TestBadRequests(t *testing.T) {
	st := openStore(t)
	grow(t, st, 10, 10)
	srv := server(t, newConsole(t, Options{Store: st}))
	tests := []struct {
		name   string
		path   string
		status int
		want   string
	}{
		{name: "id not a number", path: "/record?id=abc", status: 400, want: "Tunnus on pelkkiä numeroita"},
		{name: "no such record", path: "/record?id=123", status: 404, want: "Tunnuksella 123 ei löytynyt"},
		{name: "period length", path: "/trends?weeks=5", status: 400, want: "Jakson pituus (weeks)"},
		{name: "period end", path: "/trends?to=2026-13-01", status: 400, want: "Päättymispäivä (to)"},
		{name: "both period fields", path: "/trends?weeks=x&to=y", status: 400, want: "Päättymispäivä (to)"},
		{name: "sandbox view outside demo mode", path: "/sandbox/deals/8000000001", status: 404},
		{name: "unknown page", path: "/nothing", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, srv.Client(), srv.URL+tt.path)
			if status != tt.status {
				t.Errorf("status: got %d, want %d", status, tt.status)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("body lacks %q:\n%s", tt.want, body)
			}
		})
	}
}

func TestSyncPage(t *testing.T) {
	st := openStore(t)
	grow(t, st, 10, 10)
	srv := server(t, newConsole(t, Options{Store: st, DailyLimit: 250000}))
	status, body := get(t, srv.Client(), srv.URL+"/sync")
	if status != http.StatusOK {
		t.Fatalf("status: got %d, want 200\n%s", status, body)
	}
	for _, want := range []string{
		"249\u202f975 / 250\u202f000", // 25 calls spent today
		"502 Bad Gateway",
		"pipelines/tickets.yaml",
		"routes[0].queue: empty",
		"billing-2026-11.csv",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("sync page lacks %q", want)
		}
	}
	if cycles := tableRows(t, body, "cycles"); len(cycles) != 5 {
		t.Errorf("cycles: got %d rows, want 5", len(cycles))
	}
	rejected := table(t, body, "rejected")
	if len(rejected) != 1 {
		t.Fatalf("rejected: got %v, want one record", rejected)
	}
	for _, r := range rejected {
		if r[2] != `not a number: "…"` {
			t.Errorf("rejected reason: got %q, want the value masked", r[2])
		}
	}
	if strings.Contains(body, "131052") || strings.Contains(body, "kolme") {
		t.Error("a rejected value or identity code reached the page")
	}
}

func TestTrendsPage(t *testing.T) {
	st := openStore(t)
	grow(t, st, 600, 300)
	srv := server(t, newConsole(t, Options{Store: st}))
	status, body := get(t, srv.Client(), srv.URL+"/trends?weeks=4&to=2026-11-18")
	if status != http.StatusOK {
		t.Fatalf("status: got %d, want 200\n%s", status, body)
	}
	sla := table(t, body, "sla")
	if len(sla) != 4 {
		t.Fatalf("SLA weeks: got %d, want 4: %v", len(sla), sla)
	}
	for week, row := range sla {
		// first_response cycles all met, resolution ones all breached.
		if len(row) != 3 || row[1] != "100 %" || row[2] != "0 %" {
			t.Errorf("SLA week %s: got %q, want first_response 100 %% and resolution 0 %%", week, row)
		}
	}
	if !strings.Contains(body, `<polyline points=`) {
		t.Error("no SLA line drawn")
	}
	if _, ok := table(t, body, "tickets")["vk 47"]; !ok {
		t.Errorf("tickets per week lack week 47: %v", table(t, body, "tickets"))
	}
}

func TestLanguages(t *testing.T) {
	st := openStore(t)
	grow(t, st, 10, 10)
	srv := server(t, newConsole(t, Options{Store: st}))
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}
	tests := []struct {
		name, path, lang, heading string
	}{
		{name: "Finnish by default", path: "/", lang: "fi", heading: "Jonot"},
		{name: "Swedish chosen", path: "/?lang=sv", lang: "sv", heading: "Köer"},
		{name: "Swedish remembered", path: "/trends", lang: "sv", heading: "Utveckling"},
		{name: "English chosen", path: "/sync?lang=en", lang: "en", heading: "Last cycles"},
		{name: "unknown language ignored", path: "/?lang=de", lang: "en", heading: "Queues"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, client, srv.URL+tt.path)
			if status != http.StatusOK {
				t.Fatalf("status: got %d", status)
			}
			if !strings.Contains(body, `<html lang="`+tt.lang+`">`) || !strings.Contains(body, tt.heading) {
				t.Errorf("got a page not in %s or without %q", tt.lang, tt.heading)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	st := openStore(t)
	srv := server(t, newConsole(t, Options{Store: st}))
	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy: got %q", csp)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
}

func TestCatalogues(t *testing.T) {
	cats, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range langs {
		if len(cats[l.Code]) != len(cats["fi"]) {
			t.Errorf("%s has %d messages, fi %d", l.Code, len(cats[l.Code]), len(cats["fi"]))
		}
	}
}
