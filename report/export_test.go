package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"

	"github.com/alusta/alusta/store"
)

// billingStore loads the first step of the billing golden case.
func billingStore(t *testing.T) (*store.Store, *testClock, Env) {
	t.Helper()
	c := &testClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	s := openStore(t, c)
	b, err := os.ReadFile(filepath.Join("..", "testdata", "report", "billing-locked", "fixture.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	if err := yamlDecode(b, &fx); err != nil {
		t.Fatal(err)
	}
	fx.Steps[0].load(t, context.Background(), s)
	return s, c, Env{Store: s, Loc: helsinki(t), Now: c.Now, Mapping: testMapping(t)}
}

func TestParsePeriod(t *testing.T) {
	loc := helsinki(t)
	tests := []struct {
		in, label, from, to, err string
	}{
		{in: "2026-03", label: "2026-03", from: "2026-02-28T22:00:00Z", to: "2026-03-31T21:00:00Z"},
		{in: "2026-03-29", label: "2026-03-29", from: "2026-03-28T22:00:00Z", to: "2026-03-29T21:00:00Z"},
		{in: "2026-13", err: `report: period "2026-13": want YYYY-MM or YYYY-MM-DD`},
		{in: "march", err: `report: period "march": want YYYY-MM or YYYY-MM-DD`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePeriod(tt.in, loc)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Label != tt.label || p.From.UTC().Format(time.RFC3339) != tt.from || p.To.UTC().Format(time.RFC3339) != tt.to {
				t.Errorf("got %s %s %s, want %s %s %s", p.Label, p.From.UTC().Format(time.RFC3339), p.To.UTC().Format(time.RFC3339), tt.label, tt.from, tt.to)
			}
		})
	}
	if _, err := Lookup("payroll"); err == nil || err.Error() != `report: unknown report "payroll" (want billing, sla, quality, workload, referrals)` {
		t.Errorf("Lookup: got %v", err)
	}
	if _, err := ParseFormat("pdf"); err == nil || err.Error() != `report: format "pdf": want csv or xlsx` {
		t.Errorf("ParseFormat: got %v", err)
	}
}

func TestLockErrors(t *testing.T) {
	ctx := context.Background()
	_, _, env := billingStore(t)
	tests := []struct {
		name, month, err string
	}{
		{"not ended", "2026-03", "report: lock 2026-03: the month has not ended"},
		{"not a month", "2026-02-01", "report: lock 2026-02-01: want a month YYYY-MM"},
		{"first lock", "2026-02", ""},
		{"twice", "2026-02", "report: lock 2026-02: already locked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Lock(ctx, env, tt.month)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.err {
				t.Fatalf("got %v, want %s", err, tt.err)
			}
		})
	}
	months, err := LockedMonths(ctx, env.Store)
	if err != nil || len(months) != 1 || months[0] != "2026-02" {
		t.Errorf("LockedMonths: got %v %v", months, err)
	}
	// Unbillable deals were recorded, not silently dropped.
	rej, err := env.Store.RejectedRecords(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 1 || rej[0].RecordID != "1007" || rej[0].Reason != `billing: payer "" is not city or client` {
		t.Errorf("rejected: got %+v", rej)
	}
}

// TestBillingNamesLeftOut checks that a delivered deal that cannot be
// billed is named, with its property, in the report of the month it was
// delivered in, and only there, and in the lock of that month.
func TestBillingNamesLeftOut(t *testing.T) {
	ctx := context.Background()
	_, _, env := billingStore(t)
	loc := helsinki(t)
	want := `deal 1007, field payer: payer "" is not city or client`
	for _, tt := range []struct {
		period string
		want   []string
	}{
		{"2026-02", []string{want}},
		{"2026-02-14", []string{want}},
		{"2026-02-13", nil},
		{"2026-01", nil},
	} {
		p, err := ParsePeriod(tt.period, loc)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := Build(ctx, env, "billing", p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tbl.Problems, tt.want) {
			t.Errorf("%s: got problems %q, want %q", tt.period, tbl.Problems, tt.want)
		}
	}
	tbl, err := Lock(ctx, env, "2026-02")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tbl.Problems, []string{want}) {
		t.Errorf("lock: got problems %q, want %q", tbl.Problems, want)
	}
}

