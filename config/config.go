// Package config reads alusta's process settings: a YAML file, environment
// variables prefixed ALUSTA_ and command-line flags, in rising precedence.
// Rule and mapping files are not settings and are not read here: they need
// line numbers, which viper cannot give (see package pipelines).
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
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
	Rules     Rules   `mapstructure:"rules" yaml:"rules"`
	HTTP      HTTP    `mapstructure:"http" yaml:"http"`
	Sync      Sync    `mapstructure:"sync" yaml:"sync"`
	Reports   Reports `mapstructure:"reports" yaml:"reports"`
	Log       Log     `mapstructure:"log" yaml:"log"`
	Sandbox   Sandbox `mapstructure:"sandbox" yaml:"sandbox"`
	File      string  `mapstructure:"-" yaml:"-"`
	// Warnings lists what was ignored, such as an ALUSTA_ variable that
	// names no setting (a typo, or a variable of alusta's tests).
	Warnings []string `mapstructure:"-" yaml:"-"`
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

// Rules gates rule changes.
type Rules struct {
	// MaxChanges is how many records a rule change may rewrite before it
	// waits for `alusta rules apply --yes`; -1 means no limit.
	MaxChanges int `mapstructure:"max_changes" yaml:"max_changes"`
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
	// Mode is live (decide and write) or shadow (decide, write nothing).
	Mode string `mapstructure:"mode" yaml:"mode"`
}

// Reports is the nightly export.
type Reports struct {
	Dir      string `mapstructure:"dir" yaml:"dir"`
	Schedule string `mapstructure:"schedule" yaml:"schedule"`
	TimeZone string `mapstructure:"timezone" yaml:"timezone"`
	Format   string `mapstructure:"format" yaml:"format"`
	// Currency is the amounts' ISO 4217 code in the billing export.
	Currency string `mapstructure:"currency" yaml:"currency"`
	// VAT is the rate per service, "ateria:14;kauppa:25.5"; a service not
	// listed is VAT-exempt, as Finnish social services are.
	VAT string `mapstructure:"vat" yaml:"vat"`
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
	"rules.max_changes":   200,
	"http.addr":           "127.0.0.1:8080",
	"http.webhook_secret": "",
	"sync.interval":       "30s",
	"sync.lookback":       "2m",
	"sync.reconcile":      "30 3 * * *",
	"sync.mode":           "live",
	"reports.dir":         "./reports",
	"reports.schedule":    "CRON_TZ=Europe/Helsinki 0 2 * * *",
	"reports.timezone":    "Europe/Helsinki",
	"reports.format":      "csv",
	"reports.currency":    "EUR",
	"reports.vat":         "",
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

// Error is one bad setting. It names where the value came from (a file
// position, an environment variable or a flag), the key and what is wrong:
//
//	alusta.yaml:3:3: hubspot.tokne: unknown key (hubspot has base_url, ...)
//	ALUSTA_HUBSPOT_RATE_LIMIT: hubspot.rate_limit: 120: want 100, 190 or 250
type Error struct {
	// Source is "file:line:col", "ALUSTA_..." or "--flag"; empty for a default.
	Source string
	Key    string
	Msg    string
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Key != "" {
		s = e.Key + ": " + s
	}
	if e.Source != "" {
		s = e.Source + ": " + s
	}
	return s
}

// kind is how a key's value is read.
type kind int

const (
	kindString kind = iota
	kindInt
	kindDuration
)

// durations are the keys read as Go durations; the other keys take their
// kind from their default.
var durations = map[string]bool{"hubspot.timeout": true, "sync.interval": true, "sync.lookback": true}

func kindOf(key string) kind {
	if durations[key] {
		return kindDuration
	}
	if _, ok := defaults[key].(int); ok {
		return kindInt
	}
	return kindString
}

// Load reads the configuration. file is the --config value: "" means
// alusta.yaml in the working folder when present. flags may be nil.
// environ is os.Environ() in production; tests pass their own.
func Load(file string, flags *pflag.FlagSet, environ []string) (*Config, error) {
	v := viper.New()
	for k, d := range defaults {
		v.SetDefault(k, d)
	}
	// source remembers where each key's effective value came from, so that
	// an error can point at it.
	source := map[string]string{}
	// problems gathers every bad setting, so one run reports them all: a
	// value that cannot be read falls back to its default for the checks
	// after it, and nothing is returned until all have run.
	var problems []error
	explicit := file != ""
	if !explicit {
		if _, err := os.Stat(DefaultFile); err == nil {
			file = DefaultFile
		}
	}
	if file != "" {
		vals, pos, err := readFile(file)
		switch {
		case err != nil && vals != nil:
			problems = append(problems, inner(err)...)
		case err != nil:
			if explicit || !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			file = ""
		}
		for k, val := range vals {
			v.Set(k, val)
			source[k] = pos[k]
		}
	}
	var ignored []string
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "ALUSTA_") {
			continue
		}
		key := envKey(name)
		if key == "" {
			ignored = append(ignored, name)
			continue
		}
		v.Set(key, val)
		source[key] = name
	}
	if flags != nil {
		for name, key := range flagKeys {
			if f := flags.Lookup(name); f != nil && f.Changed {
				v.Set(key, f.Value.String())
				source[key] = "--" + name
			}
		}
	}
	if err := checkKinds(v, source); err != nil {
		problems = append(problems, inner(err)...)
	}
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.File = file
	slices.Sort(ignored)
	for _, name := range ignored {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s is not a setting and was ignored", name))
	}
	if c.HubSpot.Token == "" && c.HubSpot.TokenFile != "" {
		b, err := os.ReadFile(c.HubSpot.TokenFile)
		if err != nil {
			// The path is safe to show; the content never is.
			problems = append(problems, &Error{Source: source["hubspot.token_file"], Key: "hubspot.token_file", Msg: err.Error()})
		}
		c.HubSpot.Token = strings.TrimSpace(string(b))
	}
	if err := c.validate(source); err != nil {
		problems = append(problems, inner(err)...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("config: %w", errors.Join(problems...))
	}
	return &c, nil
}

