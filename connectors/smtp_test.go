package connectors

import (
	"strings"
	"testing"
)

func TestSMTPNeedsAServerASenderAndItsTemplates(t *testing.T) {
	good := SMTPConfig{Host: "127.0.0.1", From: "shop@example.com", To: "{{.ProfileID}}@people.example.com", Subject: "Hello", Body: "Hi"}
	if _, err := NewSMTP("mail", good); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		change func(*SMTPConfig)
		want   string
	}{
		{func(c *SMTPConfig) { c.Host = "" }, "a host and a from address"},
		{func(c *SMTPConfig) { c.From = "" }, "a host and a from address"},
		{func(c *SMTPConfig) { c.To = "" }, "no to template"},
		{func(c *SMTPConfig) { c.Body = "" }, "no body template"},
		{func(c *SMTPConfig) { c.Subject = "{{.Kind" }, "subject template"},
		{func(c *SMTPConfig) { c.TLS = "sometimes" }, "none, opportunistic or mandatory"},
	} {
		cfg := good
		c.change(&cfg)
		if _, err := NewSMTP("mail", cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one saying %q", cfg, err, c.want)
		}
	}
}

func TestAnSMTPTemplateNamingNoFieldIsAPermanentFailure(t *testing.T) {
	s, err := NewSMTP("mail", SMTPConfig{Host: "127.0.0.1", Port: 1, From: "shop@example.com", To: "{{.Missing}}", Subject: "s", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(t.Context(), &Message{ID: "k"}); !IsPermanent(err) {
		t.Fatalf("rendering a template naming no field: %v, want a permanent failure before any connection", err)
	}
}
