package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/activa-dev/activa/connectors"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// TestConnectSendsNothingWithoutTheConsentOfTheTruth replays a generated
// population, whose persons grant and withdraw consent, through the
// pipeline, then runs the connector with cart triggers routed under the
// e-mail purpose and form triggers under push. Every message delivered is
// about a person whose last word on that purpose in the truth file is a
// grant; every trigger has an outcome.
func TestConnectSendsNothingWithoutTheConsentOfTheTruth(t *testing.T) {
	profiles, days := envInt("ACTIVA_E2E_PROFILES", 1000), envInt("ACTIVA_E2E_DAYS", 3)
	path, truth := population(t, profiles, days)
	p := startPipelineB(t)
	const idle, sweep = 20 * time.Second, 5 * time.Second
	p.c.s.SessionIdleTimeout, p.c.s.SweepEvery = idle, sweep
	p.start()
	defer p.stop()
	p.replay(path)
	p.settle(idle, sweep)

	dir := t.TempDir()
	settings := filepath.Join(dir, "connect.yaml")
	if err := os.WriteFile(settings, fmt.Appendf(nil, `connect:
  destinations:
    mail: {type: jsonl, path: %q}
    push: {type: jsonl, path: %q}
  routes:
    - {topic: triggers, filter: 'kind == "cart_abandoned"', destination: mail, purpose: email}
    - {topic: triggers, filter: 'kind == "form_abandoned"', destination: push, purpose: push}
`, filepath.Join(dir, "mail.jsonl"), filepath.Join(dir, "push.jsonl")), 0o600); err != nil {
		t.Fatal(err)
	}
	cf, err := loadConnect(settings)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg, closeSinks, err := connectConfig(ctx, p.c, p.codecs, cf)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSinks()
	people, stopView, err := featuresPeople(ctx, p.c, p.codecs, filepath.Join(dir, "view"))
	if err != nil {
		t.Fatal(err)
	}
	defer stopView()
	cfg.People = people
	run, err := connectors.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	routed := 0
	readAll(p, topology.Triggers, func(_ string, tr *schemas.Trigger) {
		if tr.Kind == "cart_abandoned" || tr.Kind == "form_abandoned" {
			routed++
		}
	})
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx) }()
	var outcomes []*schemas.Delivery
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		outcomes = outcomes[:0]
		readAll(p, topology.Deliveries, func(_ string, d *schemas.Delivery) { outcomes = append(outcomes, d) })
		if len(outcomes) >= routed {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(outcomes) != routed || routed == 0 {
		t.Fatalf("%d outcomes for %d routed triggers", len(outcomes), routed)
	}
	persons := personsOf(p, truth)
	purpose := map[string]string{"mail": "email", "push": "push"}
	counts := map[string]int{}
	for _, d := range outcomes {
		person := truth.Person(persons[d.ProfileID])
		granted := person != nil && person.Consent[purpose[d.Destination]]
		switch {
		case d.Status == connectors.Delivered && granted:
			counts["delivered with consent"]++
		case d.Status == connectors.Delivered:
			counts["delivered without consent"]++
			t.Errorf("%s sent to %s about %s (person %q), whose last word on %s in the truth is not a grant", d.IdempotencyKey, d.Destination, d.ProfileID, persons[d.ProfileID], purpose[d.Destination])
		case d.Reason == connectors.ReasonNoConsent && granted:
			counts["suppressed, though the person granted"]++
		case d.Reason == connectors.ReasonNoConsent:
			counts["suppressed without consent"]++
		default:
			counts[d.Status+" "+d.Reason]++
		}
	}
	t.Logf("%d persons over %d days: %d cart and form triggers routed under e-mail and push; outcomes %v", profiles, days, routed, counts)
	if counts["delivered with consent"] == 0 || counts["suppressed without consent"] == 0 {
		t.Errorf("outcomes %v: the population must exercise both a grant and its absence", counts)
	}
}
