package report

import (
	"reflect"
	"testing"
)

// TestRowsByName checks that a row is saved keyed by column name, and that
// a row saved by position before (a billing month locked then) still reads.
func TestRowsByName(t *testing.T) {
	cols := []Column{{Name: "month", Kind: Month}, {Name: "orders", Kind: Int}, {Name: "total", Kind: Money}, {Name: "units", Kind: Decimal}}
	row := []any{"2026-02", int64(3), int64(10350), 2.5}
	s, err := encodeRow(cols, row)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"month":"2026-02","orders":3,"total":103.50,"units":2.50}`; s != want {
		t.Errorf("encode: got %s, want %s", s, want)
	}
	for _, in := range []string{s, `["2026-02",3,103.50,2.50]`} {
		got, err := decodeRow(cols, in)
		if err != nil || !reflect.DeepEqual(got, row) {
			t.Errorf("decode %s: got %v %v, want %v", in, got, err, row)
		}
	}
	if _, err := decodeRow(cols, `{"month":"2026-02"}`); err == nil || err.Error() != "row has no column orders" {
		t.Errorf("missing column: got %v", err)
	}
}
