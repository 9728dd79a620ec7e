// Package hubspot is alusta's HubSpot CRM client. It wraps the generated
// packages of github.com/clarkmcc/go-hubspot (built from HubSpot's OpenAPI
// specs) behind a small API of its own and owns everything HubSpot-specific
// around them: rate limiting shared by all calls, retry classification,
// HubSpot's error shapes and incremental reads that never hit the search
// cap. The sandbox server (package sandbox) speaks the same wire types,
// defined in wire.go.
//
// The generated code has known defects, which this package wraps rather
// than inherits:
//
//   - every response body is decoded again into the wire types: the
//     generated models turn a JSON null property into "" (alusta keeps nil),
//     decode a 207 batch answer without its errors, and type v4 association
//     ids as int32, which overflows on real ids (about 5e9);
//   - v4 per-record association endpoints are missing, so those calls, and
//     the v4 batch calls, go through this package's own requests on the
//     same retrying HTTP client;
//   - generated errors carry only the body; *APIError carries the status,
//     category, message and correlation id;
//   - Configuration.Debug dumps the Authorization header, so it is never
//     enabled. The token goes only into that header.
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	gohubspot "github.com/clarkmcc/go-hubspot"
	"github.com/clarkmcc/go-hubspot/generated/v3/objects"
	"github.com/clarkmcc/go-hubspot/generated/v3/owners"
	"github.com/clarkmcc/go-hubspot/generated/v3/pipelines"
	"github.com/clarkmcc/go-hubspot/generated/v3/properties"
	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultBaseURL is HubSpot's API host.
const DefaultBaseURL = "https://api.hubapi.com"

// Options configure a Client. Zero values take the defaults named.
type Options struct {
	BaseURL string // default DefaultBaseURL
	Token   string // private-app token; required
	// RateLimit is the account's rolling 10-second limit: 100, 190 or 250
	// (default 100).
	RateLimit int
	// SearchRate is the search calls allowed per second (default 5).
	SearchRate int
	// DailyLimit is the daily quota; 0 learns it from the response headers.
	DailyLimit int
	// DailyResetZone is where the daily quota resets at midnight (HubSpot
	// uses the account's time zone; default UTC).
	DailyResetZone *time.Location
	Timeout        time.Duration // per HTTP attempt, default 30 s
	Logger         *slog.Logger  // default discards
	Registerer     prometheus.Registerer
	Now            func() time.Time // default time.Now; decides the daily reset
	MaxRetries     int              // default 4; negative disables retries
	RetryWaitMin   time.Duration    // default 500 ms
	RetryWaitMax   time.Duration    // cap for backoff and Retry-After, default 30 s
}

// Client is a HubSpot CRM client. Its methods are safe for concurrent use
// and share one rate limiter.
type Client struct {
	log   *slog.Logger
	now   func() time.Time
	base  string
	auth  gohubspot.Authorizer
	token *secret // a pointer, so that formatting a Client prints an address

	http    *http.Client
	lim     *limiter
	retry   int           // retries after the first attempt
	waitMin time.Duration // backoff floor
	waitMax time.Duration // backoff and Retry-After cap
	calls   atomic.Int64

	objects    *objects.APIClient
	owners     *owners.APIClient
	pipelines  *pipelines.APIClient
	properties *properties.APIClient
}

// secret keeps the token out of anything that formats a Client: %v, %+v,
// %#v and slog all print "[redacted]".
type secret string