// inner unwraps a "config: " error into the problems it joins.
func inner(err error) []error {
	if j, ok := errors.Unwrap(err).(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if e := errors.Unwrap(err); e != nil {
		return []error{e}
	}
	return []error{err}
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

// yamlLine matches the position yaml.v3 puts in its syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// readFile reads the settings file through the yaml.Node tree, so that every
// problem keeps its line and column. It rejects keys alusta does not know, so
// that a typo ("hubspot.tokne") is an error rather than a silent default. It
// returns the values by dotted key and their positions as "file:line:col".
func readFile(file string) (map[string]any, map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			return nil, nil, fmt.Errorf("config: %s:%s: %s", file, m[1], msg[len(m[0]):])
		}
		return nil, nil, fmt.Errorf("config: %s: %s", file, strings.TrimPrefix(msg, "yaml: "))
	}
	vals, pos := map[string]any{}, map[string]string{}
	if len(doc.Content) == 0 {
		return vals, pos, nil // an empty file sets nothing
	}
	var errs []error
	at := func(n *yaml.Node) string { return fmt.Sprintf("%s:%d:%d", file, n.Line, n.Column) }
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := prefix + k.Value
			if line, dup := seen[k.Value]; dup {
				errs = append(errs, &Error{Source: at(k), Key: key, Msg: fmt.Sprintf("set twice (first at line %d)", line)})
				continue
			}
			seen[k.Value] = k.Line
			_, leaf := defaults[key]
			switch {
			case leaf && val.Kind == yaml.ScalarNode:
				if val.Tag == "!!null" {
					continue // "key:" with no value keeps the default
				}
				// The text as written: YAML would read a token like 0123
				// as a number and lose its zero; checkKinds reads each
				// key's kind from the text.
				vals[key], pos[key] = val.Value, at(val)
			case leaf:
				errs = append(errs, &Error{Source: at(val), Key: key, Msg: "want a single value, got " + nodeKind(val)})
			case isSection(key) && val.Kind == yaml.MappingNode:
				walk(val, key+".")
			case isSection(key) && val.Kind == yaml.ScalarNode && val.Tag == "!!null":
				// "hubspot:" with nothing under it sets nothing.
			case isSection(key):
				errs = append(errs, &Error{Source: at(val), Key: key, Msg: fmt.Sprintf("want a mapping of %s, got %s", strings.Join(keysUnder(key), ", "), nodeKind(val))})
			default:
				msg := "unknown key"
				if prefix == "" {
					msg += fmt.Sprintf(" (want one of %s)", strings.Join(keysUnder(""), ", "))
				} else {
					section := strings.TrimSuffix(prefix, ".")
					msg += fmt.Sprintf(" (%s has %s)", section, strings.Join(keysUnder(section), ", "))
				}
				errs = append(errs, &Error{Source: at(k), Key: key, Msg: msg})
			}
		}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			return vals, pos, nil
		}
		return nil, nil, fmt.Errorf("config: %w", &Error{Source: at(root), Msg: "want a mapping of settings, got " + nodeKind(root)})
	}
	walk(root, "")
	if len(errs) > 0 {
		// The values that were read still are, so later checks run on them.
		return vals, pos, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return vals, pos, nil
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%q", n.Value)
}