// TestLeftOutMasksIdentityCodes checks that a property value quoted in a
// problem is masked like everything the store keeps, and that a deal with
// no usable close date is named in every period, since it might belong to
// any of them.
func TestLeftOutMasksIdentityCodes(t *testing.T) {
	ctx := context.Background()
	_, _, env := billingStore(t)
	if err := env.Store.UpsertRecords(ctx, "deals", []store.Record{{ID: "9", UpdatedAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		Properties: map[string]string{"stage": "1006", "close_date": "040253-914B", "provider": "301"}}}); err != nil {
		t.Fatal(err)
	}
	p, err := ParsePeriod("2026-01", helsinki(t))
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := Build(ctx, env, "billing", p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`deal 9, field close_date: delivered deal has no valid close date ("[hetu]")`}
	if !slices.Equal(tbl.Problems, want) {
		t.Errorf("got %q, want %q", tbl.Problems, want)
	}
}

func TestCSVOptions(t *testing.T) {
	tbl := &Table{Report: "x", Columns: []Column{{Name: "name", Kind: Text}, {Name: "n", Kind: Int, Sum: true}, {Name: "eur", Kind: Money, Sum: true}, {Name: "h", Kind: Decimal}, {Name: "day", Kind: Date}},
		Rows: [][]any{
			{"=HYPERLINK(1)", int64(2), int64(-1050), 1.5, time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)},
			{`Oy "Ab"; Ltd, x`, int64(3), int64(5), nil, nil},
		}}
	tests := []struct {
		name string
		opts CSVOptions
		want string
	}{
		{"finnish", CSVOptions{}, "\ufeffname;n;eur;h;day\r\n'=HYPERLINK(1);2;-10,50;1,50;2026-03-29\r\n\"Oy \"\"Ab\"\"; Ltd, x\";3;0,05;;\r\ntotal;5;-10,45;;\r\n"},
		{"international", CSVOptions{International: true, NoBOM: true}, "name,n,eur,h,day\r\n'=HYPERLINK(1),2,-10.50,1.50,2026-03-29\r\n\"Oy \"\"Ab\"\"; Ltd, x\",3,0.05,,\r\ntotal,5,-10.45,,\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteCSV(&b, tbl, tt.opts, nil); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
}

// TestXLSXAddsUp reads an exported workbook back: numbers are numbers,
// months are dates, and the totals row equals the column sums.
func TestXLSXAddsUp(t *testing.T) {
	ctx := context.Background()
	_, _, env := billingStore(t)
	p, _ := ParsePeriod("2026-02", env.Loc)
	tbl, err := Build(ctx, env, "billing", p)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteXLSX(&b, tbl, nil); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("billing", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tbl.Rows)+2 {
		t.Fatalf("rows: got %d, want %d", len(rows), len(tbl.Rows)+2)
	}
	if strings.Join(rows[0], ",") != "month,kind,provider_id,provider,service,payer,unit,orders,units,unit_price,total" {
		t.Errorf("header: got %v", rows[0])
	}
	typ, err := f.GetCellType("billing", "K2")
	// A number cell carries no type attribute (unset) or "n"; text would be
	// a shared or inline string.
	if err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
		t.Errorf("K2 type: got %v %v, want a number", typ, err)
	}
	if v, err := strconv.ParseFloat(rows[1][10], 64); err != nil || v != 84 {
		t.Errorf("K2: got %q, want 84", rows[1][10])
	}
	month, err := f.GetCellValue("billing", "A2")
	if err != nil || month != "2026-02" {
		t.Errorf("A2 formatted: got %q %v, want 2026-02", month, err)
	}
	if serial, err := strconv.ParseFloat(rows[1][0], 64); err != nil || serial != 46054 {
		t.Errorf("A2 raw: got %q, want the date serial 46054 (2026-02-01)", rows[1][0])
	}
	last := rows[len(rows)-1]
	for _, col := range []int{7, 10} { // orders, total
		var sum float64
		for _, r := range rows[1 : len(rows)-1] {
			v, err := strconv.ParseFloat(r[col], 64)
			if err != nil {
				t.Fatalf("row %v col %d: %v", r, col, err)
			}
			sum += v
		}
		got, err := strconv.ParseFloat(last[col], 64)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-sum) > 0.001 {
			t.Errorf("column %d: totals row %v, column sum %v", col, got, sum)
		}
		cell, _ := excelize.CoordinatesToCellName(col+1, len(rows))
		calc, err := f.CalcCellValue("billing", cell)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := strconv.ParseFloat(calc, 64); math.Abs(v-sum) > 0.001 {
			t.Errorf("%s formula: got %s, want %v", cell, calc, sum)
		}
	}
	if last[10] != "420.8" {
		t.Errorf("grand total: got %s, want 420.8", last[10])
	}
	// BI tools see the same rows through the view.
	var total float64
	if err := env.Store.DB().QueryRowContext(ctx, `SELECT sum(total) FROM v_report_billing WHERE period = '2026-02'`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if math.Abs(total-420.80) > 0.001 {
		t.Errorf("v_report_billing total: got %v, want 420.80", total)
	}
}

