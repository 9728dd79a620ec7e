package public

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/alusta/alusta/intake"
)

func TestOrderAPIRefusesBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the order loop")
	}
	r := startRig(t)
	valid, _ := json.Marshal(order("OK-1"))
	with := func(change func(o map[string]any)) string {
		o := order("BAD-1")
		cl := map[string]any{}
		for k, v := range client {
			cl[k] = v
		}
		o["client"] = cl
		change(o)
		b, _ := json.Marshal(o)
		return string(b)
	}
	tests := []struct {
		name        string
		key         string
		contentType string
		body        string
		wantCode    int
		want        []intake.Problem // each must be among the answer's problems
	}{
		{name: "no key", body: string(valid), wantCode: 401,
			want: []intake.Problem{{Field: "Authorization", Problem: "missing or wrong API key"}}},
		{name: "wrong key", key: "ak_wrong", body: string(valid), wantCode: 401},
		{name: "not JSON", body: "{", wantCode: 422},
		{name: "form content type", contentType: "application/x-www-form-urlencoded", body: string(valid), wantCode: 422,
			want: []intake.Problem{{Field: "Content-Type", Problem: "want application/json"}}},
		{name: "five megabytes", body: `{"order_ref":"` + strings.Repeat("x", 5<<20) + `"}`, wantCode: 413,
			want: []intake.Problem{{Field: "body", Problem: "larger than 65536 bytes"}}},
		{name: "unknown service and municipality", body: with(func(o map[string]any) { o["service"] = "hieronta"; o["municipality"] = "Turku" }), wantCode: 422,
			want: []intake.Problem{
				{Field: "municipality", Problem: `unknown municipality "Turku"; allowed: Tampere, Kangasala, Lempäälä, Nokia, Orivesi, Pirkkala, Ylöjärvi`},
				{Field: "service", Problem: `unknown service "hieronta"; allowed: neuvonta, turvapalvelu, siivous, kauppa, ateria, hoitajavuokraus, avustaja, kotihoito, lastenhoito`},
			}},
		{name: "every problem at once", body: with(func(o map[string]any) {
			delete(o, "order_ref")
			o["start_date"] = "7.12.2026"
			o["units"] = 0
			o["payer"] = "county"
			o["client"].(map[string]any)["postal_code"] = "3310"
			o["client"].(map[string]any)["phone"] = "call me"
			o["client"].(map[string]any)["personal_id"] = "131052-308X"
			o["client"].(map[string]any)["hobby"] = "chess"
		}), wantCode: 422, want: []intake.Problem{
			{Field: "order_ref", Problem: "required"},
			{Field: "start_date", Problem: `"7.12.2026": want a date as YYYY-MM-DD`},
			{Field: "units", Problem: "0: want a number above 0 and at most 10000"},
			{Field: "payer", Problem: `"county": want city or client`},
			{Field: "client.postal_code", Problem: "want five digits"},
			{Field: "client.phone", Problem: "want a phone number such as +358 40 123 4567"},
			{Field: "client.personal_id", Problem: "not a valid personal identity code"},
			{Field: "client", Problem: `property "hobby" is unsupported`},
		}},
		{name: "wrong types", body: with(func(o map[string]any) { o["units"] = "ten"; o["client"] = "Aino" }), wantCode: 422,
			want: []intake.Problem{{Field: "units", Problem: "value must be a number"}, {Field: "client", Problem: "value must be an object"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == "" && tt.wantCode != 401 {
				key = r.key
			}
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			code, body, _ := r.do(t, "POST", "/api/v1/orders", key, ct, []byte(tt.body))
			if code != tt.wantCode {
				t.Fatalf("got %d %s, want %d", code, body, tt.wantCode)
			}
			var got struct{ Problems []intake.Problem }
			if err := json.Unmarshal([]byte(body), &got); err != nil || len(got.Problems) == 0 {
				t.Fatalf("got body %s, want problems as JSON", body)
			}
			for _, w := range tt.want {
				found := false
				for _, p := range got.Problems {
					found = found || p == w
				}
				if !found {
					t.Errorf("got problems %+v, want among them %+v", got.Problems, w)
				}
			}
			for _, p := range got.Problems {
				if strings.Contains(p.Problem, "131052") {
					t.Errorf("a problem repeats the personal identity code: %+v", p)
				}
			}
		})
	}
	// Nothing refused was stored; nothing is lost either: the valid order
	// still goes in.
	pending, _ := r.st.PendingOrders(context.Background())
	if _, ok, _ := r.st.Order(context.Background(), "Tampere", "BAD-1"); ok || len(pending) != 0 {
		t.Fatalf("a refused order was stored")
	}
	if code, body, _ := r.do(t, "POST", "/api/v1/orders", r.key, "application/json", valid); code != 202 {
		t.Fatalf("valid order after the bad ones: got %d %s, want 202", code, body)
	}
	// Another orderer's order is not found with this key.
	if code, _, _ := r.do(t, "GET", "/api/v1/orders/OK-1", "", "", nil); code != 401 {
		t.Fatalf("status without a key: got %d, want 401", code)
	}
	key2, hash2 := intake.NewKey()
	r.st.AddIntakeKey(context.Background(), "Kangasala", hash2)
	if code, _, _ := r.do(t, "GET", "/api/v1/orders/OK-1", key2, "", nil); code != 404 {
		t.Fatalf("another orderer's status: got %d, want 404", code)
	}
}

func TestOpenAPIDocument(t *testing.T) {
	r := startRig(t)
	code, body, h := r.do(t, "GET", "/api/v1/openapi.json", "", "", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("got %d %s", code, h.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Paths["/api/v1/orders"] == nil {
		t.Fatalf("got %v %+v, want an OpenAPI 3 document describing /api/v1/orders", err, doc)
	}
}
