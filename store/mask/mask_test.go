package mask

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

const checks = "0123456789ABCDEFHJKLMNPRSTUVWXY"

// markers are the century markers: + (1800s), - Y X W V U (1900s) and
// A B C D E F (2000s).
const markers = "+-YXWVUABCDEF"

// dashes are hyphens as they arrive from word processors and phones.
var dashes = []string{"-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe63", "\uff0d"}

// makeCode builds a valid identity code: a real date, the individual
// number and the check character computed from them.
func makeCode(day, month, year, ind int, marker byte) string {
	num := fmt.Sprintf("%02d%02d%02d%03d", day, month, year, ind)
	n, _ := strconv.Atoi(num)
	return fmt.Sprintf("%s%c%s%c", num[:6], marker, num[6:], checks[n%31])
}

// validCodes finds every valid identity code in s the slow, obvious way,
// independently of the pattern under test: at each position, a real day
// and month, a century marker (a dash of any kind, fullwidth forms
// folded), three digits and the right check character.
func validCodes(s string) []string {
	var rs []rune
	for _, r := range s {
		switch {
		case r >= '！' && r <= '～':
			r = r - '！' + '!'
		case unicode.Is(unicode.Pd, r) || r == '−' || r == '﹣':
			r = '-'
		}
		if r < unicode.MaxASCII {
			r = unicode.ToUpper(r)
		}
		rs = append(rs, r)
	}
	digits := func(rs []rune) (int, bool) {
		n := 0
		for _, r := range rs {
			if r < '0' || r > '9' {
				return 0, false
			}
			n = n*10 + int(r-'0')
		}
		return n, true
	}
	var out []string
	for i := 0; i+11 <= len(rs); i++ {
		c := rs[i : i+11]
		day, ok1 := digits(c[0:2])
		month, ok2 := digits(c[2:4])
		_, ok3 := digits(c[4:6])
		_, ok4 := digits(c[7:10])
		if !ok1 || !ok2 || !ok3 || !ok4 || day < 1 || day > 31 || month < 1 || month > 12 || !strings.ContainsRune(markers, c[6]) {
			continue
		}
		n, _ := digits(append(append([]rune{}, c[0:6]...), c[7:10]...))
		if rune(checks[n%31]) == c[10] {
			out = append(out, string(c))
		}
	}
	return out
}

func TestHetu(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "asiakas 131052-308T soitti", want: "asiakas [hetu] soitti"},
		{name: "glued to a word", in: "HETU131052-308T", want: "HETU[hetu]"},
		{name: "glued to underscore", in: "asiakas_131052-308T", want: "asiakas_[hetu]"},
		{name: "two in a row", in: "131052-308T010105B123A", want: "[hetu][hetu]"},
		{name: "en dash", in: "131052–308T", want: "[hetu]"},
		{name: "minus sign", in: "131052−308T", want: "[hetu]"},
		{name: "fullwidth", in: "１３１０５２－３０８Ｔ", want: "[hetu]"},
		{name: "lower case", in: "010105b123a", want: "[hetu]"},
		{name: "after digits", in: "99131052-308T", want: "99[hetu]"},
		{name: "plus", in: "p 131052+300T", want: "p [hetu]"},
		{name: "dates stay", in: "2026-11-29T10:00:00Z due 2026-12-01", want: "2026-11-29T10:00:00Z due 2026-12-01"},
		{name: "ids stay", in: "5100003041 301 hs_object_id", want: "5100003041 301 hs_object_id"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hetu(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHetuEveryMarker masks a code with each of the 13 century markers,
// alone, glued and after another code.
func TestHetuEveryMarker(t *testing.T) {
	for i := range len(markers) {
		c := makeCode(13, 10, 52, 308, markers[i])
		for _, s := range []string{c, "x" + c + "y", "HETU" + c, c + makeCode(1, 1, 5, 123, 'B'), "p " + c} {
			if got := Hetu(s); len(validCodes(got)) != 0 || !strings.Contains(got, Replacement) {
				t.Errorf("marker %c: Hetu(%q) = %q", markers[i], s, got)
			}
		}
	}
}

// FuzzHetu embeds valid codes (every century marker, every dash, glued to
// arbitrary text and to each other) and checks that none survives masking,
// nor any valid code that the arbitrary text itself happens to hold.
func FuzzHetu(f *testing.F) {
	f.Add("HETU", "", "", uint32(0), uint8(1), uint8(4), true)
	f.Add("asiakas_", "-", "x", uint32(123456), uint8(7), uint8(0), false)
	f.Add("131052", "308T", "010105B123A", uint32(98765), uint8(0), uint8(9), true)
	f.Add("", "", "", uint32(4242424), uint8(12), uint8(2), true)
	f.Fuzz(func(t *testing.T, pre, mid, post string, n uint32, marker, dash uint8, twice bool) {
		code := func(n uint32) string {
			m := markers[int(marker)%len(markers)]
			c := makeCode(1+int(n%28), 1+int(n/28%12), int(n/336%100), int(n/33600%1000), m)
			if m == '-' {
				c = strings.Replace(c, "-", dashes[int(dash)%len(dashes)], 1)
			}
			return c
		}
		s := pre + code(n) + mid
		if twice {
			s += code(n / 7)
		}
		s += post
		if len(validCodes(s)) == 0 {
			t.Fatalf("the input %q holds no valid code: the oracle is wrong", s)
		}
		got := Hetu(s)
		if left := validCodes(got); len(left) != 0 {
			t.Errorf("Hetu(%q) = %q, which still holds %q", s, got, left)
		}
	})
}

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewTextHandler(&buf, nil))).With("record", "131052-308T")
	log.WithGroup("g").Warn("skipping 010105B123A", "reason", `not a number: "131052+300T"`,
		"err", errors.New("bad 131052A308T"), "values", []string{"131052–308T"}, "n", 42,
		slog.Group("inner", "v", "HETU131052-308T"))
	got := buf.String()
	if left := validCodes(got); len(left) != 0 {
		t.Errorf("log line %q holds %q", got, left)
	}
	for _, want := range []string{`msg="skipping [hetu]"`, `record=[hetu]`, `g.reason="not a number: \"[hetu]\""`,
		`g.err="bad [hetu]"`, `g.values=[[hetu]]`, `g.n=42`, `g.inner.v=HETU[hetu]`} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %q lacks %q", got, want)
		}
	}
}
