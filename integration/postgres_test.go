//go:build integration

package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/activa-dev/activa/connectors"
	"github.com/activa-dev/activa/schemas"
)

// audienceRow is a row of the audience table.
type audienceRow struct{ tier, lifecycle, cluster string }

// audience reads the audience table.
func audience(t *testing.T, dsn, table string) map[string]audienceRow {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT profile_id, coalesce(tier, ''), coalesce(lifecycle, ''), coalesce(cluster, '') FROM `+pgx.Identifier{table}.Sanitize())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]audienceRow{}
	for rows.Next() {
		var id string
		var r audienceRow
		if err := rows.Scan(&id, &r.tier, &r.lifecycle, &r.cluster); err != nil {
			t.Fatal(err)
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIntegrationPostgresKeepsEachProfilesLatestSegments applies segment
// changes, some out of order and some twice, to an audience table on a
// real PostgreSQL and reads it back.
func TestIntegrationPostgresKeepsEachProfilesLatestSegments(t *testing.T) {
	dsn := suiteEnv(t, "ACTIVA_POSTGRES_DSN")
	table := fmt.Sprintf("audience_%d", time.Now().UnixNano()%1e9)
	p, err := connectors.NewPostgres(t.Context(), "audience", connectors.PostgresConfig{DSN: dsn, Table: table})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i, c := range []struct {
		profile, kind, to string
		offset            int64
	}{
		{"p-1", "tier", "silver", 5},
		{"p-1", "tier", "gold", 9},
		{"p-1", "cluster", "7", 6},
		{"p-1", "tier", "silver", 5}, // redelivered after the newer change
		{"p-2", "tier", "bronze", 3},
		{"p-2", "tier", "", 4}, // merged away: the row goes
		{"p-3", "lifecycle", "active", 2},
		{"p-3", "lifecycle", "at_risk", 8},
	} {
		m := &connectors.Message{
			ID: fmt.Sprintf("k-%d", i), Kind: connectors.KindSegmentChange, ProfileID: c.profile, Offset: c.offset,
			Record: &schemas.SegmentChange{ChangeID: fmt.Sprintf("c-%d", i), ProfileID: c.profile, Kind: c.kind, To: c.to, TS: time.Now()},
		}
		if err := p.Deliver(t.Context(), m); err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
	}
	got := audience(t, dsn, table)
	want := map[string]audienceRow{"p-1": {"gold", "", "7"}, "p-3": {"", "at_risk", ""}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("audience table %v, want %v", got, want)
	}
	t.Logf("audience table on PostgreSQL: %v", got)
	if err := p.Deliver(t.Context(), &connectors.Message{ID: "k-x", Kind: connectors.KindKpiAlert, Record: &schemas.KpiAlert{}}); !connectors.IsPermanent(err) {
		t.Errorf("a KPI alert: %v, want a permanent failure", err)
	}
	if err := p.Erase(t.Context(), "p-1"); err != nil {
		t.Fatal(err)
	}
	if got := audience(t, dsn, table); len(got) != 1 {
		t.Errorf("after erasing p-1: %v", got)
	}
	// A change of p-1 read after the erasure (from before it, or read
	// again after a restart) does not bring the row back; an erasure
	// repeated changes nothing.
	late := &connectors.Message{
		ID: "k-late", Kind: connectors.KindSegmentChange, ProfileID: "p-1", Offset: 99,
		Record: &schemas.SegmentChange{ChangeID: "c-late", ProfileID: "p-1", Kind: "tier", To: "platinum", TS: time.Now()},
	}
	if err := p.Deliver(t.Context(), late); err != nil {
		t.Fatal(err)
	}
	if err := p.Erase(t.Context(), "p-1"); err != nil {
		t.Fatal(err)
	}
	if got := audience(t, dsn, table); len(got) != 1 || got["p-3"].lifecycle != "at_risk" {
		t.Errorf("after a change of the erased p-1: %v, want p-3 alone", got)
	}
}
