// Package sandbox is an HTTP server that answers like HubSpot's CRM v3/v4 API
// on the endpoints alusta uses, with in-memory state and optional persistence
// to a JSON file. It is alusta's demo default (no HubSpot account needed) and
// the test double of every end-to-end test; HubSpot's official clients,
// pointed at it with their base-path setting, cannot tell it from HubSpot on
// those endpoints.
//
// Usage:
//
//	srv, err := sandbox.New(sandbox.Options{Seed: "demo"})
//	ts := httptest.NewServer(srv) // or srv.Run(ctx, listener)
//	defer srv.Close()
//
// Where HubSpot's behaviour is not documented the sandbox picks one and says
// so in a comment: search results without sorts come in ascending id order,
// ties under a sort are broken by ascending id, and `after` in search is an
// offset.
package sandbox

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"

	"github.com/alusta/alusta/connector/hubspot"
)

// Options configures a Server.
type Options struct {
	Token      string           // "" accepts any non-empty bearer token
	Seed       string           // "demo" or "empty" ("" = empty)
	StatePath  string           // optional JSON persistence (load at New, save on Close and periodically)
	Now        func() time.Time // injected clock; nil = time.Now
	RateLimit  int              // requests per 10 s; 0 = unlimited
	SearchRate int              // search requests per second; 0 = unlimited
	DailyLimit int              // 0 = unlimited
	Faults     Faults
	Webhook    *Webhook // nil = no webhooks
	Logger     *slog.Logger
	// SaveInterval is how often Run saves the state file when it changed;
	// 0 means 30 s.
	SaveInterval time.Duration
	// DemoSize grows (or shrinks) the demo seed's tickets and deals.
	DemoSize DemoSize
	// NoStageDates seeds a portal without HubSpot's calculated stage
	// date properties (hs_v2_date_entered_<stage>), as older portals
	// are: clients must read the stage history instead.
	NoStageDates bool
	// HTTP bounds what one client may hold of Run's server; zero fields
	// take DefaultHTTPLimits.
	HTTP HTTPLimits
}

// HTTPLimits bound slow, idle and numerous clients and large bodies: the
// sandbox may listen beyond loopback (`alusta sandbox --addr`).
type HTTPLimits struct {
	ReadHeaderTimeout, ReadTimeout time.Duration
	WriteTimeout, IdleTimeout      time.Duration
	MaxConns                       int
	// MaxBody is the largest request body; larger ones get HubSpot's 413
	// before authentication or routing.
	MaxBody int64
}

// DefaultHTTPLimits allow a 100-record batch with every property and a
// slow test client, and little more.
func DefaultHTTPLimits() HTTPLimits {
	return HTTPLimits{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxConns:          512,
		MaxBody:           maxBody,
	}
}

// maxBody is what decode accepts; HubSpot's own limit is lower still.
const maxBody = 16 << 20

