package gen

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no profiles", func(c *Config) { c.Profiles = 0 }, "profiles 0"},
		{"too many profiles", func(c *Config) { c.Profiles = MaxProfiles + 1 }, "profiles 1000000"},
		{"no days", func(c *Config) { c.Days = 0 }, "days 0"},
		{"too many days", func(c *Config) { c.Days = MaxDays + 1 }, "days 367"},
		{"no start", func(c *Config) { c.Start = time.Time{} }, "start is not set"},
		{"start within an hour", func(c *Config) { c.Start = c.Start.Add(time.Minute) }, "not a whole hour"},
		{"negative malformed share", func(c *Config) { c.MalformedShare = -0.1 }, "malformed share"},
		{"malformed share NaN", func(c *Config) { c.MalformedShare = nan() }, "malformed share"},
		{"more shortfalls than days", func(c *Config) { c.Days, c.Shortfalls = 3, 4 }, "4 shortfalls"},
		{"negative shortfalls", func(c *Config) { c.Shortfalls = -1 }, "-1 shortfalls"},
		{"shared device share", func(c *Config) { c.SharedDeviceShare = 0.6 }, "shared device share"},
		{"erasure share", func(c *Config) { c.ErasureShare = 0.2 }, "erasure share"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error about %q", err, tt.want)
			}
			if _, gerr := Generate(cfg, nil, nil); gerr == nil {
				t.Fatal("Generate accepted an invalid Config")
			}
		})
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

func TestValidateReportsEveryField(t *testing.T) {
	err := Config{}.Validate()
	if err == nil {
		t.Fatal("zero Config is valid")
	}
	for _, want := range []string{"profiles", "days", "start"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not mention %s", err, want)
		}
	}
}

func TestShortDaysFitTheirShortfalls(t *testing.T) {
	for days := 1; days <= 3; days++ {
		cfg := DefaultConfig()
		cfg.Profiles, cfg.Days, cfg.Shortfalls = 200, days, days
		var truth Truth
		if _, err := Generate(cfg, discard{}, &truth); err != nil {
			t.Fatal(err)
		}
		if len(truth.Shortfalls) != days {
			t.Fatalf("%d days: %d shortfalls", days, len(truth.Shortfalls))
		}
		for i, s := range truth.Shortfalls {
			if !s.Start.Before(s.End) || s.Start.Before(truth.Start) || s.End.After(truth.End) ||
				i > 0 && s.Start.Before(truth.Shortfalls[i-1].End) {
				t.Errorf("%d days: shortfall %+v", days, s)
			}
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestStartAtAnyHourKeepsUTCSeasonality(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Profiles, cfg.Days, cfg.Shortfalls, cfg.MalformedShare = 1500, 3, 0, 0
	cfg.Start = cfg.Start.Add(13 * time.Hour)
	d, err := newDataset(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var store, open int
	for i, r := range d.recs {
		if r == nil {
			t.Fatalf("line %d: %v", i+1, d.errs[i])
		}
		if r.Type == "store_purchase" {
			store++
			if h := r.at.UTC().Hour(); h >= 9 && h < 20 {
				open++
			}
		}
	}
	if store == 0 || float64(open) < 0.98*float64(store) {
		t.Errorf("%d of %d store purchases within opening hours", open, store)
	}
}