// TestWriteFileAtomic fails a write midway: the old file is untouched and
// no temporary file is left.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "billing-2026-02.csv")
	if err := os.WriteFile(path, []byte("old complete file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	_, err := WriteFileAtomic(path, func(w io.Writer) error {
		if _, err := w.Write([]byte("half of the new")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
	if b, _ := os.ReadFile(path); string(b) != "old complete file\n" {
		t.Errorf("file: got %q", b)
	}
	assertNoPartial(t, dir, []string{"billing-2026-02.csv"})
	sum, err := WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err })
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("new\n"))
	if sum != hex.EncodeToString(h[:]) {
		t.Errorf("checksum: got %s", sum)
	}
	assertNoPartial(t, dir, []string{"billing-2026-02.csv"})
	// An export is for alusta's user and group, never for everyone; before,
	// it was forced to 0644.
	for _, p := range []string{path, filepath.Join(dir, partialDir)} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o640)
		if info.IsDir() {
			want = 0o750
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: got mode %04o, want %04o", p, got, want)
		}
	}
}

// assertNoPartial checks the output folder holds exactly the named files
// and the partial folder nothing.
func assertNoPartial(t *testing.T, dir string, want []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.IsDir() && e.Name() == partialDir {
			continue
		}
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("output folder: got %v, want %v", got, want)
	}
}

// TestKilledExport kills a process in the middle of writing an export: the
// output folder holds no file, and the next export clears the leftover.
func TestKilledExport(t *testing.T) {
	if os.Getenv("ALUSTA_TEST_HALF_EXPORT") != "" {
		halfExport(os.Getenv("ALUSTA_TEST_HALF_EXPORT"))
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledExport$")
	cmd.Env = append(os.Environ(), "ALUSTA_TEST_HALF_EXPORT="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// The helper waits on its stdin, which this test never writes to: it
	// stays half written until killed, however slow the machine is.
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	var seen string
	for !strings.Contains(seen, "half written") {
		n, err := out.Read(buf)
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper ended before writing: %v (%q)", err, seen)
		}
		seen += string(buf[:n])
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	assertNoPartial(t, dir, nil)
	left, _ := os.ReadDir(filepath.Join(dir, partialDir))
	if len(left) != 1 {
		t.Fatalf("partial folder: got %d files, want the killed one", len(left))
	}
	if err := cleanPartial(dir, time.Now().Add(2*time.Hour), time.Hour); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, partialDir)); len(left) != 0 {
		t.Errorf("after clean: got %d files, want 0", len(left))
	}
}

// halfExport writes half a file, says so and waits to be killed. Its
// stdin ends only if the test died first; it then exits without finishing
// the file, as a kill would.
func halfExport(dir string) {
	WriteFileAtomic(filepath.Join(dir, "billing-2026-02.csv"), func(w io.Writer) error {
		io.WriteString(w, "month;kind\r\n2026-02;orig")
		os.Stdout.WriteString("half written\n")
		io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
		return nil
	})
	os.Exit(3)
}

