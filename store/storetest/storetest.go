// Package storetest helps tests prove what the SQLite cache does not hold,
// by reading its files byte by byte as an outsider would. It is for tests
// only, as net/http/httptest is.
package storetest

import (
	"bytes"
	"os"
	"regexp"
	"testing"
)

// CodeForms are one identity code in every form a bad-input audit found
// stored: each of the 13 century markers, glued to words, two in a row
// and with an en dash.
func CodeForms() []string {
	var out []string
	for _, m := range "+-YXWVUABCDEF" {
		out = append(out, "131052"+string(m)+"308T")
	}
	return append(out, "HETU131052-308T", "asiakas_131052-308T", "131052-308T010105B123A", "131052–308T")
}

// code is the plain ASCII shape of an identity code.
var code = regexp.MustCompile(`\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]`)

// Files returns the bytes of the database at path and of its WAL.
func Files(t testing.TB, path string) []byte {
	t.Helper()
	var db []byte
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		db = append(db, b...)
	}
	return db
}

// AssertNoCodes fails t when db holds an identity code of the plain shape
// or any of forms.
func AssertNoCodes(t testing.TB, db []byte, forms []string) {
	t.Helper()
	if m := code.Find(db); m != nil {
		t.Errorf("the store holds an identity code: %s", m)
	}
	for _, f := range forms {
		if bytes.Contains(db, []byte(f)) {
			t.Errorf("the store holds %q", f)
		}
	}
}