func (l HTTPLimits) orDefaults() HTTPLimits {
	d := DefaultHTTPLimits()
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	l.ReadHeaderTimeout = pick(l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	l.ReadTimeout = pick(l.ReadTimeout, d.ReadTimeout)
	l.WriteTimeout = pick(l.WriteTimeout, d.WriteTimeout)
	l.IdleTimeout = pick(l.IdleTimeout, d.IdleTimeout)
	if l.MaxConns <= 0 {
		l.MaxConns = d.MaxConns
	}
	if l.MaxBody <= 0 {
		l.MaxBody = d.MaxBody
	}
	return l
}

// Faults injects failures for tests. Shares are between 0 and 1 and apply to
// every authenticated request; Seed makes the sequence repeatable.
type Faults struct {
	TooManyShare, ServerErrorShare float64
	Latency                        time.Duration
	// SearchLag delays a change's visibility in search: GET shows it at
	// once, search only after SearchLag (HubSpot's index lags too).
	SearchLag time.Duration
	Seed      int64
}

// Webhook makes the sandbox deliver object.creation and
// object.propertyChange events to URL, signed with HubSpot's v3 signature.
type Webhook struct {
	URL, ClientSecret string
	MaxBatch          int           // events per POST; 0 = 100 (HubSpot's batch size)
	Interval          time.Duration // delivery tick in Run; 0 = 1 s
	AppID, PortalID   int64
}

// Server is the sandbox. It is an http.Handler; Run serves it on a listener.
type Server struct {
	opts Options
	now  func() time.Time
	log  *slog.Logger
	mux  *http.ServeMux

	mu     sync.RWMutex // guards st
	st     *state
	dirty  bool
	closed bool

	fmu    sync.Mutex // guards faults and rng
	faults Faults
	rng    *rand.Rand

	lim *limiter

	cmu      sync.Mutex // guards requests
	requests map[string]int

	corr atomic.Uint64

	hooks *hooks // nil without Options.Webhook

	// loaded is whether New read Options.StatePath rather than the seed.
	loaded bool

	closeOnce sync.Once
	closeErr  error
}

var _ http.Handler = (*Server)(nil)

// New builds a server: it loads Options.StatePath if that file exists, and
// otherwise the seed.
func New(opts Options) (*Server, error) {
	s := &Server{
		opts:     opts,
		now:      opts.Now,
		log:      opts.Logger,
		requests: map[string]int{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.setFaults(opts.Faults)
	s.lim = newLimiter(opts.RateLimit, opts.SearchRate, opts.DailyLimit)
	if opts.Webhook != nil {
		if opts.Webhook.URL == "" {
			return nil, errors.New("sandbox: webhook: empty URL")
		}
		s.hooks = newHooks(*opts.Webhook, s.now)
	}
	st, loaded, err := loadState(opts.StatePath)
	if err != nil {
		return nil, err
	}
	if !loaded {
		switch opts.Seed {
		case "", "empty":
			st = newState()
			st.addBuiltins(s.now())
			if !opts.NoStageDates {
				st.addStageDates(s.now())
			}
		case "demo":
			st, err = demoState(s.now(), opts.DemoSize, !opts.NoStageDates)
			if err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("sandbox: seed %q: want demo or empty", opts.Seed)
		}
	}
	s.st, s.loaded = st, loaded
	s.routes()
	return s, nil
}

// Loaded reports whether New read the state file, in which case the seed
// was not used.
func (s *Server) Loaded() bool { return s.loaded }

// Unclean reports whether New read a state file that a periodic save wrote
// rather than Close: the sandbox was stopped without saving, and changes
// made after that save (a client's writes among them) are lost.
func (s *Server) Unclean() bool { return s.loaded && !s.st.cleanStop }

// SetFaults replaces the fault injection settings.
func (s *Server) SetFaults(f Faults) { s.setFaults(f) }

func (s *Server) setFaults(f Faults) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.faults = f
	s.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x5eed))
}

func (s *Server) currentFaults() Faults {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.faults
}

// Run serves on ln until ctx ends, then shuts down. It owns the webhook
// delivery loop and the periodic state save, and saves once at the start;
// it does not Close the server.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	// From now on the file on disk may miss changes until Close: say so
	// in it, so that a kill before the next save is recognised (Unclean).
	if err := s.Save(); err != nil {
		return err
	}
	l := s.opts.HTTP.orDefaults()
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	ln = netutil.LimitListener(ln, l.MaxConns)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if s.hooks != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.deliverLoop(ctx)
		}()
	}
	if s.opts.StatePath != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.saveLoop(ctx)
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = hs.Shutdown(sctx)
		scancel()
		<-errc
	case err = <-errc:
	}
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("sandbox: serve: %w", err)
	}
	return nil
}

func (s *Server) saveLoop(ctx context.Context) {
	d := s.opts.SaveInterval
	if d <= 0 {
		d = 30 * time.Second
	}
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.mu.RLock()
			dirty := s.dirty
			s.mu.RUnlock()
			if !dirty {
				continue
			}
			if err := s.Save(); err != nil {
				s.log.Error("sandbox: periodic save", "err", err)
			}
		}
	}
}

// Close saves the state file (when Options.StatePath is set). It is
// idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.save(true)
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
	})
	return s.closeErr
}

// Requests counts the requests served so far by "METHOD /path-template",
// for example "POST /crm/v3/objects/{objectType}/search". Rejected requests
// (401, 429, injected faults) count under their route too. Batch reads
// that asked for property history count under HistoryReads as well.
func (s *Server) Requests() map[string]int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// HistoryReads is the key of Requests that counts the batch reads asking
// for propertiesWithHistory: HubSpot serves those 50 records a call, not
// 100, so they are what a client reading stage times from the date
// entered properties saves.
const HistoryReads = "POST /crm/v3/objects/{objectType}/batch/read (propertiesWithHistory)"

func (s *Server) count(pattern string) {
	s.cmu.Lock()
	s.requests[pattern]++
	s.cmu.Unlock()
}

// ServeHTTP authenticates, applies rate limits and faults, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.count(pattern)
	}
	max := s.opts.HTTP.orDefaults().MaxBody
	if r.ContentLength > max {
		w.Header().Set("Connection", "close")
		s.fail(w, http.StatusRequestEntityTooLarge, hubspot.CategoryValidation,
			fmt.Sprintf("request body of %d bytes exceeds the limit of %d", r.ContentLength, max))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, max)
	if !s.authorized(r) {
		s.fail(w, http.StatusUnauthorized, hubspot.CategoryInvalidAuth,
			"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
		return
	}
	if s.injectFault(w, r) {
		return
	}
	search := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/search")
	if !s.limit(w, search) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	tok = strings.TrimSpace(tok)
	if !ok || tok == "" {
		return false
	}
	if s.opts.Token == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) == 1
}

