// Package browsertest loads alusta's web pages in a real headless Chromium
// (Debian's chromium package), saves screenshots and checks them with
// axe-core, for the tests of every package that serves pages: the
// operations console now, public pages later. It is a top-level package
// because it is shared test machinery for several web UIs, a job none of
// the mandated folders fits; only tests import it.
//
// axe-core's axe.min.js is vendored in testdata (vendor-axe.sh fetches it
// from npm) and embedded, so checks run with no CDN and no network. Where no
// Chromium is installed, New skips the test and says why.
package browsertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

//go:embed testdata/axe.min.js
var axeSource string

// ChromiumEnv names a Chromium binary to use instead of the usual places.
const ChromiumEnv = "ALUSTA_CHROMIUM"

// Chromium finds a Chromium or Chrome binary: $ALUSTA_CHROMIUM, Debian's
// /usr/bin/chromium, or one on PATH.
func Chromium() (string, bool) {
	if p := os.Getenv(ChromiumEnv); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		return "", false
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Browser is one headless Chromium, stopped when the test ends.
type Browser struct {
	ctx context.Context
}

// PageTimeout bounds one Visit: loading, the screenshot and axe-core.
const PageTimeout = 90 * time.Second

// New starts Chromium for t, or skips t with a message when none is
// installed. The flags are those Chromium needs to run as root in a
// container without a display, and keep it off the network.
func New(t testing.TB) *Browser {
	t.Helper()
	path, ok := Chromium()
	if !ok {
		t.Skipf("browsertest: no Chromium found (set %s, or apt-get install chromium): skipping the real-browser test", ChromiumEnv)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser and must not carry a timeout: the
	// browser lives as long as that run's context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start %s: %v", path, err)
	}
	return &Browser{ctx: ctx}
}

// Violation is one axe-core rule a page breaks.
type Violation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []Node `json:"nodes"`
}

// Node is one element that breaks a rule.
type Node struct {
	Target         json.RawMessage `json:"target"`
	HTML           string          `json:"html"`
	FailureSummary string          `json:"failureSummary"`
}

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for i, n := range v.Nodes {
		if i == 5 {
			fmt.Fprintf(&b, "\n    ... and %d more", len(v.Nodes)-5)
			break
		}
		fmt.Fprintf(&b, "\n    %s: %s", n.Target, strings.ReplaceAll(n.FailureSummary, "\n", " "))
	}
	return b.String()
}

// Result is what Visit saw.
type Result struct {
	Title      string
	Lang       string
	Violations []Violation
}

// Serious keeps the violations axe-core rates serious or critical.
func (r Result) Serious() []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, v)
		}
	}
	return out
}

// Visit loads url, waits for its body, saves a full-page PNG screenshot to
// shot (when not empty) and runs axe-core's WCAG 2.1 A and AA rules on it.
func (b *Browser) Visit(url, shot string) (Result, error) {
	ctx, cancel := context.WithTimeout(b.ctx, PageTimeout)
	defer cancel()
	var res Result
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		return Result{}, fmt.Errorf("browsertest: load %s: %w", url, err)
	}
	var err error
	if res.Title, err = chromedp.Run(ctx, chromedp.Title()); err != nil {
		return Result{}, fmt.Errorf("browsertest: title of %s: %w", url, err)
	}
	if res.Lang, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); err != nil {
		return Result{}, fmt.Errorf("browsertest: lang of %s: %w", url, err)
	}
	if shot != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return Result{}, fmt.Errorf("browsertest: screenshot %s: %w", url, err)
		}
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			return Result{}, fmt.Errorf("browsertest: screenshot %s: %w", url, err)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
		return Result{}, fmt.Errorf("browsertest: load axe-core into %s: %w", url, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		return Result{}, fmt.Errorf("browsertest: axe-core on %s: %w", url, err)
	}
	if err := json.Unmarshal([]byte(raw), &res.Violations); err != nil {
		return Result{}, fmt.Errorf("browsertest: axe-core on %s: %w", url, err)
	}
	if res.Violations == nil {
		return Result{}, errors.New("browsertest: axe-core returned no result")
	}
	return res, nil
}
