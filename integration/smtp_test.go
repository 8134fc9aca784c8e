//go:build integration

package integration

import (
	"fmt"
	"io"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/connectors"
	"github.com/activa-dev/activa/schemas"
)

// smtpd starts Debian's aiosmtpd on a free loopback port with the
// recorder handler of integration/smtpd, and returns its port and the
// directory it writes accepted messages to.
func smtpd(t *testing.T) (int, string) {
	t.Helper()
	python := suiteEnv(t, "ACTIVA_AIOSMTPD_PYTHON")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	here, err := filepath.Abs("smtpd")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-m", "aiosmtpd", "-n", "-l", fmt.Sprintf("127.0.0.1:%d", port), "-c", "recorder.Recorder", dir)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+here)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return port, dir
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd did not listen on %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIntegrationSMTPSendsTheTemplateToTheRecipient sends cart triggers
// through the SMTP sink to a real SMTP server (aiosmtpd) and reads what it
// accepted: the rendered subject and body, the recipient from the
// template, the idempotency key as Message-ID; a refused recipient is a
// permanent failure, a deferred one a transient failure.
func TestIntegrationSMTPSendsTheTemplateToTheRecipient(t *testing.T) {
	port, dir := smtpd(t)
	newSink := func(to string) *connectors.SMTP {
		s, err := connectors.NewSMTP("mail", connectors.SMTPConfig{
			Host: "127.0.0.1", Port: port, TLS: "none", From: "shop@example.com", To: to,
			Subject: `Your cart of {{printf "%.2f" .Record.CartValue}} EUR is waiting`,
			Body:    "Hello,\n\nyou left {{len .Record.Products}} products in your cart.\n",
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := newSink("{{.ProfileID}}@people.example.com")
	for i := range 3 {
		m := &connectors.Message{
			ID: fmt.Sprintf("msg_%d", i), Kind: connectors.KindTrigger, ProfileID: fmt.Sprintf("p-%d", i),
			Record: &schemas.Trigger{TriggerID: fmt.Sprintf("t-%d", i), Kind: "cart_abandoned", CartValue: 10.5 * float64(i+1), Products: make([]string, i+1)},
		}
		if err := s.Deliver(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*mail.Message{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got[msg.Header.Get("X-Envelope-To")] = msg
	}
	if len(got) != 3 {
		t.Fatalf("the server accepted %d messages, want 3", len(got))
	}
	for i := range 3 {
		msg := got[fmt.Sprintf("p-%d@people.example.com", i)]
		if msg == nil {
			t.Fatalf("no message for p-%d: %v", i, got)
		}
		b, err := io.ReadAll(msg.Body)
		if err != nil {
			t.Fatal(err)
		}
		body := string(b)
		wantSubject := fmt.Sprintf("Your cart of %.2f EUR is waiting", 10.5*float64(i+1))
		if s := msg.Header.Get("Subject"); s != wantSubject {
			t.Errorf("p-%d: subject %q, want %q", i, s, wantSubject)
		}
		if !strings.Contains(body, fmt.Sprintf("you left %d products", i+1)) {
			t.Errorf("p-%d: body %q", i, body)
		}
		if id := msg.Header.Get("Message-Id"); id != fmt.Sprintf("<msg_%d@activa>", i) {
			t.Errorf("p-%d: Message-ID %q, want the idempotency key", i, id)
		}
	}
	t.Logf("SMTP on aiosmtpd: %d messages accepted with their subject, body, recipient and Message-ID", len(got))

	m := &connectors.Message{ID: "msg_x", ProfileID: "x", Record: &schemas.Trigger{Products: []string{"a"}}}
	if err := newSink("refused-{{.ProfileID}}@people.example.com").Deliver(t.Context(), m); !connectors.IsPermanent(err) {
		t.Errorf("a 550 recipient: %v, want a permanent failure", err)
	}
	if err := newSink("later-{{.ProfileID}}@people.example.com").Deliver(t.Context(), m); err == nil || connectors.IsPermanent(err) {
		t.Errorf("a 451 recipient: %v, want a transient failure", err)
	}
	if err := newSink("{{.Missing}}@people.example.com").Deliver(t.Context(), m); !connectors.IsPermanent(err) {
		t.Errorf("a template naming no field: %v, want a permanent failure", err)
	}
}