// injectFault answers with an injected 429 or 5xx, or sleeps the injected
// latency; it reports whether it answered.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	s.fmu.Lock()
	f := s.faults
	var tooMany, serverErr bool
	var code int
	if f.TooManyShare > 0 || f.ServerErrorShare > 0 {
		x := s.rng.Float64()
		tooMany = x < f.TooManyShare
		serverErr = !tooMany && x < f.TooManyShare+f.ServerErrorShare
		code = []int{500, 502, 503, 504}[s.rng.IntN(4)]
	}
	s.fmu.Unlock()
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	switch {
	case tooMany:
		s.tooMany(w, hubspot.PolicyTenSecondly, "You have reached your ten_secondly_rolling limit.", time.Second)
		return true
	case serverErr:
		s.fail(w, code, "INTERNAL_ERROR", "internal error (injected by the sandbox)")
		return true
	}
	return false
}

func (s *Server) limit(w http.ResponseWriter, search bool) bool {
	res := s.lim.take(s.now(), search)
	if res.policy != "" {
		msg := map[string]string{
			hubspot.PolicyTenSecondly: "You have reached your ten_secondly_rolling limit.",
			hubspot.PolicySecondly:    "You have reached your secondly limit.",
			hubspot.PolicyDaily:       "You have reached your daily limit.",
		}[res.policy]
		if !search {
			res.setHeaders(w.Header())
		}
		s.tooMany(w, res.policy, msg, res.retryAfter)
		return false
	}
	if !search {
		res.setHeaders(w.Header())
	}
	return true
}

func (s *Server) correlationID() string {
	n := s.corr.Add(1)
	return fmt.Sprintf("%08x-5a4d-4b0c-8e1f-%012x", uint32(n>>12), n)
}

// rateLimitBody is HubSpot's 429 body: errorType and policyName beside
// the Error schema's fields. HubSpot's own 429s may lack category, which the
// spec requires; the sandbox sends RATE_LIMITS so both kinds of client
// parse it.
type rateLimitBody struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	Category      string `json:"category"`
	ErrorType     string `json:"errorType"`
	CorrelationID string `json:"correlationId"`
	PolicyName    string `json:"policyName"`
}

func (s *Server) tooMany(w http.ResponseWriter, policy, msg string, retryAfter time.Duration) {
	if retryAfter > 0 {
		secs := int((retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
	}
	writeJSON(w, http.StatusTooManyRequests, rateLimitBody{
		Status: "error", Message: msg, Category: hubspot.CategoryRateLimits, ErrorType: "RATE_LIMIT",
		CorrelationID: s.correlationID(), PolicyName: policy,
	})
}

// fail writes HubSpot's Error body.
func (s *Server) fail(w http.ResponseWriter, status int, category, msg string) {
	s.failBody(w, status, hubspot.ErrorBody{Category: category, Message: msg})
}

func (s *Server) failBody(w http.ResponseWriter, status int, b hubspot.ErrorBody) {
	b.Status = "error"
	b.CorrelationID = s.correlationID()
	w.Header().Set(hubspot.HeaderCorrelationID, b.CorrelationID)
	writeJSON(w, status, b)
}

// apiError is an error a handler answers with; it carries HubSpot's body.
type apiError struct {
	status int
	body   hubspot.ErrorBody
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status, e.body.Category, e.body.Message)
}

func validationError(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, body: hubspot.ErrorBody{
		Category: hubspot.CategoryValidation, Message: fmt.Sprintf(format, args...)}}
}

func (s *Server) answerErr(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		s.failBody(w, ae.status, ae.body)
		return
	}
	s.log.Error("sandbox: handler failed", "err", err)
	s.fail(w, http.StatusInternalServerError, "INTERNAL_ERROR", err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decode reads a JSON body into v, answering HubSpot's 400 on bad JSON.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return &apiError{status: http.StatusRequestEntityTooLarge, body: hubspot.ErrorBody{
				Category: hubspot.CategoryValidation,
				Message:  fmt.Sprintf("request body exceeds the limit of %d bytes", mbe.Limit),
			}}
		}
		return &apiError{status: http.StatusBadRequest, body: hubspot.ErrorBody{
			Category: hubspot.CategoryValidation,
			Message:  "Invalid input JSON on line 1, column 1: " + err.Error(),
		}}
	}
	return nil
}
