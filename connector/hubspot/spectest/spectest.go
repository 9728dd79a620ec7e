// Package spectest validates HTTP traffic against HubSpot's own OpenAPI
// specs, the ones that ship in the github.com/clarkmcc/go-hubspot module's
// schema/ folder. Tests of the HubSpot client and of the sandbox wrap their
// test servers with it, so that every request the client builds and every
// answer the server writes is checked against HubSpot's contract.
//
// The API:
//
//	specs := spectest.Load(t) // parses the spec files once per test binary
//	specs.Allow("GET", "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}")
//	srv := httptest.NewServer(specs.Wrap(t, handler))
//	bad := httptest.NewServer(specs.WrapRequests(t, handler)) // requests only
//
// Wrap validates each request before passing it on and each response after
// the handler wrote it, and reports every mismatch with t.Errorf as
// "spectest: METHOD /path: request (File.json): what failed" or
// "... response STATUS (File.json): ...". A path that no loaded spec covers
// is reported too, unless a pattern given to Allow matches it ({name}
// matches one path segment). Where the specs are stricter than HubSpot
// itself they are relaxed at load time; see relax for the list.
//
// The specs are read from the module cache (go list -m), never from a copy
// in the repository's surroundings, so a fresh clone tests the same way.
package spectest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// modulePath is the module whose schema/ folder holds HubSpot's specs.
const modulePath = "github.com/clarkmcc/go-hubspot"

// Files are the spec files Load reads, in routing order: a request goes to
// the first file that has a route for it. The object-specific files come
// before Objects.json, whose /crm/v3/objects/{objectType} paths match every
// object type, so that tickets, deals and companies are checked against the
// file that owns them.
var Files = []string{"Tickets", "Deals", "Companies", "Pipelines", "Owners", "Properties",
	"Crm Associations", "Objects"}

// Specs is a set of loaded HubSpot specs with a router for each.
type Specs struct {
	specs []spec

	mu      sync.Mutex
	allowed []allowed
}

type spec struct {
	name   string
	doc    *openapi3.T
	router routers.Router
}

type allowed struct {
	method  string
	pattern []string
}

var (
	loadOnce sync.Once
	loaded   []spec
	loadErr  error
)

// Load finds the go-hubspot module directory (go list -m, run from the
// directory of the nearest go.mod above the working directory) and loads
// the spec files named in Files. It fails the test if any step fails. The
// parsed specs are shared between the tests of one test binary, since they
// are read-only after loading.
func Load(t testing.TB) *Specs {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = load() })
	if loadErr != nil {
		t.Fatalf("spectest: %v", loadErr)
	}
	return &Specs{specs: loaded}
}

func load() ([]spec, error) {
	dir, err := moduleDir()
	if err != nil {
		return nil, err
	}
	var out []spec
	for _, name := range Files {
		file := filepath.Join(dir, "schema", name+".json")
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(file)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", file, err)
		}
		relax(doc)
		// The specs name https://api.hubapi.com as their server; test
		// servers listen elsewhere, so routes match on the path alone.
		doc.Servers = nil
		for _, item := range doc.Paths.Map() {
			item.Servers = nil
		}
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", file, err)
		}
		out = append(out, spec{name: name, doc: doc, router: router})
	}
	return out, nil
}

// relax corrects the few places where the specs are stricter than HubSpot
// itself; everything else is validated as written.
//
//   - AssociationSpecWithLabel.label: HubSpot answers "label": null for an
//     association type without a label (every HUBSPOT_DEFINED one), which
//     the spec does not mark nullable.
//   - fromObjectId / toObjectId are int32 in the v4 specs (the source of
//     go-hubspot's overflow); real ids pass 2^32, so they are int64 here.
//
// Places where the specs are stricter than HubSpot but a client can satisfy
// both are left strict on purpose (PublicObjectSearchRequest requires
// after, sorts, properties and filterGroups; SimplePublicObjectInputForCreate
// requires associations): alusta's client always sends them.
func relax(doc *openapi3.T) {
	if doc.Components == nil {
		return
	}
	for _, s := range doc.Components.Schemas {
		if s.Value == nil {
			continue
		}
		for name, p := range s.Value.Properties {
			if (name == "fromObjectId" || name == "toObjectId") && p.Value != nil && p.Value.Format == "int32" {
				p.Value.Format = "int64"
			}
		}
	}
	if s := doc.Components.Schemas["AssociationSpecWithLabel"]; s != nil && s.Value != nil {
		if l := s.Value.Properties["label"]; l != nil && l.Value != nil {
			l.Value.Nullable = true
		}
	}
}

