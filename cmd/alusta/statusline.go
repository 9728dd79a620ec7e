package main

import (
	"io"
	"sync"
)

// statusLine is a line at the bottom of a terminal that is redrawn in
// place (a progress line), sharing the terminal with log lines: a log line
// clears it first and it is drawn again under the log line, so that the
// two never run into each other on one line.
type statusLine struct {
	mu  sync.Mutex
	w   io.Writer
	cur string // what is drawn now; "" for nothing
}

const eraseLine = "\r\x1b[K" // to the line's start, and erase it

var _ io.Writer = (*statusLine)(nil)

// Draw replaces the line's text.
func (s *statusLine) Draw(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = text
	io.WriteString(s.w, eraseLine+text)
}

// Clear erases the line, leaving the cursor at its start.
func (s *statusLine) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != "" {
		io.WriteString(s.w, eraseLine)
	}
	s.cur = ""
}

// Write writes p (a whole log line, as slog's handlers write one record a
// call) above the status line.
func (s *statusLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == "" {
		return s.w.Write(p)
	}
	io.WriteString(s.w, eraseLine)
	n, err := s.w.Write(p)
	io.WriteString(s.w, eraseLine+s.cur)
	return n, err
}
