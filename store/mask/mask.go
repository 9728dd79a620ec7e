// Package mask hides Finnish personal identity codes (henkilötunnus, hetu)
// in the texts alusta keeps and logs. It is the one place that decides what
// an identity code looks like: the store masks every text it writes with
// Hetu, and the logger masks every line with Handler, so a code that a
// person typed into any CRM field reaches neither SQLite nor a log.
//
// It lives under store because keeping client data out of the cache is the
// store's promise; the logger borrows it so that both promise the same.
package mask

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Replacement is what replaces an identity code.
const Replacement = "[hetu]"

// code matches the shape of an identity code: DDMMYY, the century marker
// (+ for the 1800s, - and Y X W V U for the 1900s, A B C D E F for the
// 2000s), a three-digit individual number and the check character. It has
// no word boundaries: codes glued to a word (HETU131052-308T,
// asiakas_131052-308T) or to each other (131052-308T010105B123A) are codes
// all the same. It matches on folded text (see fold), and it does not
// verify the date or the check character: a code with a typo in it is
// still a person's.
var code = regexp.MustCompile(`(?i)[0-3][0-9][01][0-9]{3}[-+A-FU-Y][0-9]{3}[0-9A-FHJ-NPR-Y]`)

// Hetu replaces every identity code in s with Replacement.
func Hetu(s string) string {
	// Most texts hold no digit run long enough to be a code: no work.
	if !hasSixDigits(s) {
		return s
	}
	folded, starts := fold(s)
	found := code.FindAllStringIndex(folded, -1)
	if found == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, m := range found {
		// folded has one byte per rune of s; starts maps rune indexes
		// back to byte offsets in s.
		from, to := starts[m[0]], starts[m[1]]
		b.WriteString(s[last:from])
		b.WriteString(Replacement)
		last = to
	}
	b.WriteString(s[last:])
	return b.String()
}

// hasSixDigits reports whether s holds six digits in a row, ASCII or
// fullwidth, which every identity code starts with.
func hasSixDigits(s string) bool {
	run := 0
	for _, r := range s {
		if ('0' <= r && r <= '9') || ('０' <= r && r <= '９') {
			run++
			if run == 6 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// fold maps s to one ASCII byte per rune, so that a code written with a
// Unicode dash (131052–308T), a minus sign or fullwidth characters matches
// like the plain one; runes with no ASCII look-alike become 0x80, which
// matches nothing. starts holds the byte offset in s of each rune, and
// len(s) after the last.
func fold(s string) (string, []int) {
	b := make([]byte, 0, len(s))
	starts := make([]int, 0, len(s)+1)
	for i, r := range s {
		starts = append(starts, i)
		b = append(b, foldRune(r))
	}
	starts = append(starts, len(s))
	return string(b), starts
}

func foldRune(r rune) byte {
	switch {
	case r < utf8.RuneSelf:
		return byte(r)
	case '！' <= r && r <= '～':
		// Fullwidth forms of ASCII (０, Ａ, －, ＋).
		return byte(r - '！' + '!')
	case r == '−' || r == '﹣' || r == '⁻' || r == '₋' || unicode.Is(unicode.Pd, r):
		// Dashes and minus signs: the hyphen, en and em dash, the
		// non-breaking hyphen and their kin.
		return '-'
	case r == '﹢' || r == '⁺' || r == '₊':
		return '+'
	}
	return 0x80
}
