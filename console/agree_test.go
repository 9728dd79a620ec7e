package console

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"testing"
	"time"

	"github.com/alusta/alusta/report"
)

// exportCSV exports a report as alusta report export writes it (Finnish
// CSV) and reads the file back: header and rows, totals row left out.
func exportCSV(t *testing.T, env report.Env, name, period string) ([]string, [][]string) {
	t.Helper()
	p, err := report.ParsePeriod(period, env.Loc)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := report.Build(context.Background(), env, name, p)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, tbl, report.CSVOptions{NoBOM: true}, nil); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&buf)
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[0], recs[1 : len(recs)-1]
}

func column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("export has no column %q: %v", name, header)
	return -1
}

// TestFiguresAgreeWithExports checks that the console and the report
// exports count alike: a provider's declines this month on the Now page
// against the quality export's cell, and tickets opened per week on the
// Trends page against the workload export's cells summed over coordinators
// and channels.
func TestFiguresAgreeWithExports(t *testing.T) {
	st := openStore(t)
	grow(t, st, 2000, 1500)
	loc := helsinki(t)
	env := report.Env{Store: st, Loc: loc, Now: func() time.Time { return testNow }}
	srv := server(t, newConsole(t, Options{Store: st, Loc: loc}))

	_, now := get(t, srv.Client(), srv.URL+"/")
	providers := table(t, now, "providers")
	header, rows := exportCSV(t, env, "quality", "2026-11")
	name, declines := column(t, header, "provider"), column(t, header, "declines")
	checked := 0
	for _, row := range rows {
		cells, ok := providers[row[name]]
		if !ok {
			t.Errorf("provider %s is in the quality export but not on the Now page", row[name])
			continue
		}
		if got := cells[len(cells)-1]; got != row[declines] {
			t.Errorf("%s declines in 2026-11: console %s, export %s", row[name], got, row[declines])
		}
		if row[declines] != "0" {
			checked++
		}
	}
	if checked < 5 {
		t.Errorf("only %d providers with declines compared; the fixture should give more", checked)
	}

	_, trends := get(t, srv.Client(), srv.URL+"/trends?weeks=4&to=2026-11-22")
	opened := map[string]int{}
	for _, r := range tableRows(t, trends, "tickets") {
		n, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatalf("week %s opened %q: %v", r[0], r[1], err)
		}
		opened[r[0]] = n
	}
	header, rows = exportCSV(t, env, "workload", "2026-11")
	week, col := column(t, header, "week"), column(t, header, "opened")
	export := map[string]int{}
	for _, row := range rows {
		n, err := strconv.Atoi(row[col])
		if err != nil {
			t.Fatal(err)
		}
		w, err := strconv.Atoi(row[week][len("2026-W"):])
		if err != nil {
			t.Fatal(err)
		}
		export["vk "+strconv.Itoa(w)] += n
	}
	for _, w := range []string{"vk 45", "vk 46", "vk 47"} {
		if opened[w] == 0 || opened[w] != export[w] {
			t.Errorf("tickets opened in %s: console %d, workload export %d", w, opened[w], export[w])
		}
	}
}
