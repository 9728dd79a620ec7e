package forward

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestMailText compares each message with its golden file: the wording
// providers read, and proof that it names no client.
func TestMailText(t *testing.T) {
	o := order{DealID: "5100000181", OrderRef: "TRE-2026-0001", Service: "kotihoito", Municipality: "Tampere",
		Units: "10", Unit: "h", StartDate: "2026-12-07"}
	exp := time.Date(2026, 12, 13, 16, 31, 0, 0, time.UTC)
	for _, event := range []string{"assigned", "reminder", "cancelled"} {
		t.Run(event, func(t *testing.T) {
			subject, body := mailText(event, o, "https://tilaukset.example.fi/tilaus/TOKEN", exp)
			got := "Subject: " + subject + "\n\n" + body
			file := filepath.Join("testdata", "mail-"+event+".golden")
			if *update {
				os.WriteFile(file, []byte(got), 0o644)
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Fatalf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}
