package pipelines_test

import (
	"testing"

	"github.com/alusta/alusta/mappings"
)

// shippedMapping is the test copy of the shipped mapping: the file under
// mappings/ is the admin's to edit.
func shippedMapping(tb testing.TB) *mappings.Mapping {
	tb.Helper()
	m, err := mappings.Load("../testdata/rules/mappings")
	if err != nil {
		tb.Fatal(err)
	}
	return m
}
