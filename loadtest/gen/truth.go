package gen

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"
)

// Truth is what the generator knows about the population it wrote: who is
// who, which groups exist, and every fault it planted. Later stages are
// scored against it.
type Truth struct {
	// Seed, Start and End repeat the Config: the period is [Start, End).
	// Visits that start before End may run a few minutes past it.
	Seed  uint64    `json:"seed"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Groups are the latent behaviour groups, in a fixed order.
	Groups []Group `json:"groups"`
	// Persons are all persons, sorted by id (P-000001, …), including those
	// who produced no event.
	Persons []Person `json:"persons"`
	// IdentifierOwner maps every identifier that occurs in the events,
	// written "kind:value" (for example "cookie:c-81f2a07",
	// "email:jane.doe12@example.com"), to the ids of the persons it
	// belongs to. E-mail and phone values are in their normalised
	// spelling (lower case; digits with a leading '+'), whatever spelling
	// an event used. An identifier with more than one owner is shared
	// (a household tablet and its cookies): scorers should leave pairs
	// through it out.
	IdentifierOwner map[string][]string `json:"identifier_owner"`
	// Shortfalls are the planted KPI shortfalls, in time order.
	Shortfalls []Shortfall `json:"shortfalls"`
	// Malformed are the malformed lines, in line order.
	Malformed []Malformed `json:"malformed"`
	// Erasures are the erasure requests, in time order.
	Erasures []Erasure `json:"erasures"`
}

// Group is a latent behaviour group.
type Group struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Share       float64 `json:"share"`   // expected share of the population
	Persons     int     `json:"persons"` // persons drawn into the group
}

// Person is the truth about one person.
type Person struct {
	ID    string `json:"id"`
	Group string `json:"group"`
	// Customer, Email, Phone and Loyalty are the person's known identity
	// (empty for an anonymous visitor); a person with Prehashed set sends
	// email_sha256 and phone_sha256 (SHA-256 of the normalised value, hex)
	// instead of the raw values.
	Customer  string `json:"customer,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Loyalty   string `json:"loyalty,omitempty"`
	Prehashed bool   `json:"prehashed,omitempty"`
	HomeStore string `json:"home_store"`
	// Devices are the ids of the person's devices, a shared one included.
	Devices []string `json:"devices"`
	// Identifiers are the person's identifiers that occur in the events,
	// as in Truth.IdentifierOwner, sorted.
	Identifiers []string `json:"identifiers,omitempty"`
	// Linked partitions the person's unshared identifiers into the groups
	// that events connect (identifiers seen together in one event,
	// transitively). A perfect identity resolution puts each group in one
	// profile; groups of one person that no event connects (an anonymous
	// visitor's two devices) cannot be joined.
	Linked [][]string `json:"linked,omitempty"`
	// SharedWith names the household partner who shares a device.
	SharedWith string `json:"shared_with,omitempty"`
	// Consent is the last consent given per purpose, if any.
	Consent map[string]bool `json:"consent,omitempty"`
	// ErasedAt is when the person asked for erasure; no event follows.
	ErasedAt time.Time `json:"erased_at,omitzero"`
	// Events, Purchases and Revenue count what the person produced (well
	// formed lines only; purchase and store_purchase events; EUR).
	Events    int     `json:"events"`
	Purchases int     `json:"purchases"`
	Revenue   float64 `json:"revenue"`
	// Sessions are the person's visits in time order.
	Sessions []Session `json:"sessions,omitempty"`
}

// Session is one visit: events of one person on one channel and device,
// less than 30 minutes apart, at least 45 minutes after the previous visit
// of the person ended.
type Session struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"` // time of the last event
	Channel string    `json:"channel"`
	Device  string    `json:"device,omitempty"` // empty in store
	Store   string    `json:"store,omitempty"`
	Events  int       `json:"events"`
	// Purchased is set when the visit ended in a purchase; CartAbandoned
	// when it filled a cart and bought nothing; FormAbandoned when it
	// started a form and did not submit it.
	Purchased bool `json:"purchased,omitempty"`
	// CartAt is the time of the visit's last add_to_cart still in the
	// cart when it ended, zero when the cart was empty; PurchasedAt the
	// time of its purchase. A cart bought more than a trigger's delay
	// after CartAt was abandoned for that trigger.
	CartAt        time.Time `json:"cart_at,omitzero"`
	PurchasedAt   time.Time `json:"purchased_at,omitzero"`
	CartAbandoned bool      `json:"cart_abandoned,omitempty"`
	FormAbandoned bool      `json:"form_abandoned,omitempty"`
	Value         float64   `json:"value,omitempty"` // purchase value, EUR
}

// Shortfall is a planted KPI anomaly: from Start to End, each purchase of
// one series (purchase and store_purchase events of a store, channel or
// category) was suppressed with probability Drop (0.3 to 0.5), so its
// revenue and order count fall by about Drop against what the same hours
// of other days would predict. How far a smaller population's series is
// from its expectation anyway depends on its volume: Orders and Revenue
// (kept) against LostOrders and LostRevenue (suppressed) give the drop
// actually planted.
type Shortfall struct {
	Dimension   string    `json:"dimension"` // store, channel or category
	Value       string    `json:"value"`     // S-01, web, fashion, …
	Start       time.Time `json:"start"`     // a whole hour
	End         time.Time `json:"end"`
	Drop        float64   `json:"drop"`
	Orders      int       `json:"orders"`       // purchases kept in the window
	Revenue     float64   `json:"revenue"`      // EUR kept in the window
	LostOrders  int       `json:"lost_orders"`  // purchases suppressed
	LostRevenue float64   `json:"lost_revenue"` // EUR suppressed
}

// Fault kinds of malformed lines.
const (
	FaultBrokenJSON   = "broken_json"   // a line cut short
	FaultMissingIDs   = "missing_ids"   // no ids field
	FaultEmptyIDs     = "empty_ids"     // ids {} or with only empty values
	FaultValueType    = "value_type"    // value is the string "abc"
	FaultTSType       = "ts_type"       // ts is a boolean
	FaultTSUnparsable = "ts_unparsable" // ts is a string that is no time
	FaultTSFuture     = "ts_future"     // ts ten years after the event
)

// Malformed is a malformed line: a faulty copy, with its own event id, of
// the well-formed line before it.
type Malformed struct {
	Line    int    `json:"line"` // 1-based
	Kind    string `json:"kind"`
	EventID string `json:"event_id"`
}

// Erasure is an erasure request.
type Erasure struct {
	Person  string    `json:"person"`
	At      time.Time `json:"at"`
	EventID string    `json:"event_id"`
}

// Person returns the person with the given id, or nil.
func (t *Truth) Person(id string) *Person {
	i := sort.Search(len(t.Persons), func(i int) bool { return t.Persons[i].ID >= id })
	if i < len(t.Persons) && t.Persons[i].ID == id {
		return &t.Persons[i]
	}
	return nil
}

// Shared returns the identifiers that belong to more than one person, sorted.
func (t *Truth) Shared() []string {
	var out []string
	for k, owners := range t.IdentifierOwner {
		if len(owners) > 1 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// WriteJSON writes the truth as one JSON document.
func (t *Truth) WriteJSON(w io.Writer) error {
	if err := json.NewEncoder(w).Encode(t); err != nil {
		return fmt.Errorf("writing truth: %w", err)
	}
	return nil
}

// ReadTruth reads a truth written by WriteJSON.
func ReadTruth(r io.Reader) (*Truth, error) {
	var t Truth
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return nil, fmt.Errorf("reading truth: %w", err)
	}
	return &t, nil
}
