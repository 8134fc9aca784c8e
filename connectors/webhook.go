package connectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sony/gobreaker/v2"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"golang.org/x/time/rate"
)

// WebhookConfig configures a webhook destination.
type WebhookConfig struct {
	// URL receives a POST of each message's body. Required.
	URL string
	// Secret signs every request as the Standard Webhooks convention
	// does: "whsec_" and the base64 of the key, or the key's base64 alone.
	// Required.
	Secret string
	// Timeout bounds one request; default 10 seconds.
	Timeout time.Duration
	// Rate is how many requests a second the destination takes, Burst how
	// many at once; default 50 and 10.
	Rate  float64
	Burst int
	// BreakAfter consecutive failed requests open the circuit breaker: no
	// request goes out for Cooldown, then one tries; defaults 5 and 30
	// seconds.
	BreakAfter uint32
	Cooldown   time.Duration
	// Client sends the requests; default one with Timeout.
	Client *http.Client
}

func (c *WebhookConfig) defaults() {
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Rate == 0 {
		c.Rate = 50
	}
	if c.Burst == 0 {
		c.Burst = 10
	}
	if c.BreakAfter == 0 {
		c.BreakAfter = 5
	}
	if c.Cooldown == 0 {
		c.Cooldown = 30 * time.Second
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: c.Timeout}
	}
}

// Webhook posts messages to an HTTP endpoint, signed as the Standard
// Webhooks convention does: the headers webhook-id (the message's
// idempotency key), webhook-timestamp (Unix seconds) and
// webhook-signature ("v1," and the base64 HMAC-SHA256 of id, timestamp and
// body joined by dots). A 2xx response delivers the message; 408, 429, 5xx,
// a timeout or a connection error are transient; any other 4xx is
// permanent. Requests keep to the destination's rate limit, and a circuit
// breaker stops them while the destination keeps failing (the messages
// wait and retry on the runner's schedule).
type Webhook struct {
	cfg     WebhookConfig
	signer  *standardwebhooks.Webhook
	limit   *rate.Limiter
	breaker *gobreaker.CircuitBreaker[struct{}]
	now     func() time.Time
}

// NewWebhook returns a webhook sink named name (for its breaker).
func NewWebhook(name string, cfg WebhookConfig) (*Webhook, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("webhook %s: no url", name)
	}
	if cfg.Secret == "" {
		return nil, fmt.Errorf("webhook %s: no secret", name)
	}
	signer, err := standardwebhooks.NewWebhook(cfg.Secret)
	if err != nil {
		return nil, fmt.Errorf("webhook %s: secret is not a whsec_ base64 key: %w", name, err)
	}
	cfg.defaults()
	return &Webhook{
		cfg: cfg, signer: signer, limit: rate.NewLimiter(rate.Limit(cfg.Rate), cfg.Burst), now: time.Now,
		breaker: gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
			Name: name, Timeout: cfg.Cooldown,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= cfg.BreakAfter },
			// A permanent failure is the message's fault, not the
			// destination's.
			IsSuccessful: func(err error) bool { return err == nil || IsPermanent(err) },
		}),
	}, nil
}

// Deliver posts m's body, signed.
func (w *Webhook) Deliver(ctx context.Context, m *Message) error {
	if err := w.limit.Wait(ctx); err != nil {
		return fmt.Errorf("webhook %s: waiting for the rate limit: %w", w.cfg.URL, err)
	}
	_, err := w.breaker.Execute(func() (struct{}, error) { return struct{}{}, w.post(ctx, m) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return fmt.Errorf("webhook %s: circuit open after repeated failures: %w", w.cfg.URL, err)
	}
	return err
}

func (w *Webhook) post(ctx context.Context, m *Message) error {
	at := w.now()
	sig, err := w.signer.Sign(m.ID, at, m.Body)
	if err != nil {
		return Permanent(fmt.Errorf("webhook: signing %s: %w", m.ID, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Permanent(fmt.Errorf("webhook: request to %s: %w", w.cfg.URL, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(standardwebhooks.HeaderWebhookID, m.ID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: posting %s to %s: %w", m.ID, w.cfg.URL, err)
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	// Drained and closed, the connection serves the next request; the
	// answer is already read.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("webhook: %s answered %s to %s: %q", w.cfg.URL, resp.Status, m.ID, snippet)
	default:
		return Permanent(fmt.Errorf("webhook: %s refused %s with %s: %q", w.cfg.URL, m.ID, resp.Status, snippet))
	}
}

// Close releases idle connections.
func (w *Webhook) Close() error {
	w.cfg.Client.CloseIdleConnections()
	return nil
}
