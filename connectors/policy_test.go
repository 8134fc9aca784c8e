package connectors

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones, whatever the machine has
)

func TestQuietHoursEndInThePersonsZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	night := Quiet{From: 21 * time.Hour, To: 8 * time.Hour, Zone: berlin}
	lunch := Quiet{From: 12 * time.Hour, To: 13*time.Hour + 30*time.Minute}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, c := range []struct {
		q    Quiet
		t    string
		zone *time.Location
		want string // empty: not quiet
	}{
		{night, "2026-11-24T19:59:00Z", nil, ""},                          // 20:59 in Berlin
		{night, "2026-11-24T20:00:00Z", nil, "2026-11-25T07:00:00Z"},      // 21:00 in Berlin: until 8:00 tomorrow
		{night, "2026-11-25T02:00:00Z", nil, "2026-11-25T07:00:00Z"},      // 3:00 in Berlin
		{night, "2026-11-25T07:00:00Z", nil, ""},                          // 8:00 in Berlin
		{night, "2026-11-25T02:00:00Z", time.UTC, "2026-11-25T08:00:00Z"}, // the person's zone wins
		{lunch, "2026-11-25T12:15:00Z", nil, "2026-11-25T13:30:00Z"},      // UTC by default
		{lunch, "2026-11-25T13:30:00Z", nil, ""},
		// Across the end of summer time: 8:00 is CET again on 2026-10-25.
		{night, "2026-10-24T22:00:00Z", nil, "2026-10-25T07:00:00Z"},
	} {
		got := c.q.until(at(c.t), c.zone)
		if want := c.want; (want == "" && !got.IsZero()) || (want != "" && !got.Equal(at(want))) {
			t.Errorf("%v to %v at %s: until %v, want %q", c.q.From, c.q.To, c.t, got.UTC(), want)
		}
	}
	if err := (Quiet{From: time.Hour, To: time.Hour}).Validate(); err == nil {
		t.Error("an empty span validates")
	}
}

func TestACapCountsAPersonsDeliveriesInItsWindow(t *testing.T) {
	c := newCaps()
	p := Policy{Cap: 2, CapPer: 24 * time.Hour}
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	if !c.take("mail", "p-1", p, t0) || !c.take("mail", "p-1", p, t0.Add(time.Hour)) {
		t.Fatal("the first two messages are refused")
	}
	if c.take("mail", "p-1", p, t0.Add(2*time.Hour)) {
		t.Fatal("a third message within the day is allowed")
	}
	if !c.take("mail", "p-2", p, t0.Add(2*time.Hour)) || !c.take("sms", "p-1", p, t0.Add(2*time.Hour)) {
		t.Fatal("another person's or another destination's message counts against p-1's mail cap")
	}
	c.give("mail", "p-1", t0.Add(time.Hour)) // that one was dead-lettered
	if !c.take("mail", "p-1", p, t0.Add(3*time.Hour)) {
		t.Fatal("a message not delivered still counts")
	}
	if !c.take("mail", "p-1", p, t0.Add(24*time.Hour+time.Minute)) {
		t.Fatal("the first message still counts a day later")
	}
	c.seen("mail", "p-3", t0)
	c.seen("mail", "p-3", t0.Add(time.Minute))
	if c.take("mail", "p-3", p, t0.Add(time.Hour)) {
		t.Fatal("deliveries read back from the log do not count")
	}
}
