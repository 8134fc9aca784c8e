package connectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"text/template"
	"time"

	"github.com/wneessen/go-mail"
)

// SMTPConfig configures an e-mail destination.
type SMTPConfig struct {
	// Host and Port reach the SMTP server (a relay or an e-mail service
	// provider); Port defaults to 25.
	Host string
	Port int
	// User and Password authenticate with PLAIN when set.
	User, Password string
	// TLS is "none", "opportunistic" (STARTTLS when offered, the default)
	// or "mandatory".
	TLS string
	// From is the sender address. Required.
	From string
	// To, Subject and Body are text/template templates over the message
	// (its fields and .Record, the source record, with its fields, for
	// example {{.Record.CartValue}}). activa holds no raw e-mail address
	// (ingestion keys them with an HMAC), so To names the person for the
	// relay that knows them: for example "{{.ProfileID}}@people.example.com".
	// All three required.
	To, Subject, Body string
	// Timeout bounds one delivery; default 30 seconds.
	Timeout time.Duration
}

// SMTP sends each message as an e-mail rendered from the destination's
// templates. The Message-ID is the idempotency key, and an
// X-Activa-Idempotency-Key header repeats it, so that a relay or an
// inbox recognises a redelivery. A 5xx answer is permanent, a 4xx or a
// connection failure transient.
type SMTP struct {
	cfg               SMTPConfig
	to, subject, body *template.Template
	opts              []mail.Option
}

// NewSMTP checks cfg and parses its templates.
func NewSMTP(name string, cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" || cfg.From == "" {
		return nil, fmt.Errorf("smtp %s: a host and a from address are required", name)
	}
	s := &SMTP{cfg: cfg}
	for _, t := range []struct {
		name, text string
		out        **template.Template
	}{{"to", cfg.To, &s.to}, {"subject", cfg.Subject, &s.subject}, {"body", cfg.Body, &s.body}} {
		if t.text == "" {
			return nil, fmt.Errorf("smtp %s: no %s template", name, t.name)
		}
		tpl, err := template.New(name + "." + t.name).Option("missingkey=error").Parse(t.text)
		if err != nil {
			return nil, fmt.Errorf("smtp %s: %s template: %w", name, t.name, err)
		}
		*t.out = tpl
	}
	if cfg.Port == 0 {
		cfg.Port = 25
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	policy := mail.TLSOpportunistic
	switch cfg.TLS {
	case "", "opportunistic":
	case "none":
		policy = mail.NoTLS
	case "mandatory":
		policy = mail.TLSMandatory
	default:
		return nil, fmt.Errorf("smtp %s: tls %q is none, opportunistic or mandatory", name, cfg.TLS)
	}
	s.cfg = cfg
	s.opts = []mail.Option{mail.WithPort(cfg.Port), mail.WithTLSPolicy(policy), mail.WithTimeout(cfg.Timeout)}
	if cfg.User != "" {
		s.opts = append(s.opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(cfg.User), mail.WithPassword(cfg.Password))
	}
	return s, nil
}

// Deliver renders m and sends it.
func (s *SMTP) Deliver(ctx context.Context, m *Message) error {
	var to, subject, body bytes.Buffer
	for _, r := range []struct {
		t   *template.Template
		out *bytes.Buffer
	}{{s.to, &to}, {s.subject, &subject}, {s.body, &body}} {
		if err := r.t.Execute(r.out, m); err != nil {
			return Permanent(fmt.Errorf("smtp: rendering %s for %s: %w", r.t.Name(), m.ID, err))
		}
	}
	msg := mail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return Permanent(fmt.Errorf("smtp: from %q: %w", s.cfg.From, err))
	}
	if err := msg.To(to.String()); err != nil {
		return Permanent(fmt.Errorf("smtp: recipient %q of %s: %w", to.String(), m.ID, err))
	}
	msg.Subject(subject.String())
	msg.SetMessageIDWithValue(m.ID + "@activa")
	msg.SetGenHeader("X-Activa-Idempotency-Key", m.ID)
	msg.SetBodyString(mail.TypeTextPlain, body.String())
	c, err := mail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: client for %s: %w", s.cfg.Host, err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return Permanent(fmt.Errorf("smtp: %s refused %s: %w", s.cfg.Host, m.ID, err))
		}
		return fmt.Errorf("smtp: sending %s through %s:%d: %w", m.ID, s.cfg.Host, s.cfg.Port, err)
	}
	return nil
}

// Close does nothing: every delivery has its own connection.
func (s *SMTP) Close() error { return nil }