// isSection reports whether key is a section ("hubspot") rather than a
// setting.
func isSection(key string) bool {
	for k := range defaults {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// keysUnder lists the names directly under section ("" for the top level),
// sorted, for error messages.
func keysUnder(section string) []string {
	set := map[string]bool{}
	for k := range defaults {
		rest := k
		if section != "" {
			var ok bool
			if rest, ok = strings.CutPrefix(k, section+"."); !ok {
				continue
			}
		}
		name, _, _ := strings.Cut(rest, ".")
		set[name] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// checkKinds checks that every value reads as its key's kind before viper's
// weak decoding gets to it: weak decoding turns "interval: 30" into 30ns
// and "rate_limit: lots" into an error that names no source.
func checkKinds(v *viper.Viper, source map[string]string) error {
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(defaults)) {
		src, ok := source[key]
		if !ok {
			continue // a default
		}
		val := v.Get(key)
		bad := func(msg string) {
			errs = append(errs, &Error{Source: src, Key: key, Msg: fmt.Sprintf("%v: %s", val, msg)})
			v.Set(key, defaults[key]) // so that the checks after this one run
		}
		switch kindOf(key) {
		case kindInt:
			switch x := val.(type) {
			case int, int64, uint64:
			case string:
				if _, err := strconv.Atoi(strings.TrimSpace(x)); err != nil {
					bad("want a whole number")
				} else {
					v.Set(key, strings.TrimSpace(x))
				}
			default:
				bad("want a whole number")
			}
		case kindDuration:
			switch x := val.(type) {
			case string:
				if _, err := time.ParseDuration(strings.TrimSpace(x)); err != nil {
					bad("want a duration with a unit, such as 30s, 2m or 1h")
				} else {
					v.Set(key, strings.TrimSpace(x))
				}
			case int, int64, uint64, float64:
				if fmt.Sprint(x) != "0" {
					bad("want a duration with a unit, such as 30s, 2m or 1h")
				}
			default:
				bad("want a duration with a unit, such as 30s, 2m or 1h")
			}
		default:
			switch x := val.(type) {
			case string:
			case int, int64, uint64, float64, bool:
				v.Set(key, fmt.Sprint(x))
			default:
				bad("want a single value")
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

var (
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	vatRE      = regexp.MustCompile(`^\s*([^:;\s][^:;]*:\s*\d{1,3}([.,]\d{1,2})?\s*(;\s*|$))*$`)
)

func (c *Config) validate(source map[string]string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &Error{Source: source[key], Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if u, err := url.Parse(c.HubSpot.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("hubspot.base_url", "%q: want an http or https URL such as %s", c.HubSpot.BaseURL, DefaultBaseURL)
	}
	switch c.HubSpot.RateLimit {
	case 100, 190, 250:
	default:
		bad("hubspot.rate_limit", "%d: want 100, 190 or 250", c.HubSpot.RateLimit)
	}
	if c.HubSpot.SearchRate < 1 {
		bad("hubspot.search_rate", "%d: want at least 1", c.HubSpot.SearchRate)
	}
	if c.HubSpot.DailyLimit < 1 {
		bad("hubspot.daily_limit", "%d: want at least 1", c.HubSpot.DailyLimit)
	}
	if c.HubSpot.Timeout <= 0 {
		bad("hubspot.timeout", "%s: want a positive duration", c.HubSpot.Timeout)
	}
	if c.Store.Path == "" {
		bad("store.path", "empty")
	}
	if c.Sync.Mode != "live" && c.Sync.Mode != "shadow" {
		bad("sync.mode", "%q: want live or shadow", c.Sync.Mode)
	}
	if c.Rules.MaxChanges == 0 || c.Rules.MaxChanges < -1 {
		bad("rules.max_changes", "%d: want at least 1 record, or -1 for no limit", c.Rules.MaxChanges)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "%q: want host:port, such as 127.0.0.1:8080", c.HTTP.Addr)
	}
	if c.Sync.Interval <= 0 {
		bad("sync.interval", "%s: want a positive duration", c.Sync.Interval)
	}
	if c.Sync.Lookback < 0 {
		bad("sync.lookback", "%s: want zero or more", c.Sync.Lookback)
	}
	for _, kv := range []struct{ key, spec string }{{"sync.reconcile", c.Sync.Reconcile}, {"reports.schedule", c.Reports.Schedule}} {
		if _, err := cron.ParseStandard(kv.spec); err != nil {
			bad(kv.key, "%q: %v", kv.spec, err)
		}
	}
	if _, err := time.LoadLocation(c.Reports.TimeZone); err != nil {
		bad("reports.timezone", "%v", err)
	}
	// oneOf checks a word from a short list and folds its case, so that
	// "XLSX" works wherever "xlsx" does.
	oneOf := func(key string, val *string, want ...string) {
		if w := strings.ToLower(strings.TrimSpace(*val)); slices.Contains(want, w) {
			*val = w
			return
		}
		bad(key, "%q: want %s or %s", *val, strings.Join(want[:len(want)-1], ", "), want[len(want)-1])
	}
	oneOf("reports.format", &c.Reports.Format, "csv", "xlsx")
	if !currencyRE.MatchString(c.Reports.Currency) {
		bad("reports.currency", "%q: want an ISO 4217 code such as EUR", c.Reports.Currency)
	}
	if !vatRE.MatchString(c.Reports.VAT) {
		bad("reports.vat", "%q: want service:percent pairs separated by semicolons, such as ateria:14;kauppa:25.5", c.Reports.VAT)
	}
	oneOf("log.level", &c.Log.Level, "debug", "info", "warn", "error")
	oneOf("log.format", &c.Log.Format, "text", "json")
	oneOf("sandbox.seed", &c.Sandbox.Seed, "demo", "empty")
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
