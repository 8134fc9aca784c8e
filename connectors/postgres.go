package connectors

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/activa-dev/activa/schemas"
)

// PostgresConfig configures an audience table destination.
type PostgresConfig struct {
	// DSN reaches the database (postgres://user:password@host:port/db).
	// Required.
	DSN string
	// Table is the audience table, created when missing; default
	// activa_audience.
	Table string
}

// Postgres keeps an audience table: one row per profile with its current
// value tier, lifecycle stage and cluster, upserted from segment changes,
// for a BI tool or an ad audience export to read as a live table.
//
// Changes may arrive out of order (the runner delivers concurrently, and
// redelivers after a restart): each column keeps the source offset of the
// change that set it, and an older change does not overwrite a newer one
// (a profile's changes share a partition, in order). A change to nothing
// (a merged or erased profile leaving its segment) clears the column, and
// a row with every column clear is deleted.
type Postgres struct {
	pool  *pgxpool.Pool
	table string // quoted
}

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// kindColumn maps a segment change's kind to its column.
var kindColumn = map[string]string{"tier": "tier", "lifecycle": "lifecycle", "cluster": "cluster"}

// NewPostgres connects and creates the table when missing.
func NewPostgres(ctx context.Context, name string, cfg PostgresConfig) (*Postgres, error) {
	if cfg.Table == "" {
		cfg.Table = "activa_audience"
	}
	if !tableName.MatchString(cfg.Table) {
		return nil, fmt.Errorf("postgres %s: table %q is not a lower-case SQL name", name, cfg.Table)
	}
	if cfg.DSN == "" {
		return nil, fmt.Errorf("postgres %s: no dsn", name)
	}
	pool, err := pgxpool.New(ctx, cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %w", name, err)
	}
	p := &Postgres{pool: pool, table: pgx.Identifier{cfg.Table}.Sanitize()}
	ddl := `CREATE TABLE IF NOT EXISTS ` + p.table + ` (
	profile_id       text PRIMARY KEY,
	tier             text,
	tier_offset      bigint,
	lifecycle        text,
	lifecycle_offset bigint,
	cluster          text,
	cluster_offset   bigint,
	updated_at       timestamptz NOT NULL
)`
	if _, err := pool.Exec(ctx, ddl); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s: creating %s: %w", name, cfg.Table, err)
	}
	return p, nil
}

// Deliver applies a segment change to its profile's row.
func (p *Postgres) Deliver(ctx context.Context, m *Message) error {
	c, ok := m.Record.(*schemas.SegmentChange)
	if !ok {
		return Permanent(fmt.Errorf("postgres: %s is a %s, and the audience table takes segment changes", m.ID, m.Kind))
	}
	col, ok := kindColumn[c.Kind]
	if !ok {
		return Permanent(fmt.Errorf("postgres: segment change %s of kind %q", c.ChangeID, c.Kind))
	}
	var to *string
	if c.To != "" {
		to = &c.To
	}
	// col is one of kindColumn's constants, never input.
	upsert := `INSERT INTO ` + p.table + ` AS a (profile_id, ` + col + `, ` + col + `_offset, updated_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (profile_id) DO UPDATE SET ` + col + ` = EXCLUDED.` + col + `, ` + col + `_offset = EXCLUDED.` + col + `_offset, updated_at = EXCLUDED.updated_at
WHERE a.` + col + `_offset IS NULL OR a.` + col + `_offset < EXCLUDED.` + col + `_offset`
	// The changes of one profile, delivered at once, take turns (a
	// transaction lock on the profile): the last to clear a column sees
	// whether the others are clear.
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, c.ProfileID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, upsert, c.ProfileID, to, m.Offset, c.TS); err != nil {
			return err
		}
		if to == nil {
			_, err := tx.Exec(ctx, `DELETE FROM `+p.table+` WHERE profile_id = $1 AND tier IS NULL AND lifecycle IS NULL AND cluster IS NULL`, c.ProfileID)
			return err
		}
		return nil
	})
	if err != nil {
		return classify(fmt.Errorf("postgres: applying %s to %s: %w", c.ChangeID, c.ProfileID, err))
	}
	return nil
}

// Erase deletes a profile's row.
func (p *Postgres) Erase(ctx context.Context, profileID string) error {
	if _, err := p.pool.Exec(ctx, `DELETE FROM `+p.table+` WHERE profile_id = $1`, profileID); err != nil {
		return classify(fmt.Errorf("postgres: erasing %s: %w", profileID, err))
	}
	return nil
}

// classify marks an error of the data or of the statement (SQLSTATE
// classes 22, 23 and 42: retrying it changes nothing) as permanent; a
// lost connection or a busy server is transient.
func classify(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23") || strings.HasPrefix(pe.Code, "42")) {
		return Permanent(err)
	}
	return err
}

// Close closes the pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}
