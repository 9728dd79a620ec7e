package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func flagSet(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	for name := range flagKeys {
		fs.String(name, "", "")
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestPrecedence checks file < environment < flags, key by key.
func TestPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		env      []string
		args     []string
		baseURL  string
		store    string
		interval time.Duration
		rate     int
	}{
		{name: "defaults", baseURL: DefaultBaseURL, store: "./alusta.db", interval: 30 * time.Second, rate: 100},
		{name: "file", file: "testdata/alusta.yaml", baseURL: "http://file.example", store: "/var/lib/alusta/file.db", interval: 45 * time.Second, rate: 190},
		{name: "environment over file", file: "testdata/alusta.yaml",
			env:     []string{"ALUSTA_HUBSPOT_BASE_URL=http://env.example", "ALUSTA_STORE_PATH=/env.db", "ALUSTA_HUBSPOT_RATE_LIMIT=250", "OTHER=1"},
			baseURL: "http://env.example", store: "/env.db", interval: 45 * time.Second, rate: 250},
		{name: "flags over environment", file: "testdata/alusta.yaml",
			env:     []string{"ALUSTA_HUBSPOT_BASE_URL=http://env.example", "ALUSTA_SYNC_INTERVAL=1m"},
			args:    []string{"--base-url", "http://flag.example", "--interval", "5s"},
			baseURL: "http://flag.example", store: "/var/lib/alusta/file.db", interval: 5 * time.Second, rate: 190},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.file, flagSet(t, tt.args...), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.HubSpot.BaseURL != tt.baseURL {
				t.Errorf("hubspot.base_url: got %q, want %q", c.HubSpot.BaseURL, tt.baseURL)
			}
			if c.Store.Path != tt.store {
				t.Errorf("store.path: got %q, want %q", c.Store.Path, tt.store)
			}
			if c.Sync.Interval != tt.interval {
				t.Errorf("sync.interval: got %s, want %s", c.Sync.Interval, tt.interval)
			}
			if c.HubSpot.RateLimit != tt.rate {
				t.Errorf("hubspot.rate_limit: got %d, want %d", c.HubSpot.RateLimit, tt.rate)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  []string
		want string
	}{
		{name: "unknown key", file: "testdata/typo.yaml", want: `config: testdata/typo.yaml: unknown key "hubspot.tokne"`},
		{name: "missing explicit file", file: "testdata/nope.yaml", want: "config: open testdata/nope.yaml: no such file or directory"},
		{name: "rate limit", env: []string{"ALUSTA_HUBSPOT_RATE_LIMIT=120"}, want: "config: hubspot.rate_limit: 120: want 100, 190 or 250"},
		{name: "schedule", env: []string{"ALUSTA_REPORTS_SCHEDULE=every night"}, want: `config: reports.schedule: "every night": expected exactly 5 fields, found 2: [every night]`},
		{name: "time zone", env: []string{"ALUSTA_REPORTS_TIMEZONE=Mars/Olympus"}, want: "config: reports.timezone: unknown time zone Mars/Olympus"},
		{name: "token file", env: []string{"ALUSTA_HUBSPOT_TOKEN_FILE=testdata/absent-token"}, want: "config: hubspot.token_file: open testdata/absent-token: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.file, nil, tt.env)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

// TestTokenNeverShown reads the token from a file and checks that the
// printable form hides it while saying that one is set.
func TestTokenNeverShown(t *testing.T) {
	const token = "pat-eu1-00000000-secret"
	f := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(f, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load("", nil, []string{"ALUSTA_HUBSPOT_TOKEN_FILE=" + f, "ALUSTA_HTTP_WEBHOOK_SECRET=hook-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if c.HubSpot.Token != token {
		t.Fatalf("token: got %q, want the file's content trimmed", c.HubSpot.Token)
	}
	if c.Demo() {
		t.Error("Demo: got true with a token")
	}
	r := c.Redacted()
	if r.HubSpot.Token != "<redacted>" || r.HTTP.WebhookSecret != "<redacted>" {
		t.Errorf("Redacted: got token %q, secret %q", r.HubSpot.Token, r.HTTP.WebhookSecret)
	}
	if c.HubSpot.Token != token {
		t.Error("Redacted changed the original")
	}
	if strings.Contains(r.HubSpot.Token+r.HTTP.WebhookSecret, "secret") {
		t.Error("a secret survived redaction")
	}
}
