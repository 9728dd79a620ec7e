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
	Console   Console `mapstructure:"console" yaml:"console"`
	Public    Public  `mapstructure:"public" yaml:"public"`
	Intake    Intake  `mapstructure:"intake" yaml:"intake"`
	Notify    Notify  `mapstructure:"notify" yaml:"notify"`
	File      string  `mapstructure:"-" yaml:"-"`
	// Warnings lists what was ignored, such as an ALUSTA_ variable that
	// names no setting (a typo, or a variable of alusta's tests).
	Warnings []string `mapstructure:"-" yaml:"-"`
	// Sources names where each key set explicitly came from ("file:line:col",
	// "ALUSTA_...", "--flag"); keys left at their default are absent.
	Sources map[string]string `mapstructure:"-" yaml:"-"`
	// ForceDemo is the --demo flag: run against the embedded sandbox even
	// though the configuration looks like production.
	ForceDemo bool `mapstructure:"-" yaml:"-"`
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
	// Location is TimeZone, loaded once when the settings are read.
	Location *time.Location `mapstructure:"-" yaml:"-"`
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

// Console protects and configures the operations console on http.addr.
type Console struct {
	// Auth is "none" (loopback only), "oidc" or "proxy".
	Auth string `mapstructure:"auth" yaml:"auth"`
	// AllowedGroups lists, comma-separated, the groups that may sign in.
	AllowedGroups    string `mapstructure:"allowed_groups" yaml:"allowed_groups"`
	OIDCIssuer       string `mapstructure:"oidc_issuer" yaml:"oidc_issuer"`
	OIDCClientID     string `mapstructure:"oidc_client_id" yaml:"oidc_client_id"`
	OIDCClientSecret string `mapstructure:"oidc_client_secret" yaml:"oidc_client_secret"`
	OIDCRedirectURL  string `mapstructure:"oidc_redirect_url" yaml:"oidc_redirect_url"`
	OIDCGroupsClaim  string `mapstructure:"oidc_groups_claim" yaml:"oidc_groups_claim"`
	// ProxyTrusted lists, comma-separated, the addresses or CIDR ranges of
	// the reverse proxies whose X-Forwarded-User header is believed.
	ProxyTrusted string `mapstructure:"proxy_trusted" yaml:"proxy_trusted"`
	// PortalID is the HubSpot portal (hub) id, for links to records.
	PortalID string `mapstructure:"portal_id" yaml:"portal_id"`
}

// Public is the listener outsiders reach through a reverse proxy: the
// intake API, providers' order pages and HubSpot's webhooks.
type Public struct {
	Addr string `mapstructure:"addr" yaml:"addr"`
	// BaseURL is the address outsiders use, put into links; empty means
	// http://ADDR.
	BaseURL string `mapstructure:"base_url" yaml:"base_url"`
	// LinkSecretFile holds the key signed links are made with; alusta
	// creates it (0600) when missing. Empty means beside the store.
	LinkSecretFile string        `mapstructure:"link_secret_file" yaml:"link_secret_file"`
	LinkTTL        time.Duration `mapstructure:"link_ttl" yaml:"link_ttl"`
	// RateLimit is requests per minute per client address.
	RateLimit int `mapstructure:"rate_limit" yaml:"rate_limit"`
}

// Intake is the orderers' way in.
type Intake struct {
	AcceptPersonalID bool `mapstructure:"accept_personal_id" yaml:"accept_personal_id"`
	// Municipalities is a comma-separated list; empty means the Kotitori
	// area's.
	Municipalities string `mapstructure:"municipalities" yaml:"municipalities"`
}

// Notify is how providers are told.
type Notify struct {
	OutboxDir     string `mapstructure:"outbox_dir" yaml:"outbox_dir"`
	WebhookSecret string `mapstructure:"webhook_secret" yaml:"webhook_secret"`
	SMTP          SMTP   `mapstructure:"smtp" yaml:"smtp"`
}

