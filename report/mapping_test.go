package report

import (
	"testing"

	"github.com/alusta/alusta/mappings"
)

// testMapping is the test copy of the shipped mapping, which names the
// referral pipeline the referrals report reads.
func testMapping(tb testing.TB) *mappings.Mapping {
	tb.Helper()
	m, err := mappings.Load("../testdata/rules/mappings")
	if err != nil {
		tb.Fatal(err)
	}
	return m
}
