package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
		args []string
		want string
	}{
		{name: "unknown key", file: "testdata/typo.yaml",
			want: `config: testdata/typo.yaml:2:3: hubspot.tokne: unknown key (hubspot has base_url, daily_limit, rate_limit, search_rate, timeout, token, token_file)`},
		{name: "missing explicit file", file: "testdata/nope.yaml", want: "config: open testdata/nope.yaml: no such file or directory"},
		{name: "syntax", file: "testdata/syntax.yaml", want: "config: testdata/syntax.yaml:1: did not find expected node content"},
		{name: "shapes", file: "testdata/shapes.yaml", want: "config: testdata/shapes.yaml:3:3: hubspot.base_url: set twice (first at line 2)\n" +
			"testdata/shapes.yaml:4:7: sync: want a mapping of interval, lookback, mode, reconcile, got \"30s\"\n" +
			"testdata/shapes.yaml:6:8: reports.dir: want a single value, got a list"},
		{name: "values in the file name their line, all at once", file: "testdata/values.yaml",
			want: "config: testdata/values.yaml:3:12: hubspot.timeout: 30: want a duration with a unit, such as 30s, 2m or 1h\n" +
				"testdata/values.yaml:5:13: sync.interval: 30: want a duration with a unit, such as 30s, 2m or 1h\n" +
				"testdata/values.yaml:2:15: hubspot.rate_limit: 99: want 100, 190 or 250\n" +
				"testdata/values.yaml:7:10: log.level: \"verbose\": want debug, info, warn or error"},
		{name: "billing settings", env: []string{"ALUSTA_REPORTS_CURRENCY=euro", "ALUSTA_REPORTS_VAT=ateria:14;kauppa=25.5"},
			want: "config: ALUSTA_REPORTS_CURRENCY: reports.currency: \"euro\": want an ISO 4217 code such as EUR\n" +
				"ALUSTA_REPORTS_VAT: reports.vat: \"ateria:14;kauppa=25.5\": want service:percent pairs separated by semicolons, such as ateria:14;kauppa:25.5"},
		{name: "unknown keys, kinds and values together", file: "testdata/values.yaml", env: []string{"ALUSTA_SYNC_MODE=varjo"},
			args: []string{"--interval", "5"},
			want: "config: testdata/values.yaml:3:12: hubspot.timeout: 30: want a duration with a unit, such as 30s, 2m or 1h\n" +
				"--interval: sync.interval: 5: want a duration with a unit, such as 30s, 2m or 1h\n" +
				"testdata/values.yaml:2:15: hubspot.rate_limit: 99: want 100, 190 or 250\n" +
				"ALUSTA_SYNC_MODE: sync.mode: \"varjo\": want live or shadow\n" +
				"testdata/values.yaml:7:10: log.level: \"verbose\": want debug, info, warn or error"},
		{name: "checks after decoding name the line too", file: "testdata/values.yaml", env: []string{"ALUSTA_HUBSPOT_TIMEOUT=10s", "ALUSTA_SYNC_INTERVAL=1m"},
			want: "config: testdata/values.yaml:2:15: hubspot.rate_limit: 99: want 100, 190 or 250\n" +
				"testdata/values.yaml:7:10: log.level: \"verbose\": want debug, info, warn or error"},
		{name: "not a number", file: "testdata/notnumber.yaml", want: "config: testdata/notnumber.yaml:2:15: hubspot.rate_limit: lots: want a whole number"},
		{name: "not a number in the environment", env: []string{"ALUSTA_HUBSPOT_SEARCH_RATE=five"}, want: "config: ALUSTA_HUBSPOT_SEARCH_RATE: hubspot.search_rate: five: want a whole number"},
		{name: "rate limit", env: []string{"ALUSTA_HUBSPOT_RATE_LIMIT=120"}, want: "config: ALUSTA_HUBSPOT_RATE_LIMIT: hubspot.rate_limit: 120: want 100, 190 or 250"},
		{name: "interval flag", args: []string{"--interval", "5"}, want: "config: --interval: sync.interval: 5: want a duration with a unit, such as 30s, 2m or 1h"},
		{name: "schedule", env: []string{"ALUSTA_REPORTS_SCHEDULE=every night"}, want: `config: ALUSTA_REPORTS_SCHEDULE: reports.schedule: "every night": expected exactly 5 fields, found 2: [every night]`},
		{name: "time zone", env: []string{"ALUSTA_REPORTS_TIMEZONE=Mars/Olympus"}, want: "config: ALUSTA_REPORTS_TIMEZONE: reports.timezone: unknown time zone Mars/Olympus"},
		{name: "report format", env: []string{"ALUSTA_REPORTS_FORMAT=pdf"}, want: `config: ALUSTA_REPORTS_FORMAT: reports.format: "pdf": want csv or xlsx`},
		{name: "base URL", args: []string{"--base-url", "api.hubapi.com"}, want: `config: --base-url: hubspot.base_url: "api.hubapi.com": want an http or https URL such as https://api.hubapi.com`},
		{name: "listen address", env: []string{"ALUSTA_HTTP_ADDR=8080"}, want: `config: ALUSTA_HTTP_ADDR: http.addr: "8080": want host:port, such as 127.0.0.1:8080`},
		{name: "token file", env: []string{"ALUSTA_HUBSPOT_TOKEN_FILE=testdata/absent-token"}, want: "config: ALUSTA_HUBSPOT_TOKEN_FILE: hubspot.token_file: open testdata/absent-token: no such file or directory"},
		{name: "one listener for both", args: []string{"--public-addr", "127.0.0.1:8080"},
			want: `config: --public-addr: public.addr: "127.0.0.1:8080": the same as http.addr; operations and public endpoints never share a listener`},
		{name: "public base URL", env: []string{"ALUSTA_PUBLIC_BASE_URL=tilaukset.example.fi"},
			want: `config: ALUSTA_PUBLIC_BASE_URL: public.base_url: "tilaukset.example.fi": want the http or https URL outsiders use, such as https://tilaukset.example.fi`},
		{name: "link lifetime", env: []string{"ALUSTA_PUBLIC_LINK_TTL=10m"}, want: "config: ALUSTA_PUBLIC_LINK_TTL: public.link_ttl: 10m0s: want at least 1h"},
		{name: "personal id switch", env: []string{"ALUSTA_INTAKE_ACCEPT_PERSONAL_ID=maybe"}, want: "config: ALUSTA_INTAKE_ACCEPT_PERSONAL_ID: intake.accept_personal_id: maybe: want true or false"},
		{name: "smtp", env: []string{"ALUSTA_NOTIFY_SMTP_TLS=ssl", "ALUSTA_NOTIFY_SMTP_PORT=0", "ALUSTA_NOTIFY_SMTP_PASSWORD_FILE=testdata/absent-password"},
			want: "config: ALUSTA_NOTIFY_SMTP_PASSWORD_FILE: notify.smtp.password_file: open testdata/absent-password: no such file or directory\n" +
				"ALUSTA_NOTIFY_SMTP_PORT: notify.smtp.port: 0: want a port from 1 to 65535\n" +
				"ALUSTA_NOTIFY_SMTP_TLS: notify.smtp.tls: \"ssl\": want starttls, tls or none"},
		{name: "smtp values", env: []string{"ALUSTA_NOTIFY_SMTP_TLS=ssl", "ALUSTA_NOTIFY_SMTP_PORT=0", "ALUSTA_NOTIFY_SMTP_FROM=alusta"},
			want: "config: ALUSTA_NOTIFY_SMTP_PORT: notify.smtp.port: 0: want a port from 1 to 65535\n" +
				"ALUSTA_NOTIFY_SMTP_TLS: notify.smtp.tls: \"ssl\": want starttls, tls or none\n" +
				"ALUSTA_NOTIFY_SMTP_FROM: notify.smtp.from: \"alusta\": want an e-mail address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.file, flagSet(t, tt.args...), tt.env)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

// TestOrderLoopSettings checks the public listener's and the
// notifications' settings and their defaults.
func TestOrderLoopSettings(t *testing.T) {
	c, err := Load("", flagSet(t), []string{"ALUSTA_INTAKE_ACCEPT_PERSONAL_ID=true", "ALUSTA_NOTIFY_SMTP_HOST=smtp.example.fi"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Public.Addr != "127.0.0.1:8081" || c.Public.BaseURL != "http://127.0.0.1:8081" || c.Public.LinkTTL != 14*24*time.Hour ||
		c.Public.LinkSecretFile != "./alusta-link.key" {
		t.Errorf("public: got %+v, want 127.0.0.1:8081, its URL, 14 days", c.Public)
	}
	if !c.Intake.AcceptPersonalID || c.Notify.SMTP.Host != "smtp.example.fi" || c.Notify.SMTP.Port != 587 || c.Notify.SMTP.TLS != "starttls" || c.Notify.OutboxDir != "./outbox" {
		t.Errorf("got intake %+v notify %+v", c.Intake, c.Notify)
	}
}

// TestEmptySections checks that a section or key with nothing after it keeps
// the defaults instead of being taken for an unknown key, and that word
// settings fold their case.
func TestEmptySections(t *testing.T) {
	c, err := Load("testdata/empty-sections.yaml", nil, []string{"ALUSTA_REPORTS_FORMAT=XLSX", "ALUSTA_LOG_LEVEL=Debug"})
	if err != nil {
		t.Fatal(err)
	}
	if c.HubSpot.BaseURL != DefaultBaseURL || c.Store.Path != "./alusta.db" {
		t.Errorf("got base URL %q, store %q, want the defaults", c.HubSpot.BaseURL, c.Store.Path)
	}
	if c.Reports.Format != "xlsx" || c.Log.Level != "debug" {
		t.Errorf("got format %q, level %q, want xlsx and debug", c.Reports.Format, c.Log.Level)
	}
}

// TestValuesAsWritten checks that a value is read as its text: a token of
// digits keeps its leading zero, a number in quotes is still a number.
func TestValuesAsWritten(t *testing.T) {
	f := filepath.Join(t.TempDir(), "alusta.yaml")
	if err := os.WriteFile(f, []byte("hubspot:\n  token: 0123\n  rate_limit: \"250\"\n  timeout: 1m\nhttp:\n  addr: 127.0.0.1:9000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.HubSpot.Token != "0123" || c.HubSpot.RateLimit != 250 || c.HubSpot.Timeout != time.Minute || c.HTTP.Addr != "127.0.0.1:9000" {
		t.Errorf("got token %q, rate %d, timeout %s, addr %q", c.HubSpot.Token, c.HubSpot.RateLimit, c.HubSpot.Timeout, c.HTTP.Addr)
	}
}

// TestUnknownVariable checks that an ALUSTA_ variable that names no setting
// is reported rather than silently dropped.
func TestUnknownVariable(t *testing.T) {
	c, err := Load("", nil, []string{"ALUSTA_HUBSPOT_TOKNE=x", "ALUSTA_HUBSPOT_RATE_LIMIT=190", "HOME=/root"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ALUSTA_HUBSPOT_TOKNE is not a setting and was ignored"}
	if !slices.Equal(c.Warnings, want) {
		t.Errorf("got %q, want %q", c.Warnings, want)
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

// TestTokenFileModeWarning checks that a token file others can read is
// named in a warning that says what to do, and one kept private is not.
// Before, a loosely permitted file passed silently.
func TestTokenFileModeWarning(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode os.FileMode
		want []string
	}{
		{name: "private", mode: 0o600},
		{name: "group readable", mode: 0o640, want: []string{"ALUSTA_HUBSPOT_TOKEN_FILE: hubspot.token_file: %s can be read by group or others (mode 0640): chmod 600 it"}},
		{name: "world readable", mode: 0o644, want: []string{"ALUSTA_HUBSPOT_TOKEN_FILE: hubspot.token_file: %s can be read by group or others (mode 0644): chmod 600 it"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(f, []byte("pat-eu1-secret\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(f, tt.mode); err != nil {
				t.Fatal(err)
			}
			c, err := Load("", nil, []string{"ALUSTA_HUBSPOT_TOKEN_FILE=" + f})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, fmt.Sprintf(w, f))
			}
			if !slices.Equal(c.Warnings, want) {
				t.Errorf("got %q, want %q", c.Warnings, want)
			}
			if strings.Contains(strings.Join(c.Warnings, ""), "secret") {
				t.Error("a warning shows the token")
			}
		})
	}
}
