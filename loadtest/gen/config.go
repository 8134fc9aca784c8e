package gen

import (
	"errors"
	"fmt"
	"time"
)

// Limits of a Config.
const (
	// MaxProfiles is the largest population: person ids have six digits.
	MaxProfiles = 999_999
	// MaxDays is the longest period.
	MaxDays = 366
)

// Config selects the population and the period to generate.
type Config struct {
	// Profiles is the number of persons. Default 1000; 1 to MaxProfiles.
	Profiles int
	// Days is the length of the period in days. Default 14; 1 to MaxDays.
	Days int
	// Seed selects the population: the same Seed and Config give
	// byte-identical output. Default 1.
	Seed uint64
	// Start is the first instant of the period, a whole hour. Hours of the
	// day and days of the week are taken in UTC. Default
	// 2026-11-02T00:00:00Z (a Monday).
	Start time.Time
	// MalformedShare is the share of lines followed by a malformed line.
	// Default 0.002; 0 to 0.5.
	MalformedShare float64
	// Shortfalls is the number of planted KPI shortfalls, placed in the
	// second half of the period. Default 4; 0 to Days.
	Shortfalls int
	// SharedDeviceShare is the share of persons who share a tablet with
	// one other known customer of their household. Default 0.01; 0 to 0.5.
	SharedDeviceShare float64
	// ErasureShare is the share of persons, among known customers who shop
	// online, who send an erasure_request during the period. Default
	// 0.002; 0 to 0.1.
	ErasureShare float64
	// Progress, if not nil, is called by Generate after each day is
	// written, with the number of days done and the total.
	Progress func(done, total int)
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Profiles:          1000,
		Days:              14,
		Seed:              1,
		Start:             time.Date(2026, time.November, 2, 0, 0, 0, 0, time.UTC),
		MalformedShare:    0.002,
		Shortfalls:        4,
		SharedDeviceShare: 0.01,
		ErasureShare:      0.002,
	}
}

// Validate reports every field that is out of range.
func (c Config) Validate() error {
	var errs []error
	if c.Profiles < 1 || c.Profiles > MaxProfiles {
		errs = append(errs, fmt.Errorf("profiles %d out of range 1..%d", c.Profiles, MaxProfiles))
	}
	if c.Days < 1 || c.Days > MaxDays {
		errs = append(errs, fmt.Errorf("days %d out of range 1..%d", c.Days, MaxDays))
	}
	switch {
	case c.Start.IsZero():
		errs = append(errs, errors.New("start is not set"))
	case !c.Start.Equal(c.Start.Truncate(time.Hour)):
		errs = append(errs, fmt.Errorf("start %s is not a whole hour", c.Start.Format(time.RFC3339Nano)))
	}
	if !(c.MalformedShare >= 0 && c.MalformedShare <= 0.5) {
		errs = append(errs, fmt.Errorf("malformed share %g out of range 0..0.5", c.MalformedShare))
	}
	if c.Shortfalls < 0 || c.Shortfalls > max(c.Days, 0) {
		errs = append(errs, fmt.Errorf("%d shortfalls out of range 0..%d (at most one per day of the period)", c.Shortfalls, max(c.Days, 0)))
	}
	if !(c.SharedDeviceShare >= 0 && c.SharedDeviceShare <= 0.5) {
		errs = append(errs, fmt.Errorf("shared device share %g out of range 0..0.5", c.SharedDeviceShare))
	}
	if !(c.ErasureShare >= 0 && c.ErasureShare <= 0.1) {
		errs = append(errs, fmt.Errorf("erasure share %g out of range 0..0.1", c.ErasureShare))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gen config: %w", err)
	}
	return nil
}
