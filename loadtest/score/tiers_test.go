package score_test

import (
	"strings"
	"testing"

	"github.com/activa-dev/activa/loadtest/score"
	"github.com/activa-dev/activa/schemas"
)

func TestTiersFollowTheLadderWithHysteresis(t *testing.T) {
	s := &score.Tiers{Levels: []score.Level{{"bronze", 0.01}, {"silver", 100}, {"gold", 500}}, Hysteresis: 0.1}
	for _, v := range []float64{30, 520, 460} { // bronze, gold, gold (floor 450)
		s.Features("p-1", &schemas.ProfileFeatures{Monetary90d: v})
	}
	for _, v := range []float64{520, 440} { // gold, silver
		s.Features("p-2", &schemas.ProfileFeatures{Monetary90d: v})
	}
	s.Features("p-3", &schemas.ProfileFeatures{Monetary90d: 700})
	s.Features("p-3", nil)
	change := func(id, profile, from, to string) {
		s.Change(profile, &schemas.SegmentChange{ChangeID: id, ProfileID: profile, Kind: "tier", From: from, To: to})
	}
	change("c1", "p-1", "", "bronze")
	change("c2", "p-1", "bronze", "gold")
	change("c3", "p-2", "", "gold")
	change("c4", "p-3", "", "gold")
	change("c5", "p-3", "gold", "")
	if d := s.Diff(); len(d) != 1 || !strings.Contains(d[0], `p-2 ends in tier "gold", its features put it in "silver"`) {
		t.Fatalf("diff %v, want p-2 alone", d)
	}
	change("c6", "p-2", "gold", "silver")
	change("c6", "p-2", "silver", "silver")
	if d := s.Diff(); len(d) != 1 || !strings.Contains(d[0], "change c6 of p-2") {
		t.Fatalf("diff %v, want the repeated id and the empty move", d)
	}
	if s.Profiles() != 3 {
		t.Errorf("%d profiles", s.Profiles())
	}
}
