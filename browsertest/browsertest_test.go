package browsertest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestVisit checks the harness against pages whose faults are known: a
// clean page has no serious violation, an image without a text alternative
// and a button without a name are found.
func TestVisit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/good":
			w.Write([]byte(`<!DOCTYPE html><html lang="fi"><head><title>Hyvä</title></head><body><main><h1>Hyvä sivu</h1><p>Teksti.</p></main></body></html>`))
		case "/bad":
			w.Write([]byte(`<!DOCTYPE html><html lang="fi"><head><title>Huono</title></head><body><main><h1>Huono sivu</h1>` +
				`<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button></button></main></body></html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	b := New(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		want []string // serious or critical rule ids
	}{
		{name: "clean page", path: "/good"},
		{name: "image without alt and nameless button", path: "/bad", want: []string{"button-name", "image-alt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shot := filepath.Join(dir, filepath.Base(tt.path)+".png")
			res, err := b.Visit(srv.URL+tt.path, shot)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range res.Serious() {
				got = append(got, v.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("serious violations: got %v, want %v", got, tt.want)
			}
			if res.Lang != "fi" {
				t.Errorf("lang: got %q, want fi", res.Lang)
			}
			fi, err := os.Stat(shot)
			if err != nil || fi.Size() == 0 {
				t.Errorf("screenshot %s not written: %v", shot, err)
			}
		})
	}
}
