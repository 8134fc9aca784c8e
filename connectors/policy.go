package connectors

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/activa-dev/activa/schemas"
)

// Purposes a route may send under, as in schemas.Consent.
var Purposes = []string{"email", "sms", "push", "ads", "analytics"}

// Person is what the runner knows of the person a message is about when
// it is about to send it.
type Person struct {
	// Known is false for a profile with no features (never seen, or
	// erased): nothing is sent to it.
	Known bool
	// Consent is the person's consent per purpose.
	Consent schemas.Consent
	// Zone is the person's time zone, when known; nil: the destination's.
	Zone *time.Location
}

// People tells the runner who a profile is, now.
type People interface {
	Person(ctx context.Context, profileID string) (Person, error)
}

// consents reports whether c allows purpose; a purpose never granted is
// denied.
func consents(c schemas.Consent, purpose string) bool {
	switch purpose {
	case "email":
		return c.Email
	case "sms":
		return c.SMS
	case "push":
		return c.Push
	case "ads":
		return c.Ads
	case "analytics":
		return c.Analytics
	}
	return false
}

// Policy is a destination's rules for messages about people.
type Policy struct {
	// Cap is how many messages a person may receive from the destination
	// per CapPer; 0: no cap. A message over the cap is suppressed.
	Cap    int
	CapPer time.Duration
	// Quiet, when set, holds messages back during the quiet hours of the
	// person's day (in their time zone when known, else Quiet's): they
	// go out when the quiet hours end.
	Quiet *Quiet
}

// Quiet is a daily span of quiet hours: from From to To after midnight,
// across midnight when To is before From.
type Quiet struct {
	From, To time.Duration
	Zone     *time.Location
}

// Validate reports a span out of range.
func (q Quiet) Validate() error {
	day := 24 * time.Hour
	if q.From < 0 || q.From >= day || q.To < 0 || q.To >= day || q.From == q.To {
		return fmt.Errorf("quiet hours from %v to %v: want two different times of day", q.From, q.To)
	}
	return nil
}

// until returns when the quiet hours around t end, in zone (Quiet's when
// nil), or the zero time when t is not in them.
func (q Quiet) until(t time.Time, zone *time.Location) time.Time {
	if zone == nil {
		zone = q.Zone
	}
	if zone == nil {
		zone = time.UTC
	}
	lt := t.In(zone)
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, zone)
	since := lt.Sub(midnight)
	at := func(day int, d time.Duration) time.Time {
		// A wall-clock time of the day, as daylight saving time moves it.
		m := time.Date(lt.Year(), lt.Month(), lt.Day()+day, 0, 0, 0, 0, zone)
		return time.Date(m.Year(), m.Month(), m.Day(), int(d/time.Hour), int(d%time.Hour/time.Minute), 0, 0, zone)
	}
	switch {
	case q.From < q.To && since >= q.From && since < q.To:
		return at(0, q.To)
	case q.From > q.To && since >= q.From:
		return at(1, q.To)
	case q.From > q.To && since < q.To:
		return at(0, q.To)
	}
	return time.Time{}
}

// caps counts, per destination and person, the messages delivered in the
// cap's window.
type caps struct {
	mu   sync.Mutex
	sent map[string]map[string][]time.Time // by destination, then profile: delivery times, in order
}

func newCaps() *caps { return &caps{sent: map[string]map[string][]time.Time{}} }

// take reserves a message for profile at dest at time at, unless p's cap
// is reached in the window before at; it reports whether it did.
func (c *caps) take(dest, profile string, p Policy, at time.Time) bool {
	if p.Cap <= 0 || profile == "" {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	by := c.of(dest)
	ts := by[profile]
	from := at.Add(-p.CapPer)
	ts = slices.DeleteFunc(ts, func(t time.Time) bool { return !t.After(from) })
	if len(ts) >= p.Cap {
		by[profile] = ts
		return false
	}
	i, _ := slices.BinarySearchFunc(ts, at, func(a, b time.Time) int { return a.Compare(b) })
	by[profile] = slices.Insert(ts, i, at)
	return true
}

// give returns a reservation of take whose message was not delivered.
func (c *caps) give(dest, profile string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.sent[dest][profile]
	if i := slices.IndexFunc(ts, func(t time.Time) bool { return t.Equal(at) }); i >= 0 {
		c.sent[dest][profile] = slices.Delete(ts, i, i+1)
	}
}

// seen counts a delivery read back from the delivery log.
func (c *caps) seen(dest, profile string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	by := c.of(dest)
	ts := by[profile]
	i, _ := slices.BinarySearchFunc(ts, at, func(a, b time.Time) int { return a.Compare(b) })
	by[profile] = slices.Insert(ts, i, at)
}

// forget drops what the caps count of profile, erased.
func (c *caps) forget(profile string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, by := range c.sent {
		delete(by, profile)
	}
}

// of returns the deliveries of dest by profile; c.mu is held.
func (c *caps) of(dest string) map[string][]time.Time {
	by := c.sent[dest]
	if by == nil {
		by = map[string][]time.Time{}
		c.sent[dest] = by
	}
	return by
}
