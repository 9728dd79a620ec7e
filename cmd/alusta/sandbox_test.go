package main

import (
	"testing"
	"time"

	"github.com/alusta/alusta/connector/sandbox"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		name, spec string
		want       sandbox.Faults
		err        string
	}{
		{name: "empty", spec: ""},
		{name: "all keys", spec: "429=0.05, 5xx=0.1,latency=150ms,lag=5s,seed=3",
			want: sandbox.Faults{TooManyShare: 0.05, ServerErrorShare: 0.1, Latency: 150 * time.Millisecond, SearchLag: 5 * time.Second, Seed: 3}},
		{name: "no value", spec: "429", err: `sandbox: --faults: "429": want key=value`},
		{name: "unknown key", spec: "slow=1", err: `sandbox: --faults: unknown key "slow" (want 429, 5xx, latency, lag or seed)`},
		{name: "bad duration", spec: "lag=soon", err: `sandbox: --faults: lag: time: invalid duration "soon"`},
		{name: "shares above one", spec: "429=0.6,5xx=0.6", err: "sandbox: --faults: shares must be between 0 and 1 and sum to at most 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFaults(tt.spec)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error: got %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSandboxOrigin(t *testing.T) {
	if got, want := sandboxOrigin("demo", "s.json", true), "state from s.json; --seed ignored"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := sandboxOrigin("", "s.json", false), "empty seed"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSandboxDemoSizeWantsDemoSeed(t *testing.T) {
	for _, args := range [][]string{
		{"sandbox", "--seed", "empty", "--demo-tickets", "10"},
		{"sandbox", "--demo-deals", "-1"},
	} {
		_, err := runAlusta(t, args...)
		if err == nil || err.Error() != "sandbox: --demo-tickets and --demo-deals want --seed demo and a positive count" {
			t.Errorf("%v: got %v", args, err)
		}
	}
}
