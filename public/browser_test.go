package public

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	chromium = "/usr/bin/chromium"
	axeFile  = "testdata/axe/node_modules/axe-core/axe.min.js"
)

// TestPagesInChromium opens the provider's order page in real headless
// Chromium, checks it with axe-core against WCAG 2.1 A and AA in each
// language, and answers through the page's own form, as a provider would
// with JavaScript or without.
func TestPagesInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the order loop in a browser")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("skipped: %s is missing (apt-get install chromium)", chromium)
	}
	axe, err := os.ReadFile(axeFile)
	if err != nil {
		t.Skipf("skipped: axe-core is missing (cd public/testdata/axe && npm ci): %v", err)
	}
	r := startRig(t)
	if code, body := r.postOrder(t, r.key, order("WEB-1")); code != 202 {
		t.Fatalf("post: got %d %s", code, body)
	}
	_, _, link := r.mailFor(t, "WEB-1")

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first run starts the browser, which lives as long as its
	// context: no timeout there, only on the steps after it.
	if err := chromedp.Do(bctx); err != nil {
		t.Skipf("skipped: %s does not start: %v", chromium, err)
	}
	ctx, cancelTimeout := context.WithTimeout(bctx, 2*time.Minute)
	defer cancelTimeout()

	check := func(name, u string) {
		t.Helper()
		err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("main")),
			chromedp.Evaluate[chromedp.Void](string(axe)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
			.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)}))))`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: axe: %v", name, err)
		}
		var violations []map[string]any
		if err := json.Unmarshal([]byte(raw), &violations); err != nil {
			t.Fatalf("%s: axe answered %q: %v", name, raw, err)
		}
		if len(violations) > 0 {
			t.Errorf("%s: axe found WCAG 2.1 AA violations: %s", name, raw)
		}
	}
	for _, l := range []string{"fi", "sv", "en"} {
		check("order page "+l, link+"?lang="+l)
	}
	check("invalid link page", link[:len(link)-2]+"xy")

	// Accept through the page's own form.
	err = chromedp.Do(ctx, chromedp.Navigate(link), chromedp.Click(chromedp.CSS("form button[type=submit]"), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS("p[role=status]")))
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("p[role=status]")))
	if err != nil {
		t.Fatal(err)
	}
	lang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "hyväksytty") || lang.Value != "fi" {
		t.Fatalf("after accepting: got status %q in %q, want the Finnish confirmation", status, lang.Value)
	}
	if s := r.status(t, "WEB-1"); s.Status != "accepted" {
		t.Fatalf("API status: got %q, want accepted", s.Status)
	}
	check("accepted page", link+"?"+url.Values{"done": {"accept"}}.Encode())
}