// SMTP is the mail server; with no host, mail goes to Notify.OutboxDir.
type SMTP struct {
	Host         string `mapstructure:"host" yaml:"host"`
	Port         int    `mapstructure:"port" yaml:"port"`
	TLS          string `mapstructure:"tls" yaml:"tls"`
	Username     string `mapstructure:"username" yaml:"username"`
	PasswordFile string `mapstructure:"password_file" yaml:"password_file"`
	From         string `mapstructure:"from" yaml:"from"`
	// Password is read from PasswordFile; it is never a setting itself.
	Password string `mapstructure:"-" yaml:"-"`
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

	"console.auth":               "none",
	"console.allowed_groups":     "",
	"console.oidc_issuer":        "",
	"console.oidc_client_id":     "",
	"console.oidc_client_secret": "",
	"console.oidc_redirect_url":  "",
	"console.oidc_groups_claim":  "groups",
	"console.proxy_trusted":      "",
	"console.portal_id":          "",
	"public.addr":                "127.0.0.1:8081",
	"public.base_url":            "",
	"public.link_secret_file":    "",
	"public.link_ttl":            "336h",
	"public.rate_limit":          120,
	"intake.accept_personal_id":  false,
	"intake.municipalities":      "",
	"notify.outbox_dir":          "./outbox",
	"notify.webhook_secret":      "",
	"notify.smtp.host":           "",
	"notify.smtp.port":           587,
	"notify.smtp.tls":            "starttls",
	"notify.smtp.username":       "",
	"notify.smtp.password_file":  "",
	"notify.smtp.from":           "alusta@localhost",
}

// Flag names bound to keys; a command registers the flags it offers with
// the same names.
var flagKeys = map[string]string{
	"base-url":    "hubspot.base_url",
	"token-file":  "hubspot.token_file",
	"store":       "store.path",
	"pipelines":   "pipelines.dir",
	"mappings":    "mappings.dir",
	"http-addr":   "http.addr",
	"public-addr": "public.addr",
	"interval":    "sync.interval",
	"reports":     "reports.dir",
	"log-level":   "log.level",
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
	kindBool
)

// durations are the keys read as Go durations; the other keys take their
// kind from their default.
var durations = map[string]bool{"hubspot.timeout": true, "sync.interval": true, "sync.lookback": true, "public.link_ttl": true}

