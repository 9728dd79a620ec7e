package console

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// get fetches path from srv and returns the status and the body.
func get(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// text is an element's text with runs of white space made one space.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(strings.ReplaceAll(b.String(), "\u202f", "")), " ")
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// table returns the body rows of the first table in the section labelled
// by the heading with id, each row's cells as text, keyed by its first
// cell. Digit grouping spaces are removed, so numbers read plainly, and
// other spaces are made plain ones.
func table(t *testing.T, body, id string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range tableRows(t, body, id) {
		out[r[0]] = r
	}
	return out
}

// tableRows is table's rows in page order.
func tableRows(t *testing.T, body, id string) [][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	secs := find(doc, func(n *html.Node) bool { return n.Data == "section" && attr(n, "aria-labelledby") == id })
	if len(secs) == 0 {
		t.Fatalf("no section %q in the page", id)
	}
	// The section's first table body only.
	var out [][]string
	bodies := find(secs[0], func(n *html.Node) bool { return n.Data == "tbody" })
	if len(bodies) == 0 {
		return out
	}
	for _, tr := range find(bodies[0], func(n *html.Node) bool { return n.Data == "tr" }) {
		var cells []string
		for _, c := range find(tr, func(n *html.Node) bool { return n.Data == "td" || n.Data == "th" }) {
			cells = append(cells, text(c))
		}
		if len(cells) > 0 {
			out = append(out, cells)
		}
	}
	return out
}
