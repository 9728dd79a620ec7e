package servicepage

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeScript is axe-core as npm installs it (cd testdata/axe && npm ci).
var axeScript = filepath.Join("..", "testdata", "axe", "node_modules", "axe-core", "axe.min.js")

// browserRig starts headless Chromium, or skips saying what is missing.
func browserRig(t *testing.T) (context.Context, string) {
	t.Helper()
	chromium := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		t.Skip("no Chromium on this machine (Debian: apt-get install chromium): the browser accessibility test is skipped")
	}
	axe, err := os.ReadFile(axeScript)
	if err != nil {
		t.Skipf("axe-core is not installed (cd testdata/axe && npm ci): the browser accessibility test is skipped: %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("headless", true), chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	// The first action starts the browser; it must not carry a timeout,
	// which would stop the whole browser.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Skipf("Chromium at %s does not start here: the browser accessibility test is skipped: %v", chromium, err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	return ctx, string(axe)
}

// violation is the part of an axe-core result a failure names.
type violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// axeCheck runs axe-core's WCAG 2.1 A and AA rules on the loaded page and
// fails on every violation of serious or critical impact.
func axeCheck(t *testing.T, ctx context.Context, axe, what string) {
	t.Helper()
	run := `(async () => { const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}); return JSON.stringify(r.violations); })()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axe)); err != nil {
		t.Fatalf("%s: load axe-core: %v", what, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: run axe-core: %v", what, err)
	}
	var vs []violation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatalf("%s: read axe-core's answer: %v", what, err)
	}
	for _, v := range vs {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var targets []string
		for _, n := range v.Nodes {
			targets = append(targets, fmt.Sprint(n.Target...))
		}
		t.Errorf("%s: %s (%s): %s at %s", what, v.ID, v.Impact, v.Help, strings.Join(targets, ", "))
	}
}

// TestPageInChromium loads /palvelut in three languages and the form's
// error answer in real headless Chromium and finds no serious or critical
// axe-core violation; with the keyboard, the first Tab reaches the skip
// link.
func TestPageInChromium(t *testing.T) {
	ctx, axe := browserRig(t)
	r := newRig(t, 50)
	for _, lang := range languages {
		if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/palvelut?lang="+lang)); err != nil {
			t.Fatal(err)
		}
		htmlLang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		if err != nil {
			t.Fatal(err)
		}
		if htmlLang != lang {
			t.Errorf("got lang %q, want %q", htmlLang, lang)
		}
		axeCheck(t, ctx, axe, "/palvelut?lang="+lang)
	}
	// An empty form sent: the answer lists every problem.
	err := chromedp.Do(ctx,
		chromedp.Navigate(r.srv.URL+"/palvelut?lang=fi"),
		chromedp.Click(chromedp.CSS(`form[method=post] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("errors")),
	)
	if err != nil {
		t.Fatal(err)
	}
	summary, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("errors")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary, "Kirjoita nimesi") || !strings.Contains(summary, "Hyväksy tietojesi käsittely") {
		t.Errorf("error summary %q lacks the problems", summary)
	}
	axeCheck(t, ctx, axe, "the form's error answer")
	err = chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/palvelut?lang=sv"), chromedp.KeyEvent("\t"))
	if err != nil {
		t.Fatal(err)
	}
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.className`))
	if err != nil {
		t.Fatal(err)
	}
	if focused != "skip" {
		t.Errorf("first Tab focused %q, want the skip link", focused)
	}
}
