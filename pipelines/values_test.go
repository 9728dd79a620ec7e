package pipelines

import (
	"encoding/json"
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
