package pipelines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestValues(t *testing.T) {
	tests := []struct {
		name string
		do   func(*Values)
		want Values
	}{
		{"set in order", func(vs *Values) { vs.Set("b", "2"); vs.Set("a", "1"); vs.Set("c", "3") },
			Values{{"a", "1"}, {"b", "2"}, {"c", "3"}}},
		{"set again replaces", func(vs *Values) { vs.Set("a", "1"); vs.Set("a", "9") }, Values{{"a", "9"}}},
		{"set empty value", func(vs *Values) { vs.Set("a", "") }, Values{{"a", ""}}},
		{"delete middle", func(vs *Values) { vs.Set("a", "1"); vs.Set("b", "2"); vs.Set("c", "3"); vs.Delete("b") },
			Values{{"a", "1"}, {"c", "3"}}},
		{"delete missing", func(vs *Values) { vs.Set("a", "1"); vs.Delete("0"); vs.Delete("b") }, Values{{"a", "1"}}},
		{"delete from nil", func(vs *Values) { vs.Delete("a") }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vs Values
			tt.do(&vs)
			if !slices.Equal(vs, tt.want) {
				t.Fatalf("got %v, want %v", vs, tt.want)
			}
			for _, w := range tt.want {
				if v, ok := vs.Lookup(w.Prop); !ok || v != w.Value {
					t.Errorf("Lookup(%q): got %q, %v, want %q, true", w.Prop, v, ok, w.Value)
				}
				if v := vs.Get(w.Prop); v != w.Value {
					t.Errorf("Get(%q): got %q, want %q", w.Prop, v, w.Value)
				}
			}
			if v, ok := vs.Lookup("zz"); ok || v != "" {
				t.Errorf("Lookup(%q): got %q, %v for a property never set", "zz", v, ok)
			}
			if vs.Len() != len(tt.want) {
				t.Errorf("Len: got %d, want %d", vs.Len(), len(tt.want))
			}
		})
	}
}

