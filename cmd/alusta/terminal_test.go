//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/report"
	"github.com/alusta/alusta/store"
)

// The terminal tests run the built binary under a pseudo-terminal, as a
// person at a terminal runs it, and with plain pipes, as a script does.

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// TestMain removes the binary the terminal tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binaryPath != "" {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
	os.Exit(code)
}

// alustaBinary builds the command once for the package's tests.
func alustaBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the alusta binary")
	}
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "alusta-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "alusta")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// terminal is a command running under a pseudo-terminal, its output
// collected as it comes.
type terminal struct {
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func startTerminal(t *testing.T, cmd *exec.Cmd) *terminal {
	t.Helper()
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	tm := &terminal{cmd: cmd, tty: tty, done: make(chan struct{})}
	go func() {
		defer close(tm.done)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return // EIO once the command has exited
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		tty.Close()
		<-tm.done
	})
	return tm
}

func (tm *terminal) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

// waitOutput waits, with a generous deadline, until the output so far
// satisfies cond.
func (tm *terminal) waitOutput(t *testing.T, what string, cond func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond(tm.output()) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; output so far:\n%q", what, tm.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits for the command to exit and its output to be read, and
// returns its exit code.
func (tm *terminal) wait(t *testing.T) int {
	t.Helper()
	err := tm.cmd.Wait()
	<-tm.done
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// gatedCRM is a sandbox over loopback whose answers can be held back
// after the first page of tickets (so that a cycle is still running when
// the test looks at its progress line) and then refused.
type gatedCRM struct {
	url     string
	release chan struct{}
	once    sync.Once
	refuse  atomic.Bool
	pages   atomic.Int32
}

func startGatedCRM(t *testing.T) *gatedCRM {
	t.Helper()
	crm, err := sandbox.New(sandbox.Options{Seed: "demo", Token: "pty-test", DemoSize: sandbox.DemoSize{Tickets: 300, Deals: 40},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { crm.Close() })
	g := &gatedCRM{release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.pages.Load() > 0 {
			// A page of tickets has been read: hold the rest.
			select {
			case <-g.release:
			case <-r.Context().Done():
				return
			}
		}
		if g.refuse.Load() {
			http.Error(w, `{"status":"error","category":"INVALID_AUTHENTICATION","message":"token revoked"}`, http.StatusUnauthorized)
			return
		}
		crm.ServeHTTP(w, r)
		if strings.HasPrefix(r.URL.Path, "/crm/v3/objects/tickets/search") {
			g.pages.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(g.open)
	g.url = srv.URL
	return g
}

func (g *gatedCRM) open() { g.once.Do(func() { close(g.release) }) }

// syncCommand is alusta sync --once against crm, with its files in dir.
func syncCommand(t *testing.T, bin, dir, crmURL string) *exec.Cmd {
	t.Helper()
	rules, err := filepath.Abs(filepath.Join("..", "..", "testdata", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "sync", "--once")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ALUSTA_HUBSPOT_BASE_URL="+crmURL, "ALUSTA_HUBSPOT_TOKEN=pty-test",
		"ALUSTA_STORE_PATH="+filepath.Join(dir, "alusta.db"), "ALUSTA_PIPELINES_DIR="+filepath.Join(rules, "pipelines"),
		"ALUSTA_MAPPINGS_DIR="+filepath.Join(rules, "mappings"), "ALUSTA_PUBLIC_LINK_SECRET_FILE="+filepath.Join(dir, "link.key"))
	return cmd
}

const (
	clearLine = "\r\x1b[K"
	drawn     = clearLine + "sync: tickets: "
)

// TestSyncProgressOnTerminal: on a terminal, sync --once draws its
// progress line and rewrites it in place (a carriage return and a line
// clear each time, no newline), and clears it before the summary, so
// the summary starts on a clean line; a cycle that fails clears it before
// the error as well.
func TestSyncProgressOnTerminal(t *testing.T) {
	bin := alustaBinary(t)
	for _, fail := range []bool{false, true} {
		name := map[bool]string{false: "ends", true: "fails"}[fail]
		t.Run(name, func(t *testing.T) {
			crm := startGatedCRM(t)
			tm := startTerminal(t, syncCommand(t, bin, t.TempDir(), crm.url))
			tm.waitOutput(t, "the progress line drawn twice", func(s string) bool { return strings.Count(s, drawn) >= 2 })
			crm.refuse.Store(fail)
			crm.open()
			code := tm.wait(t)
			out := tm.output()

			// Each draw is a whole progress line, and the next thing on
			// the terminal is a carriage return: the next draw, or the
			// erase before a log line or the end. A log line never runs
			// into a progress line.
			progress := regexp.MustCompile(`^\d+ records, \d+ pages, \d+ calls, \d+ % of the window(, about \S+ left)?$`)
			draws := 0
			for i := strings.Index(out, drawn); i >= 0; {
				rest := out[i+len(drawn):]
				end := strings.IndexAny(rest, "\r\n")
				if end < 0 || rest[end] != '\r' || !progress.MatchString(rest[:end]) {
					t.Fatalf("draw %d is not a whole progress line followed by a carriage return:\n%q", draws+1, rest)
				}
				draws++
				next := strings.Index(rest, drawn)
				if next < 0 {
					break
				}
				i += len(drawn) + next
			}
			if draws < 2 {
				t.Fatalf("got %d draws of the progress line, want at least 2:\n%q", draws, out)
			}
			// What stays visible of each line is what follows its last
			// erase.
			for _, l := range strings.Split(out, "\n") {
				l = strings.TrimSuffix(l, "\r")
				if i := strings.LastIndex(l, clearLine); i >= 0 {
					l = l[i+len(clearLine):]
				}
				if strings.Contains(l, "\x1b") || strings.Contains(l, "level=") && strings.Contains(l, "% of the window") {
					t.Errorf("a log line ran into the progress line: %q", l)
				}
			}
			// After the last erase: the summary (and the error), nothing
			// of the progress line.
			rest := out[strings.LastIndex(out, clearLine)+len(clearLine):]
			if strings.Contains(rest, "\x1b") || strings.Contains(rest, "sync: tickets:") || !regexp.MustCompile(`^sync: pulled \d+`).MatchString(rest) {
				t.Errorf("after the last erase: got %q, want the summary on a clean line and no progress", rest)
			}
			if fail {
				if code == 0 || !strings.Contains(rest, "\nalusta: sync: ") {
					t.Errorf("failed cycle: got exit %d, after the erase %q; want non-zero and the error on its own line", code, rest)
				}
				return
			}
			if code != 0 || strings.Count(rest, "\n") != 1 {
				t.Errorf("finished cycle: got exit %d, after the erase %q; want 0 and only the summary line", code, rest)
			}
		})
	}
}

// TestSyncWithoutTerminal: a script's sync --once gets the summary and no
// progress line, no control characters.
func TestSyncWithoutTerminal(t *testing.T) {
	bin := alustaBinary(t)
	crm := startGatedCRM(t)
	crm.open()
	cmd := syncCommand(t, bin, t.TempDir(), crm.url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &stdout, &stderr, strings.NewReader("")
	if err := cmd.Run(); err != nil {
		t.Fatalf("sync --once: %v\n%s", err, stderr.String())
	}
	if !regexp.MustCompile(`^sync: pulled \d+`).MatchString(stdout.String()) {
		t.Errorf("stdout: got %q, want the summary", stdout.String())
	}
	if all := stdout.String() + stderr.String(); strings.Contains(all, "\x1b") || strings.Contains(all, "\r") || strings.Contains(all, "sync: tickets:") {
		t.Errorf("without a terminal: got control characters or a progress line:\n%q", all)
	}
}

// TestReportLockPrompt: on a terminal, report lock asks; "n" leaves the
// month open and exits non-zero, "y" locks it. Without a terminal it
// asks nothing.
func TestReportLockPrompt(t *testing.T) {
	bin := alustaBinary(t)
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "alusta.db")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	locked := func(month string) bool {
		t.Helper()
		st, err := store.Open(ctx, db, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		months, err := report.LockedMonths(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range months {
			if m == month {
				return true
			}
		}
		return false
	}
	lock := func(month string, extra ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"report", "lock", "--month", month}, extra...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "ALUSTA_STORE_PATH="+db)
		return cmd
	}
	const question = "Lock billing month 2026-09? Later changes to its orders become corrections. [y/N] "
	for _, tt := range []struct {
		answer string
		locks  bool
	}{{"n", false}, {"", false}, {"y", true}} {
		t.Run("answer "+tt.answer, func(t *testing.T) {
			if locked("2026-09") {
				t.Fatal("2026-09 is locked before the test")
			}
			tm := startTerminal(t, lock("2026-09"))
			tm.waitOutput(t, "the question", func(s string) bool { return strings.Contains(s, question) })
			if _, err := io.WriteString(tm.tty, tt.answer+"\n"); err != nil {
				t.Fatal(err)
			}
			code := tm.wait(t)
			out := tm.output()
			if got := locked("2026-09"); got != tt.locks {
				t.Fatalf("answer %q: locked %t, want %t; output:\n%q", tt.answer, got, tt.locks, out)
			}
			if tt.locks && (code != 0 || !strings.Contains(out, "locked 2026-09: ")) {
				t.Errorf("answer %q: got exit %d, output %q; want 0 and the locked line", tt.answer, code, out)
			}
			if !tt.locks && (code == 0 || !strings.Contains(out, "alusta: report lock: not locked")) {
				t.Errorf("answer %q: got exit %d, output %q; want non-zero and not locked", tt.answer, code, out)
			}
		})
	}
	// A script without a terminal is not asked: without --yes nothing is
	// locked and the command says why; with --yes the month is locked.
	cmd := lock("2026-08")
	cmd.Stdin = strings.NewReader("y\n")
	out, err := cmd.CombinedOutput()
	if err == nil || strings.Contains(string(out), "[y/N]") || !strings.Contains(string(out), "pass --yes") || locked("2026-08") {
		t.Errorf("without a terminal or --yes: got %v, output %q; want an error saying --yes and 2026-08 not locked", err, out)
	}
	cmd = lock("2026-08", "--yes")
	cmd.Stdin = strings.NewReader("")
	out, err = cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "[y/N]") || !locked("2026-08") {
		t.Errorf("without a terminal: got %v, output %q; want no question and 2026-08 locked", err, out)
	}
}
