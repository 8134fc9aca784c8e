package features

import (
	"errors"
	"fmt"
	"time"
)

// Window lengths of the frequency and monetary features, in days.
const (
	Window7  = 7
	Window30 = 30
	Window90 = 90
)

// Rules are the parameters of the features.
type Rules struct {
	// HalfLife is the event-time half-life of the category scores.
	HalfLife time.Duration
	// TopK is the number of categories published, highest score first.
	TopK int
	// MaxCategories is the number of category scores kept; when a new
	// category arrives at the cap, the lowest score is dropped.
	MaxCategories int
	// MaxDevices is the number of distinct device identifiers kept (and
	// counted).
	MaxDevices int
	// Recent is the number of event and session ids kept for recognising
	// an input seen again under another offset.
	Recent int
	// Weights is the weight of an event type in the category scores; a
	// type not listed weighs 1.
	Weights map[string]float64
}

// DefaultRules returns the default rules: a 14-day half-life, the top 5 of
// at most 32 categories, 64 devices, 16 recent ids (a redelivery at the
// same offset is caught by its offset), and views weighing 1, cart events
// 3 and orders 5.
func DefaultRules() Rules {
	return Rules{
		HalfLife: 14 * 24 * time.Hour, TopK: 5, MaxCategories: 32, MaxDevices: 64, Recent: 16,
		Weights: map[string]float64{"add_to_cart": 3, "remove_from_cart": 1, "checkout_start": 3, "purchase": 5, "store_purchase": 5},
	}
}

// Validate reports rules the processor cannot run with.
func (r Rules) Validate() error {
	var errs []error
	if r.HalfLife <= 0 {
		errs = append(errs, fmt.Errorf("features: half-life %v, want > 0", r.HalfLife))
	}
	if r.TopK < 1 || r.MaxCategories < r.TopK {
		errs = append(errs, fmt.Errorf("features: top %d of %d categories, want 1 <= top <= kept", r.TopK, r.MaxCategories))
	}
	if r.MaxDevices < 1 || r.Recent < 1 {
		errs = append(errs, errors.New("features: device cap and recent ids must be positive"))
	}
	for t, w := range r.Weights {
		if w < 0 {
			errs = append(errs, fmt.Errorf("features: weight %v of %q, want >= 0", w, t))
		}
	}
	return errors.Join(errs...)
}

// Weight returns the category-score weight of an event type.
func (r Rules) Weight(typ string) float64 {
	if w, ok := r.Weights[typ]; ok {
		return w
	}
	return 1
}
