// Package config reads alusta's process settings: a YAML file, environment
// variables prefixed ALUSTA_ and command-line flags, in rising precedence.
// Rule and mapping files are not settings and are not read here: they need
// line numbers, which viper cannot give (see package pipelines).
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"
)

// DefaultBaseURL is HubSpot's API host.
const DefaultBaseURL = "https://api.hubapi.com"

// DefaultFile is read when --config is not given and the file exists.
const DefaultFile = "alusta.yaml"

// Config is the effective configuration. The mapstructure names are the
// public keys users and scripts rely on.
type Config struct {
	HubSpot   HubSpot `mapstructure:"hubspot" yaml:"hubspot"`
	Store     Store   `mapstructure:"store" yaml:"store"`
	Pipelines Dir     `mapstructure:"pipelines" yaml:"pipelines"`
	Mappings  Dir     `mapstructure:"mappings" yaml:"mappings"`
	HTTP      HTTP    `mapstructure:"http" yaml:"http"`
	Sync      Sync    `mapstructure:"sync" yaml:"sync"`
	Reports   Reports `mapstructure:"reports" yaml:"reports"`
	Log       Log     `mapstructure:"log" yaml:"log"`
	Sandbox   Sandbox `mapstructure:"sandbox" yaml:"sandbox"`
	File      string  `mapstructure:"-" yaml:"-"`
}

// HubSpot holds the connection to the portal.
type HubSpot struct {
	BaseURL   string `mapstructure:"base_url" yaml:"base_url"`
	Token     string `mapstructure:"token" yaml:"token"`
	TokenFile string `mapstructure:"token_file" yaml:"token_file"`
	// RateLimit is the private app's 10-second allowance: 100, 190 or 250.
	RateLimit int `mapstructure:"rate_limit" yaml:"rate_limit"`
	// SearchRate is the search endpoints' allowance per second.
	SearchRate int `mapstructure:"search_rate" yaml:"search_rate"`
	// DailyLimit is the portal's daily call quota.
	DailyLimit int `mapstructure:"daily_limit" yaml:"daily_limit"`
	// Timeout bounds one HTTP request.
	Timeout time.Duration `mapstructure:"timeout" yaml:"timeout"`
}

// Store is the SQLite cache.
type Store struct {
	Path string `mapstructure:"path" yaml:"path"`
}

// Dir is a folder of YAML files.
type Dir struct {
	Dir string `mapstructure:"dir" yaml:"dir"`
}

// HTTP is the daemon's listener (webhooks, health, metrics).
type HTTP struct {
	Addr          string `mapstructure:"addr" yaml:"addr"`
	WebhookSecret string `mapstructure:"webhook_secret" yaml:"webhook_secret"`
}

// Sync tunes the polling loop.
type Sync struct {
	Interval time.Duration `mapstructure:"interval" yaml:"interval"`
	// Lookback re-reads this much before the cursor, because HubSpot's
	// search index lags behind its writes.
	Lookback time.Duration `mapstructure:"lookback" yaml:"lookback"`
	// Reconcile is the cron schedule of the full reconcile.
	Reconcile string `mapstructure:"reconcile" yaml:"reconcile"`
}

// Reports is the nightly export.
type Reports struct {
	Dir      string `mapstructure:"dir" yaml:"dir"`
	Schedule string `mapstructure:"schedule" yaml:"schedule"`
	TimeZone string `mapstructure:"timezone" yaml:"timezone"`
	Format   string `mapstructure:"format" yaml:"format"`
}

// Log configures slog.
type Log struct {
	Level  string `mapstructure:"level" yaml:"level"`
	Format string `mapstructure:"format" yaml:"format"`
}

// Sandbox configures the embedded sandbox that demo mode starts.
type Sandbox struct {
	Seed  string `mapstructure:"seed" yaml:"seed"`
	State string `mapstructure:"state" yaml:"state"`
}

// defaults lists every key, which also makes each one reachable through
// its ALUSTA_ environment variable (viper only maps variables to keys it knows).
var defaults = map[string]any{
	"hubspot.base_url":    DefaultBaseURL,
	"hubspot.token":       "",
	"hubspot.token_file":  "",
	"hubspot.rate_limit":  100,
	"hubspot.search_rate": 5,
	"hubspot.daily_limit": 250000,
	"hubspot.timeout":     "30s",
	"store.path":          "./alusta.db",
	"pipelines.dir":       "./pipelines",
	"mappings.dir":        "./mappings",
	"http.addr":           "127.0.0.1:8080",
	"http.webhook_secret": "",
	"sync.interval":       "30s",
	"sync.lookback":       "2m",
	"sync.reconcile":      "30 3 * * *",
	"reports.dir":         "./reports",
	"reports.schedule":    "CRON_TZ=Europe/Helsinki 0 2 * * *",
	"reports.timezone":    "Europe/Helsinki",
	"reports.format":      "csv",
	"log.level":           "info",
	"log.format":          "text",
	"sandbox.seed":        "demo",
	"sandbox.state":       "",
}

