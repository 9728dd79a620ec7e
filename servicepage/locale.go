package servicepage

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

//go:embed locale/*.json
var localeFS embed.FS

// languages are the page's languages, Finnish first: Finnish public
// services serve in Finnish and Swedish, and this one in English too.
var languages = []string{"fi", "sv", "en"}

// catalog is one language's texts, key -> text.
type catalog struct {
	Lang  string
	texts map[string]string
}

// t returns the text of key; a missing key shows as itself, which the
// catalogue test catches before it reaches a visitor.
func (c catalog) t(key string) string {
	if s, ok := c.texts[key]; ok {
		return s
	}
	return key
}

var catalogs = func() map[string]catalog {
	out := map[string]catalog{}
	for _, l := range languages {
		b, err := localeFS.ReadFile("locale/" + l + ".json")
		if err != nil {
			panic(fmt.Sprintf("servicepage: catalogue %s: %v", l, err))
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("servicepage: catalogue %s: %v", l, err))
		}
		out[l] = catalog{Lang: l, texts: m}
	}
	return out
}()

// language picks the page language: ?lang= first, then the browser's
// Accept-Language, then Finnish.
func language(r *http.Request) catalog {
	if l := r.FormValue("lang"); slices.Contains(languages, l) {
		return catalogs[l]
	}
	for _, tag := range acceptLanguages(r.Header.Get("Accept-Language")) {
		if slices.Contains(languages, tag) {
			return catalogs[tag]
		}
	}
	return catalogs["fi"]
}

// acceptLanguages lists the primary subtags of an Accept-Language header
// in the order given (weights are not honoured: browsers send them in
// order of preference).
func acceptLanguages(h string) []string {
	var out []string
	tag := ""
	inTag := true
	flush := func() {
		if len(tag) >= 2 {
			out = append(out, tag[:2])
		}
		tag, inTag = "", true
	}
	for _, r := range h {
		switch {
		case r == ',':
			flush()
		case r == ';' || r == '-' || r == ' ':
			inTag = inTag && r == ' ' && tag == ""
		case inTag && r >= 'a' && r <= 'z', inTag && r >= 'A' && r <= 'Z':
			tag += string(r | 0x20)
		}
	}
	flush()
	return out
}
