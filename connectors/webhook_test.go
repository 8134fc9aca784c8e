package connectors

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

var testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("activa-test-secret-0123456789abcd"))

// receiver answers each request with the next status of statuses (the last
// one from then on) after verifying its signature; a bad one fails t.
func receiver(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	v, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := v.Verify(body, r.Header); err != nil {
			t.Errorf("request %s: signature does not verify: %v", r.Header.Get("webhook-id"), err)
		}
		i := int(n.Add(1)) - 1
		w.WriteHeader(statuses[min(i, len(statuses)-1)])
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestWebhookSignsEveryRequestAndSortsTheAnswers(t *testing.T) {
	for _, c := range []struct {
		status    int
		ok, final bool // delivered; permanent failure
	}{
		{200, true, false},
		{204, true, false},
		{500, false, false},
		{503, false, false},
		{408, false, false},
		{429, false, false},
		{400, false, true},
		{404, false, true},
		{410, false, true},
	} {
		srv, _ := receiver(t, c.status)
		w, err := NewWebhook("test", WebhookConfig{URL: srv.URL, Secret: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		err = w.Deliver(t.Context(), &Message{ID: "k-1", Body: []byte(`{"kind":"trigger"}`)})
		if (err == nil) != c.ok || IsPermanent(err) != c.final {
			t.Errorf("status %d: error %v (permanent %v), want delivered %v, permanent %v", c.status, err, IsPermanent(err), c.ok, c.final)
		}
	}
}

func TestWebhookTimeoutIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(200 * time.Millisecond):
		}
	}))
	t.Cleanup(srv.Close)
	w, err := NewWebhook("slow", WebhookConfig{URL: srv.URL, Secret: testSecret, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Deliver(t.Context(), &Message{ID: "k-1", Body: []byte(`{}`)}); err == nil || IsPermanent(err) {
		t.Fatalf("a timeout: %v, want a transient error", err)
	}
}

func TestWebhookBreakerOpensOnAFailingDestinationAndNotOnRefusedMessages(t *testing.T) {
	srv, calls := receiver(t, 500)
	w, err := NewWebhook("down", WebhookConfig{URL: srv.URL, Secret: testSecret, BreakAfter: 3, Cooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		_ = w.Deliver(t.Context(), &Message{ID: "k", Body: []byte(`{}`)})
	}
	if calls.Load() != 3 {
		t.Errorf("%d requests reached a failing destination, want 3 before the breaker opened", calls.Load())
	}
	err = w.Deliver(t.Context(), &Message{ID: "k", Body: []byte(`{}`)})
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "circuit open") {
		t.Errorf("with the breaker open: %v, want a transient circuit-open error", err)
	}
	refusing, refused := receiver(t, 400)
	w, err = NewWebhook("refusing", WebhookConfig{URL: refusing.URL, Secret: testSecret, BreakAfter: 3, Cooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		_ = w.Deliver(t.Context(), &Message{ID: "k", Body: []byte(`{}`)})
	}
	if refused.Load() != 5 {
		t.Errorf("%d of 5 refused messages reached the destination: a refusal must not open the breaker", refused.Load())
	}
}

func TestWebhookNeedsAURLAndAKey(t *testing.T) {
	for _, c := range []WebhookConfig{{Secret: testSecret}, {URL: "http://127.0.0.1:1"}, {URL: "http://127.0.0.1:1", Secret: "whsec_%%%"}} {
		if _, err := NewWebhook("bad", c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}
