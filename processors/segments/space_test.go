package segments

import (
	"math"
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
	if n := s.names(); strings.Join(n, ",") != "monetary_90d,web_share,days_since_last_order,offline_spend_share" {
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