// moduleDir asks the go command where the go-hubspot module lives. go list
// needs the main module's go.mod, and tests run in their package directory,
// so it walks up to the nearest go.mod first.
func moduleDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find go.mod: %w", err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return "", fmt.Errorf("find go.mod: none above %s", wd)
		}
		root = parent
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", modulePath)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w: %s", modulePath, err, strings.TrimSpace(stderr.String()))
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("go list -m %s: module not downloaded (run go mod download)", modulePath)
	}
	return dir, nil
}

// Allow lets requests matching method and pattern through unvalidated.
// Pattern is a path template in which a {name} segment matches any one
// segment, e.g. "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}".
// Use it for endpoints HubSpot has but the shipped specs lack (go-hubspot's
// Crm Associations spec has no v4 per-record endpoints).
func (s *Specs) Allow(method, pattern string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowed = append(s.allowed, allowed{method: strings.ToUpper(method),
		pattern: strings.Split(strings.Trim(pattern, "/"), "/")})
}

func (s *Specs) isAllowed(method, path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.allowed {
		if a.method != method || len(a.pattern) != len(segs) {
			continue
		}
		ok := true
		for i, p := range a.pattern {
			if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
				continue
			}
			if p != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// route finds the first spec with a route for r.
func (s *Specs) route(r *http.Request) (*spec, *routers.Route, map[string]string) {
	for i := range s.specs {
		route, params, err := s.specs[i].router.FindRoute(r)
		if err == nil {
			return &s.specs[i], route, params
		}
	}
	return nil, nil, nil
}

// options are the validation options for both directions.
func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError: true,
		// The specs list oauth2 and private-app schemes; both send a
		// bearer token, which is all a test server can check.
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			auth := in.RequestValidationInput.Request.Header.Get("Authorization")
			if !strings.HasPrefix(auth, "Bearer ") || len(auth) == len("Bearer ") {
				return fmt.Errorf("no bearer token in the Authorization header")
			}
			return nil
		},
	}
}

// Wrap returns a handler that validates every request against the specs
// before passing it to h, and every response h writes, reporting each
// mismatch with t.Errorf. The response reaches the client unchanged even
// when it does not validate, so the test sees what the handler meant.
func (s *Specs) Wrap(t testing.TB, h http.Handler) http.Handler {
	return s.wrap(t, h, true)
}

// WrapRequests is Wrap without the response checks, for client tests whose
// server answers off-spec on purpose (malformed JSON, an empty 503 as a
// gateway sends it) to see how the client copes.
func (s *Specs) WrapRequests(t testing.TB, h http.Handler) http.Handler {
	return s.wrap(t, h, false)
}

func (s *Specs) wrap(t testing.TB, h http.Handler, responses bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("spectest: %s %s: read request body: %v", r.Method, r.URL.Path, err)
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))

		// Route on a copy whose URL has no host, so that the spec's paths
		// match whatever address the test server has.
		probe := r.Clone(r.Context())
		probe.URL = &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
		probe.Host = ""
		probe.Body = io.NopCloser(bytes.NewReader(body))

		sp, route, params := s.route(probe)
		if sp == nil {
			if !s.isAllowed(r.Method, r.URL.Path) {
				t.Errorf("spectest: %s %s: no spec covers this path", r.Method, r.URL.Path)
			}
			h.ServeHTTP(w, r)
			return
		}
		in := &openapi3filter.RequestValidationInput{
			Request:    probe,
			PathParams: params,
			Route:      route,
			Options:    options(),
		}
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			t.Errorf("spectest: %s %s: request (%s.json): %v", r.Method, r.URL.Path, sp.name, err)
		}

		if !responses {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		resBody := rec.Body.Bytes()

		// Bodies of non-2xx answers are HubSpot's Error, which the specs
		// declare as the default response; a 429 from a rate limiter is
		// checked against it too.
		in.Request = probe
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 res.StatusCode,
			Header:                 res.Header,
			Options:                options(),
		}
		out.SetBodyBytes(resBody)
		if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
			t.Errorf("spectest: %s %s: response %d (%s.json): %v", r.Method, r.URL.Path, res.StatusCode, sp.name, err)
		}

		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		w.Write(resBody)
	})
}