// Flag names bound to keys; a command registers the flags it offers with
// the same names.
var flagKeys = map[string]string{
	"base-url":   "hubspot.base_url",
	"token-file": "hubspot.token_file",
	"store":      "store.path",
	"pipelines":  "pipelines.dir",
	"mappings":   "mappings.dir",
	"http-addr":  "http.addr",
	"interval":   "sync.interval",
	"reports":    "reports.dir",
	"log-level":  "log.level",
}

// Load reads the configuration. file is the --config value: "" means
// alusta.yaml in the working folder when present. flags may be nil.
// getenv is os.Getenv in production; tests pass their own.
func Load(file string, flags *pflag.FlagSet, environ []string) (*Config, error) {
	v := viper.New()
	for k, d := range defaults {
		v.SetDefault(k, d)
	}
	v.SetEnvPrefix("ALUSTA")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "ALUSTA_") {
			continue
		}
		key := envKey(name)
		if key == "" {
			continue
		}
		v.Set(key, val)
	}
	explicit := file != ""
	if !explicit {
		if _, err := os.Stat(DefaultFile); err == nil {
			file = DefaultFile
		}
	}
	if file != "" {
		if err := readFile(v, file); err != nil {
			if explicit || !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			file = ""
		}
	}
	if flags != nil {
		for name, key := range flagKeys {
			if f := flags.Lookup(name); f != nil && f.Changed {
				v.Set(key, f.Value.String())
			}
		}
	}
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.File = file
	if c.HubSpot.Token == "" && c.HubSpot.TokenFile != "" {
		b, err := os.ReadFile(c.HubSpot.TokenFile)
		if err != nil {
			// The path is safe to show; the content never is.
			return nil, fmt.Errorf("config: hubspot.token_file: %w", err)
		}
		c.HubSpot.Token = strings.TrimSpace(string(b))
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// envKey maps ALUSTA_HUBSPOT_BASE_URL to hubspot.base_url. Keys contain
// underscores themselves, so the split is found among the known keys
// rather than guessed.
func envKey(name string) string {
	want := strings.ToLower(strings.TrimPrefix(name, "ALUSTA_"))
	for k := range defaults {
		if strings.ReplaceAll(k, ".", "_") == want {
			return k
		}
	}
	return ""
}

// readFile merges a YAML file, rejecting keys alusta does not know so that a
// typo ("hubspot.tokne") is an error rather than a silent default.
func readFile(v *viper.Viper, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var tree map[string]any
	if err := yaml.Unmarshal(b, &tree); err != nil {
		return fmt.Errorf("config: %s: %w", file, err)
	}
	if err := checkKeys(file, tree, ""); err != nil {
		return err
	}
	v.SetConfigType("yaml")
	if err := v.MergeConfig(strings.NewReader(string(b))); err != nil {
		return fmt.Errorf("config: %s: %w", file, err)
	}
	return nil
}

func checkKeys(file string, tree map[string]any, prefix string) error {
	for k, val := range tree {
		key := prefix + k
		if sub, ok := val.(map[string]any); ok {
			if err := checkKeys(file, sub, key+"."); err != nil {
				return err
			}
			continue
		}
		if _, ok := defaults[key]; !ok {
			return fmt.Errorf("config: %s: unknown key %q", file, key)
		}
	}
	return nil
}

func (c *Config) validate() error {
	var errs []error
	switch c.HubSpot.RateLimit {
	case 100, 190, 250:
	default:
		errs = append(errs, fmt.Errorf("hubspot.rate_limit: %d: want 100, 190 or 250", c.HubSpot.RateLimit))
	}
	if c.HubSpot.SearchRate < 1 {
		errs = append(errs, fmt.Errorf("hubspot.search_rate: %d: want at least 1", c.HubSpot.SearchRate))
	}
	if c.Sync.Interval <= 0 {
		errs = append(errs, fmt.Errorf("sync.interval: %s: want a positive duration", c.Sync.Interval))
	}
	if c.Sync.Lookback < 0 {
		errs = append(errs, fmt.Errorf("sync.lookback: %s: want zero or more", c.Sync.Lookback))
	}
	if _, err := time.LoadLocation(c.Reports.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("reports.timezone: %w", err))
	}
	for key, spec := range map[string]string{"sync.reconcile": c.Sync.Reconcile, "reports.schedule": c.Reports.Schedule} {
		if _, err := cron.ParseStandard(spec); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q: %w", key, spec, err))
		}
	}
	if c.Store.Path == "" {
		errs = append(errs, errors.New("store.path: empty"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// Demo reports whether no token is configured, in which case alusta runs
// against its embedded sandbox.
func (c *Config) Demo() bool { return c.HubSpot.Token == "" }

// Redacted returns a copy that is safe to print: secrets replaced by a
// marker that still shows whether they were set.
func (c *Config) Redacted() Config {
	r := *c
	r.HubSpot.Token = redact(r.HubSpot.Token)
	r.HTTP.WebhookSecret = redact(r.HTTP.WebhookSecret)
	return r
}

func redact(s string) string {
	if s == "" {
		return ""
	}
	return "<redacted>"
}
