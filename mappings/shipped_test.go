package mappings

import (
	"os"
	"testing"
)

// testDir is the copy of the shipped mapping the tests use: the file in
// this folder is the admin's to edit, and an edit must not break go test.
const testDir = "../testdata/rules/mappings"

// testYAML is the test copy's text, for tests that load variations of it.
func testYAML(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(testDir + "/" + FileName)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// testMapping is the test copy, loaded.
func testMapping(tb testing.TB) *Mapping {
	tb.Helper()
	m, err := Load(testDir)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}
