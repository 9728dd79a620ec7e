package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/alusta/alusta/store"
)

// SMTP is how mail leaves: host, port and TLS mode.
type SMTP struct {
	Host     string
	Port     int
	TLS      string // "starttls" (required), "tls" (implicit, port 465) or "none"
	Username string
	Password string
	From     string
	Timeout  time.Duration
}

// Mailer sends e-mail over SMTP with go-mail.
type Mailer struct {
	cfg SMTP
}

var _ Sender = (*Mailer)(nil)

// NewMailer returns a mailer; nothing is dialled until a message is sent.
func NewMailer(cfg SMTP) *Mailer {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Mailer{cfg: cfg}
}

// Send delivers one e-mail. A 5xx answer is permanent; anything else is
// tried again.
func (m *Mailer) Send(ctx context.Context, n store.Notification) error {
	msg, err := buildMail(m.cfg.From, n, mail.EncodingQP)
	if err != nil {
		return Permanent(err)
	}
	opts := []mail.Option{mail.WithPort(m.cfg.Port), mail.WithTimeout(m.cfg.Timeout)}
	switch m.cfg.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if m.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(m.cfg.Username), mail.WithPassword(m.cfg.Password))
	}
	c, err := mail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return Permanent(fmt.Errorf("notify: smtp client: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return Permanent(fmt.Errorf("notify: smtp send %s: %w", n.Key, err))
		}
		return fmt.Errorf("notify: smtp send %s: %w", n.Key, err)
	}
	return nil
}

// messageID is stable per queued message, so that a receiver can tell a
// repeat (after a crash between sending and marking sent) for what it is.
func messageID(n store.Notification) string {
	h := sha256.Sum256([]byte(n.Key))
	return hex.EncodeToString(h[:12]) + "@alusta"
}

// buildMail renders a queued message. SMTP gets quoted-printable, which
// every server takes; the outbox gets 8bit, which keeps the link on one
// line, whole, in the .eml file people open.
func buildMail(from string, n store.Notification, enc mail.Encoding) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithEncoding(enc))
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("notify: from %q: %w", from, err)
	}
	if err := msg.To(n.Recipient); err != nil {
		return nil, fmt.Errorf("notify: to: %w", err)
	}
	msg.Subject(n.Subject)
	msg.SetMessageIDWithValue(messageID(n))
	msg.SetDateWithValue(n.CreatedAt)
	msg.SetBodyString(mail.TypeTextPlain, n.Body)
	return msg, nil
}

// Outbox writes each e-mail as an .eml file into a folder instead of
// sending it: for demo mode and for installations without SMTP. Files are
// readable by their owner only, since a link in them opens a client's
// details.
type Outbox struct {
	dir  string
	from string
}

var _ Sender = (*Outbox)(nil)

// NewOutbox returns an outbox writing into dir, creating it (0700).
func NewOutbox(dir, from string) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("notify: outbox: %w", err)
	}
	return &Outbox{dir: dir, from: from}, nil
}

// Dir is the folder the outbox writes into.
func (o *Outbox) Dir() string { return o.dir }

// Send writes n to DIR/<created>-<id>.eml, atomically: a reader never sees
// half a file, and writing the same message again replaces it.
func (o *Outbox) Send(_ context.Context, n store.Notification) error {
	msg, err := buildMail(o.from, n, mail.NoEncoding)
	if err != nil {
		return Permanent(err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return fmt.Errorf("notify: outbox: render %s: %w", n.Key, err)
	}
	name := fmt.Sprintf("%s-%06d.eml", n.CreatedAt.UTC().Format("20060102T150405"), n.ID)
	tmp, err := os.CreateTemp(o.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("notify: outbox: %w", err)
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("notify: outbox: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(o.dir, name)); err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	return nil
}
