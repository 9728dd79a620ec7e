package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/config"
)

func TestHealth(t *testing.T) {
	healthy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && healthy {
			w.Write([]byte("ok"))
			return
		}
		http.Error(w, "no cycle yet", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name    string
		healthy bool
		args    []string
		code    int
		want    string
	}{
		{"healthy", true, nil, 0, "ok: " + srv.URL + "/healthz ok\n"},
		{"unhealthy", false, nil, 1, "503 Service Unavailable no cycle yet"},
		{"not ready", true, []string{"--ready"}, 1, "/readyz: 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			healthy = tt.healthy
			out, code := runCLI(t, append([]string{"--http-addr", addr, "health"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("got exit %d, output %q; want exit %d with %q", code, out, tt.code, tt.want)
			}
		})
	}
	out, code := runCLI(t, "--http-addr", "127.0.0.1:1", "health")
	if code != 1 || !strings.Contains(out, "health: http://127.0.0.1:1/healthz: ") {
		t.Errorf("nobody listening: got exit %d, output %q", code, out)
	}
}

func TestVersion(t *testing.T) {
	var b bytes.Buffer
	printVersion(&b, &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "2ea0ed2c0ffee1234567"}, {Key: "vcs.modified", Value: "true"},
		{Key: "vcs.time", Value: "2026-11-29T16:00:00Z"}, {Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}}})
	want := "alusta v1.2.0, commit 2ea0ed2c0ffe (modified), from 2026-11-29T16:00:00Z, go1.26.0, linux/amd64\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	out, code := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "alusta ") {
		t.Errorf("alusta version: got exit %d, output %q", code, out)
	}
}

func TestConfirm(t *testing.T) {
	for _, tt := range []struct {
		answer string
		want   bool
	}{{"y\n", true}, {"kyllä\n", true}, {"\n", false}, {"n\n", false}, {"", false}} {
		var out bytes.Buffer
		if got := confirm(strings.NewReader(tt.answer), &out, "Lock 2026-02?"); got != tt.want || out.String() != "Lock 2026-02? [y/N] " {
			t.Errorf("answer %q: got %t and %q, want %t", tt.answer, got, out.String(), tt.want)
		}
	}
}

// TestLogTimeZone: log lines carry the same zone and form as command
// output, RFC 3339 with the offset.
func TestLogTimeZone(t *testing.T) {
	hel, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	log := newLogger(&b, config.Log{Level: "info", Format: "text"}, hel)
	log.Info("hello")
	if !regexp.MustCompile(`^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[23]:00 level=INFO msg=hello\n$`).MatchString(b.String()) {
		t.Errorf("got %q, want the time in Helsinki with its offset", b.String())
	}
}