func (secret) String() string       { return "[redacted]" }
func (secret) GoString() string     { return `"[redacted]"` }
func (secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// New returns a Client for opts.
func New(opts Options) (*Client, error) {
	if opts.Token == "" {
		return nil, errors.New("hubspot: no token: set hubspot.token or hubspot.token_file")
	}
	base := strings.TrimRight(opts.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hubspot: base URL %q: want http(s)://host", opts.BaseURL)
	}
	switch opts.RateLimit {
	case 0:
		opts.RateLimit = 100
	case 100, 190, 250:
	default:
		return nil, fmt.Errorf("hubspot: rate limit %d: want 100, 190 or 250 calls per 10 s", opts.RateLimit)
	}
	if opts.SearchRate <= 0 {
		opts.SearchRate = 5
	}
	if opts.DailyResetZone == nil {
		opts.DailyResetZone = time.UTC
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = 4
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	if opts.RetryWaitMin <= 0 {
		opts.RetryWaitMin = 500 * time.Millisecond
	}
	if opts.RetryWaitMax <= 0 {
		opts.RetryWaitMax = 30 * time.Second
	}

	tok := secret(opts.Token)
	c := &Client{
		log:     opts.Logger,
		now:     opts.Now,
		base:    base,
		auth:    gohubspot.NewTokenAuthorizer(opts.Token),
		token:   &tok,
		retry:   opts.MaxRetries,
		waitMin: opts.RetryWaitMin,
		waitMax: opts.RetryWaitMax,
		lim:     newLimiter(opts.RateLimit, opts.SearchRate, opts.DailyLimit, opts.Now, opts.DailyResetZone),
	}
	var m *metrics
	if opts.Registerer != nil {
		var err error
		if m, err = newMetrics(opts.Registerer); err != nil {
			return nil, fmt.Errorf("hubspot: register metrics: %w", err)
		}
		c.lim.remaining = m.remaining.Set
	}

	inner := cleanhttp.DefaultPooledClient()
	inner.Timeout = opts.Timeout
	inner.Transport = &transport{base: inner.Transport, lim: c.lim, calls: &c.calls, metrics: m}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = inner
	rc.Logger = leveled{opts.Logger}
	rc.RetryMax = opts.MaxRetries
	rc.RetryWaitMin = opts.RetryWaitMin
	rc.RetryWaitMax = opts.RetryWaitMax
	rc.CheckRetry = checkRetry
	rc.Backoff = backoff
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c.http = rc.StandardClient()

	// Each generated package has its own Configuration type; all get the
	// same server and HTTP client, and never Debug.
	{
		cfg := objects.NewConfiguration()
		cfg.Servers = objects.ServerConfigurations{{URL: base}}
		cfg.HTTPClient = c.http
		cfg.UserAgent = "alusta"
		c.objects = objects.NewAPIClient(cfg)
	}
	{
		cfg := owners.NewConfiguration()
		cfg.Servers = owners.ServerConfigurations{{URL: base}}
		cfg.HTTPClient = c.http
		cfg.UserAgent = "alusta"
		c.owners = owners.NewAPIClient(cfg)
	}
	{
		cfg := pipelines.NewConfiguration()
		cfg.Servers = pipelines.ServerConfigurations{{URL: base}}
		cfg.HTTPClient = c.http
		cfg.UserAgent = "alusta"
		c.pipelines = pipelines.NewAPIClient(cfg)
	}
	{
		cfg := properties.NewConfiguration()
		cfg.Servers = properties.ServerConfigurations{{URL: base}}
		cfg.HTTPClient = c.http
		cfg.UserAgent = "alusta"
		c.properties = properties.NewAPIClient(cfg)
	}
	return c, nil
}

// Calls returns the number of HTTP calls made so far, retries included.
func (c *Client) Calls() int64 { return c.calls.Load() }

// gen prepares ctx for a generated call: the token authorizer and the call
// info for the transport.
func (c *Client) gen(ctx context.Context, info callInfo) context.Context {
	return withCall(gohubspot.WithAuthorizer(ctx, c.auth), info)
}

// finish turns a generated call's outcome into alusta's: the body is
// decoded again into out (wire types), and failures become *APIError,
// *DailyLimitError or a transport error naming op. The generated decode
// error is ignored when alusta's own decode succeeds (it fails on int32
// ids and nulls that the wire types read fine).
func (c *Client) finish(op string, resp *http.Response, err error, out any) error {
	if resp == nil {
		if err == nil {
			err = errors.New("no response")
		}
		return c.transportError(op, err)
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return fmt.Errorf("hubspot: %s: read response: %w", op, rerr)
	}
	return c.decode(op, resp, body, out)
}

func (c *Client) transportError(op string, err error) error {
	var daily *DailyLimitError
	if errors.As(err, &daily) {
		return daily
	}
	if ue, ok := err.(*url.Error); ok {
		// url.Error repeats the URL; the operation names it better.
		err = ue.Err
	}
	return fmt.Errorf("hubspot: %s: %w", op, err)
}

// decode reads a response body: an error for non-2xx, out for 2xx.
func (c *Client) decode(op string, resp *http.Response, body []byte, out any) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.apiError(op, resp, body)
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("hubspot: %s: decode response: empty body (status %d)", op, resp.StatusCode)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("hubspot: %s: decode response: %w", op, err)
	}
	return nil
}

func (c *Client) apiError(op string, resp *http.Response, body []byte) error {
	var eb ErrorBody
	if len(body) > 0 && json.Unmarshal(body, &eb) != nil {
		eb = ErrorBody{}
	}
	if resp.StatusCode == http.StatusTooManyRequests && eb.PolicyName == PolicyDaily {
		return c.lim.blockDaily()
	}
	e := &APIError{
		Op:            op,
		Status:        resp.StatusCode,
		Category:      eb.Category,
		Message:       eb.Message,
		CorrelationID: eb.CorrelationID,
		Context:       eb.Context,
		Errors:        eb.Errors,
		Policy:        eb.PolicyName,
	}
	if e.CorrelationID == "" {
		e.CorrelationID = resp.Header.Get(HeaderCorrelationID)
	}
	return e
}

// send is a request of alusta's own, for endpoints the generated code gets
// wrong or lacks. It uses the same retrying client as the generated calls.
func (c *Client) send(ctx context.Context, op string, info callInfo, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("hubspot: %s: encode request: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(withCall(ctx, info), method, u, body)
	if err != nil {
		return fmt.Errorf("hubspot: %s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+string(*c.token))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "alusta")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(op, err)
	}
	return c.finish(op, resp, nil, out)
}

// convert moves a wire value into a generated model (or back) through
// JSON, which both sides define identically for the request shapes.
func convert[T any](op string, in any) (T, error) {
	var out T
	b, err := json.Marshal(in)
	if err != nil {
		return out, fmt.Errorf("hubspot: %s: encode request: %w", op, err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("hubspot: %s: encode request: %w", op, err)
	}
	return out, nil
}
