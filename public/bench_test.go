package public

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkOrderIntake measures the API's path for a new order over
// loopback: key check, OpenAPI validation, the rules' checks and the
// durable (synced) store write before the 202. Creating the deal in
// HubSpot happens after the answer and is not timed.
func BenchmarkOrderIntake(b *testing.B) {
	r := startRig(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := order(fmt.Sprintf("BENCH-%d", i))
		body, _ := json.Marshal(o)
		code, resp, _ := r.do(b, "POST", "/api/v1/orders", r.key, "application/json", body)
		if code != 202 {
			b.Fatalf("got %d %s", code, resp)
		}
	}
}