func kindOf(key string) kind {
	if durations[key] {
		return kindDuration
	}
	if _, ok := defaults[key].(int); ok {
		return kindInt
	}
	if _, ok := defaults[key].(bool); ok {
		return kindBool
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
	c.Sources = source
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
		// A token anyone on the machine can read is a token anyone can
		// use; it still works, so this is a warning, not an error.
		if info, err := os.Stat(c.HubSpot.TokenFile); err == nil && info.Mode().Perm()&0o077 != 0 {
			e := &Error{Source: source["hubspot.token_file"], Key: "hubspot.token_file", Msg: fmt.Sprintf(
				"%s can be read by group or others (mode %04o): chmod 600 it", c.HubSpot.TokenFile, info.Mode().Perm())}
			c.Warnings = append(c.Warnings, e.Error())
		}
	}
	if f := c.Notify.SMTP.PasswordFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, &Error{Source: source["notify.smtp.password_file"], Key: "notify.smtp.password_file", Msg: err.Error()})
		}
		c.Notify.SMTP.Password = strings.TrimSpace(string(b))
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
		case kindBool:
			switch x := val.(type) {
			case bool:
			case string:
				b, err := strconv.ParseBool(strings.TrimSpace(x))
				if err != nil {
					bad("want true or false")
				} else {
					v.Set(key, b)
				}
			default:
				bad("want true or false")
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
	if loc, err := time.LoadLocation(c.Reports.TimeZone); err != nil {
		bad("reports.timezone", "%v", err)
	} else {
		c.Reports.Location = loc
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
	oneOf("console.auth", &c.Console.Auth, "none", "oidc", "proxy")
	switch c.Console.Auth {
	case "oidc":
		for _, kv := range []struct{ key, val string }{
			{"console.allowed_groups", c.Console.AllowedGroups}, {"console.oidc_client_id", c.Console.OIDCClientID},
			{"console.oidc_client_secret", c.Console.OIDCClientSecret}, {"console.oidc_issuer", c.Console.OIDCIssuer},
			{"console.oidc_redirect_url", c.Console.OIDCRedirectURL},
		} {
			if strings.TrimSpace(kv.val) == "" {
				bad(kv.key, "empty: console.auth oidc needs it")
			}
		}
	case "proxy":
		if strings.TrimSpace(c.Console.ProxyTrusted) == "" {
			bad("console.proxy_trusted", "empty: console.auth proxy needs the proxy's addresses")
		}
		if strings.TrimSpace(c.Console.AllowedGroups) == "" {
			bad("console.allowed_groups", "empty: console.auth proxy needs the groups allowed in")
		}
	}
	if _, _, err := net.SplitHostPort(c.Public.Addr); err != nil {
		bad("public.addr", "%q: want host:port, such as 127.0.0.1:8081", c.Public.Addr)
	} else if c.Public.Addr == c.HTTP.Addr {
		bad("public.addr", "%q: the same as http.addr; operations and public endpoints never share a listener", c.Public.Addr)
	}
	if c.Public.BaseURL == "" {
		c.Public.BaseURL = "http://" + c.Public.Addr
	} else if u, err := url.Parse(c.Public.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		bad("public.base_url", "%q: want the http or https URL outsiders use, such as https://tilaukset.example.fi", c.Public.BaseURL)
	}
	if c.Public.LinkSecretFile == "" {
		// Beside the store, as the demo sandbox's state is: links belong
		// to the store whose orders they open.
		c.Public.LinkSecretFile = strings.TrimSuffix(c.Store.Path, ".db") + "-link.key"
	}
	if c.Public.LinkTTL < time.Hour {
		bad("public.link_ttl", "%s: want at least 1h", c.Public.LinkTTL)
	}
	if c.Public.RateLimit < 1 {
		bad("public.rate_limit", "%d: want at least 1", c.Public.RateLimit)
	}
	if c.Notify.OutboxDir == "" && c.Notify.SMTP.Host == "" {
		bad("notify.outbox_dir", "empty, and no notify.smtp.host: mail would have nowhere to go")
	}
	if c.Notify.SMTP.Port < 1 || c.Notify.SMTP.Port > 65535 {
		bad("notify.smtp.port", "%d: want a port from 1 to 65535", c.Notify.SMTP.Port)
	}
	oneOf("notify.smtp.tls", &c.Notify.SMTP.TLS, "starttls", "tls", "none")
	if f := c.Notify.SMTP.From; !strings.Contains(f, "@") {
		bad("notify.smtp.from", "%q: want an e-mail address", f)
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// Demo reports whether alusta runs against its embedded sandbox: --demo was
// given, or no token is configured (CheckDemo refuses the latter where the
// configuration looks like production).
func (c *Config) Demo() bool { return c.ForceDemo || c.HubSpot.Token == "" }

// productionKeys are settings a newcomer trying the demo never sets: any of
// them set explicitly means someone meant a real portal, and a missing token
// is then a mistake (a secret that failed to mount), not a wish for the demo.
var productionKeys = []string{"store.path", "hubspot.base_url", "hubspot.token_file", "http.webhook_secret"}

// CheckDemo refuses to fall into demo mode for want of a token when the
// configuration looks like production; --demo (ForceDemo) overrides.
func (c *Config) CheckDemo() error {
	if c.ForceDemo || c.HubSpot.Token != "" {
		return nil
	}
	var set []string
	for _, k := range productionKeys {
		if src, ok := c.Sources[k]; ok {
			set = append(set, fmt.Sprintf("%s (by %s)", k, src))
		}
	}
	if len(set) == 0 {
		return nil
	}
	verb := "is"
	if len(set) > 1 {
		verb = "are"
	}
	return fmt.Errorf("config: %w", &Error{Key: "hubspot.token", Msg: fmt.Sprintf(
		"not set, but %s %s set, so this is not the demo: give the private-app token "+
			"(ALUSTA_HUBSPOT_TOKEN, hubspot.token or hubspot.token_file), or pass --demo to run the demo sandbox on purpose",
		strings.Join(set, " and "), verb)})
}

// Redacted returns a copy that is safe to print: secrets replaced by a
// marker that still shows whether they were set.
func (c *Config) Redacted() Config {
	r := *c
	r.HubSpot.Token = redact(r.HubSpot.Token)
	r.HTTP.WebhookSecret = redact(r.HTTP.WebhookSecret)
	r.Console.OIDCClientSecret = redact(r.Console.OIDCClientSecret)
	r.Notify.WebhookSecret = redact(r.Notify.WebhookSecret)
	r.Notify.SMTP.Password = redact(r.Notify.SMTP.Password)
	return r
}

func redact(s string) string {
	if s == "" {
		return ""
	}
	return "<redacted>"
}
