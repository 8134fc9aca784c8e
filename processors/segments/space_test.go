package segments

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/activa-dev/activa/schemas"
)

func TestAPointHasTheDimensionsLogScaledWhereAsked(t *testing.T) {
	s, err := newSpace([]Dim{{"monetary_90d", true}, {"web_share", false}, {"days_since_last_order", false}, {"offline_spend_share", false}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	f := schemas.ProfileFeatures{Monetary90d: math.E - 1, Channels: schemas.ChannelMix{Web: 3, App: 1}, OnlineSpend: 30, OfflineSpend: 10}
	env := EnvOf(&f, now)
	got := s.point(&env)
	want := []float64{1, 0.75, 0, 0.25} // log1p(e-1) = 1; never ordered: 0
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("point %v, want %v", got, want)
		}
	}
	if n := s.names(); strings.Join(n, ",") != "log1p(monetary_90d),web_share,days_since_last_order,offline_spend_share" {
		t.Errorf("names %v", n)
	}
}

func TestDimensionsMustBeNumericVariables(t *testing.T) {
	for _, dims := range [][]Dim{nil, {{"profile_id", false}}, {{"consent_email", false}}, {{"spend", true}}, {{"orders", true}, {"orders", false}}} {
		if _, err := newSpace(dims); err == nil {
			t.Errorf("dimensions %v accepted", dims)
		}
	}
	if _, err := newSpace(DefaultDims()); err != nil {
		t.Errorf("default dimensions: %v", err)
	}
}

func TestDimensionsReadAsTheyAreNamed(t *testing.T) {
	var names []string
	for _, d := range DefaultDims() {
		names = append(names, d.String())
	}
	got, err := ParseDims(names)
	if err != nil || !slices.Equal(got, DefaultDims()) {
		t.Errorf("ParseDims(%q) = %v, %v; want the default dimensions back", names, got, err)
	}
	if got, err := ParseDims([]string{" log1p(orders) ", "store_share"}); err != nil || !slices.Equal(got, []Dim{{"orders", true}, {"store_share", false}}) {
		t.Errorf("spaces around names: %v, %v", got, err)
	}
	for _, bad := range [][]string{{"log1p(orders"}, {""}, {"orders", "log1p()"}} {
		if got, err := ParseDims(bad); err == nil {
			t.Errorf("ParseDims(%q) = %v, want an error", bad, got)
		}
	}
}
