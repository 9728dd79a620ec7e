package console

import (
	"testing"
	"time"
)

func TestPrinter(t *testing.T) {
	cats, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	loc := helsinki(t)
	winter := time.Date(2026, 12, 1, 14, 5, 0, 0, time.UTC) // 16.05 in Helsinki
	summer := time.Date(2026, 7, 1, 13, 0, 0, 0, time.UTC)  // 16.00 in Helsinki
	format := func(p *printer) []string {
		return []string{p.Time(winter), p.Time(summer), p.Num(1234567), p.Pct(0.905),
			p.Dur(50*time.Hour + 20*time.Minute), p.Dur(1500 * time.Millisecond), p.Week(winter)}
	}
	tests := []struct {
		lang string
		want []string
	}{
		{"fi", []string{"1.12.2026 klo 16.05", "1.7.2026 klo 16.00", "1\u202f234\u202f567", "91\u00a0%", "2 pv 2 h", "1,5 s", "vk 49"}},
		{"sv", []string{"1.12.2026 kl. 16.05", "1.7.2026 kl. 16.00", "1\u202f234\u202f567", "91\u00a0%", "2 d 2 h", "1,5 s", "v. 49"}},
		{"en", []string{"2026-12-01 16:05", "2026-07-01 16:00", "1,234,567", "91%", "2 d 2 h", "1.5 s", "W49"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			got := format(&printer{Lang: tt.lang, msgs: cats[tt.lang], loc: loc})
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Errorf("got %q, want %q", got[i], tt.want[i])
				}
			}
		})
	}
}