func TestExporterRetriesAndRecords(t *testing.T) {
	ctx := context.Background()
	s, c, env := billingStore(t)
	dir := t.TempDir()
	// A file where the partial folder should be makes the first attempt
	// fail; the backoff wait removes it, so the second succeeds.
	blocker := filepath.Join(dir, partialDir)
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	reg := prometheus.NewRegistry()
	exp, err := NewExporter(s, ExporterOptions{
		Mapping: env.Mapping, Dir: dir, Loc: env.Loc, Now: c.Now, Attempts: 3, Backoff: 10 * time.Second, Registerer: reg,
		After: func(d time.Duration) <-chan time.Time {
			waits = append(waits, d)
			os.Remove(blocker)
			ch := make(chan time.Time, 1)
			ch <- c.t
			return ch
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ParsePeriod("2026-02", env.Loc)
	res, err := exp.Export(ctx, "billing", p, CSV)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempt != 2 || res.Rows != 4 || len(waits) != 1 || waits[0] != 10*time.Second {
		t.Errorf("result: got %+v waits %v", res, waits)
	}
	b, err := os.ReadFile(filepath.Join(dir, "billing-2026-02.csv"))
	if err != nil {
		t.Fatal(err)
	}
	golden, _ := os.ReadFile(filepath.Join("..", "testdata", "report", "billing-locked", "billing-2026-02.csv"))
	if !bytes.Equal(b, golden) {
		t.Errorf("file differs from golden:\n%s", b)
	}
	h := sha256.Sum256(b)
	runs, err := s.Runs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("runs: got %d, want 2", len(runs))
	}
	if r := runs[0]; r.Status != store.RunOK || r.Attempt != 2 || r.Rows != 4 || r.Checksum != hex.EncodeToString(h[:]) {
		t.Errorf("ok run: got %+v", r)
	}
	if r := runs[1]; r.Status != store.RunFailed || r.Attempt != 1 || r.Error != "report: export billing 2026-02: open "+blocker+": not a directory" {
		t.Errorf("failed run: got %+v", r)
	}
	counts := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "alusta_report_runs_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			counts[strings.Join(labels, ",")] = m.GetCounter().GetValue()
		}
	}
	if counts["report=billing,status=ok"] != 1 || counts["report=billing,status=failed"] != 1 {
		t.Errorf("metrics: got %v", counts)
	}
	// The reports not exported yet show zeros rather than nothing.
	if v, ok := counts["report=workload,status=failed"]; !ok || v != 0 || len(counts) != 2*len(Reports()) {
		t.Errorf("metrics: got %v, want a zero series per report and status", counts)
	}
}

func TestExporterGivesUp(t *testing.T) {
	ctx := context.Background()
	s, c, env := billingStore(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, partialDir), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	exp, err := NewExporter(s, ExporterOptions{Mapping: env.Mapping, Dir: dir, Loc: env.Loc, Now: c.Now, Attempts: 3, Backoff: time.Second,
		After: func(d time.Duration) <-chan time.Time {
			waits = append(waits, d)
			ch := make(chan time.Time, 1)
			ch <- c.t
			return ch
		}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ParsePeriod("2026-02", env.Loc)
	want := "report: export billing 2026-02: open " + filepath.Join(dir, partialDir) + ": not a directory"
	if _, err := exp.Export(ctx, "billing", p, XLSX); err == nil || err.Error() != want {
		t.Fatalf("got %v", err)
	}
	if len(waits) != 2 || waits[0] != time.Second || waits[1] != 2*time.Second {
		t.Errorf("backoff: got %v, want [1s 2s]", waits)
	}
	runs, _ := s.Runs(ctx, 0)
	if len(runs) != 3 || runs[0].Attempt != 3 || runs[0].Status != store.RunFailed {
		t.Errorf("runs: got %+v", runs)
	}
}

func TestProgress(t *testing.T) {
	ctx := context.Background()
	s, c, env := billingStore(t)
	var out bytes.Buffer
	exp, err := NewExporter(s, ExporterOptions{Mapping: env.Mapping, Dir: t.TempDir(), Loc: env.Loc, Now: c.Now, Progress: &out})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ParsePeriod("2026-02", env.Loc)
	if _, err := exp.Export(ctx, "billing", p, XLSX); err != nil {
		t.Fatal(err)
	}
	if out.String() != "\rbilling 2026-02: 4/4 rows\n" {
		t.Errorf("got %q", out.String())
	}
}

func TestIsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) {
		t.Error("a pipe: got terminal, want not")
	}
}