// TestValuesJSON checks that Values reads and writes the object form a
// map[string]string had, so that a State saved by a release that kept
// maps loads unchanged and saves the same bytes again.
func TestValuesJSON(t *testing.T) {
	saved, err := os.ReadFile(filepath.Join("testdata", "state", "saved.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(saved, &st); err != nil {
		t.Fatalf("load saved state: %v", err)
	}
	want := map[string]Values{
		"deals/7":    {{"alusta_provider", "1004"}, {"alusta_queue", "kotihoito"}, {"dealstage", "assigned"}},
		"tickets/8":  {},
		"tickets/9":  nil,
		"tickets/10": {{"alusta_note", "<b>&amp;</b>"}},
	}
	for key, w := range want {
		got := st.Records[key].Written
		if !slices.Equal(got, w) || (got == nil) != (w == nil) {
			t.Errorf("%s: got %#v, want %#v", key, got, w)
		}
	}

	// The same State as the release before held it, maps for Values.
	type oldRecord struct {
		Written  map[string]string `json:"written,omitempty"`
		Noted    []string          `json:"noted,omitempty"`
		Owner    string            `json:"owner,omitempty"`
		Provider string            `json:"provider,omitempty"`
	}
	type oldState struct {
		Rotation    map[string]string     `json:"rotation,omitempty"`
		OpenTickets map[string]int        `json:"open_tickets,omitempty"`
		Records     map[string]*oldRecord `json:"records,omitempty"`
	}
	var old oldState
	if err := json.Unmarshal(saved, &old); err != nil {
		t.Fatal(err)
	}
	for key, r := range old.Records {
		if !slices.Equal(st.Records[key].Written, ValuesOf(r.Written)) {
			t.Errorf("%s: got %v, the old release read %v", key, st.Records[key].Written, r.Written)
		}
	}
	gotJSON, err := json.Marshal(&st)
	if err != nil {
		t.Fatal(err)
	}
	oldJSON, err := json.Marshal(&old)
	if err != nil {
		t.Fatal(err)
	}
	if string(gotJSON) != string(oldJSON) {
		t.Errorf("saved again:\ngot  %s\nwant %s (as the old release saves it)", gotJSON, oldJSON)
	}
}

// TestValuesJSONStrings checks the hand-written JSON against
// encoding/json's map form for the strings that need care: quotes,
// backslashes, control bytes, HTML, bad UTF-8, U+2028, non-ASCII.
func TestValuesJSONStrings(t *testing.T) {
	strs := []string{"", "plain", `"quoted"`, `back\slash`, "tab\tnew\nline\rcr", "\b\f\x00\x01\x1f\x7f",
		"<b>&amp;</b>", "<ä> & \n", "bad \xff utf-8 \xc3", "line\u2028sep\u2029", "Välitetty tuottajalle ✓", "emoji 🙂"}
	for _, enc := range []struct {
		name       string
		escapeHTML bool
	}{{"marshal", true}, {"encoder without html escapes", false}} {
		for _, s := range strs {
			m := map[string]string{s: s, "k": s}
			var want, got bytes.Buffer
			e := json.NewEncoder(&want)
			e.SetEscapeHTML(enc.escapeHTML)
			if err := e.Encode(m); err != nil {
				t.Fatal(err)
			}
			e = json.NewEncoder(&got)
			e.SetEscapeHTML(enc.escapeHTML)
			if err := e.Encode(ValuesOf(m)); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%s %q: got %s, want %s", enc.name, s, got.Bytes(), want.Bytes())
			}
			var back Values
			if err := json.Unmarshal(got.Bytes(), &back); err != nil {
				t.Fatalf("%s %q: read back: %v", enc.name, s, err)
			}
			var wantBack map[string]string
			if err := json.Unmarshal(want.Bytes(), &wantBack); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(back, ValuesOf(wantBack)) {
				t.Errorf("%s %q: read back %q, want %q", enc.name, s, back, ValuesOf(wantBack))
			}
		}
	}
}

func TestValuesUnmarshal(t *testing.T) {
	tests := []struct {
		name, in string
		want     Values
		err      string
	}{
		{"spaces", " {\n\t\"b\" : \"2\" ,\r\n \"a\":\"1\" } ", Values{{"a", "1"}, {"b", "2"}}, ""},
		{"escapes", `{"a\u00e4":"x\"y\\z\n\u2028"}`, Values{{"aä", "x\"y\\z\n\u2028"}}, ""},
		{"a property twice keeps the last", `{"a":"1","b":"2","a":"3"}`, Values{{"a", "3"}, {"b", "2"}}, ""},
		{"empty", `{}`, Values{}, ""},
		{"null", ` null `, nil, ""},
		{"a number", `{"a":1}`, nil, "pipelines: property values: want a JSON object of strings"},
		{"an array", `["a"]`, nil, "pipelines: property values: want a JSON object of strings"},
		{"a string", `"a"`, nil, "pipelines: property values: want a JSON object of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Values
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got error %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			var m map[string]string
			if err := json.Unmarshal([]byte(tt.in), &m); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, ValuesOf(m)) {
				t.Errorf("got %#v, a map reads %#v", got, m)
			}
		})
	}
}

func TestValuesOf(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 12, 13, 40} {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("p%03d", (i*7)%n)] = fmt.Sprint(i)
		}
		vs := ValuesOf(m)
		if !slices.IsSortedFunc(vs, byProp) || len(vs) != len(m) {
			t.Errorf("%d properties: got %v, want all of them in order", n, vs)
		}
		for p, v := range m {
			if got := vs.Get(p); got != v {
				t.Errorf("%d properties: %s: got %q, want %q", n, p, got, v)
			}
		}
	}
	if ValuesOf(nil) != nil {
		t.Error("ValuesOf(nil): got a slice, want nil")
	}
}
