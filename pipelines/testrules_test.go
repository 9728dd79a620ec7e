package pipelines

import (
	"testing"

	"github.com/alusta/alusta/mappings"
)

// testRulesDir holds the tests' copy of the shipped rules: the rule files
// in this folder are the admins' to edit, and an edit must not break go
// test. The shipped rules are checked by alusta rules check and rules
// test in CI.
const testRulesDir = "../testdata/rules/pipelines"

// testMapping is the tests' copy of the shipped mapping.
func testMapping(tb testing.TB) *mappings.Mapping {
	tb.Helper()
	m, err := mappings.Load("../testdata/rules/mappings")
	if err != nil {
		tb.Fatal(err)
	}
	return m
}
