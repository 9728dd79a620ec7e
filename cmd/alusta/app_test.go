package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/config"
)

// TestLoggerMasksIdentityCodes checks that every log line of the command
// is masked, in both formats, whoever logs it. Before, the daemon's
// "skipping bad record" warning printed the raw value.
func TestLoggerMasksIdentityCodes(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			log := newLogger(&buf, config.Log{Level: "info", Format: format}, time.UTC)
			log.Warn("skipping bad record", "object", "deals", "id", "42", "property", "alusta_units",
				"reason", `not a number: "HETU131052-308T"`, "err", errors.New("400: 131052–308T010105B123A"))
			got := buf.String()
			for _, code := range []string{"131052", "010105"} {
				if strings.Contains(got, code) {
					t.Errorf("log line %q holds part of a code (%s)", got, code)
				}
			}
			if !strings.Contains(got, "HETU[hetu]") || !strings.Contains(got, "400: [hetu][hetu]") {
				t.Errorf("log line %q: want the codes replaced by [hetu]", got)
			}
		})
	}
}
