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
//
// Postgres is an [Eraser]: an erased profile's row is deleted and the
// profile goes on a suppression list (the table <table>_erased, profile
// ids only), which every later upsert checks, so that no change read
// after the erasure brings the row back.
type Postgres struct {
	pool   *pgxpool.Pool
	table  string // quoted
	erased string // quoted suppression list
}

// tableName leaves room for the suffix of the suppression list within
// PostgreSQL's 63 bytes.
var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,55}$`)

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
	p := &Postgres{pool: pool, table: pgx.Identifier{cfg.Table}.Sanitize(), erased: pgx.Identifier{cfg.Table + "_erased"}.Sanitize()}
	ddl := `CREATE TABLE IF NOT EXISTS ` + p.table + ` (
	profile_id       text PRIMARY KEY,
	tier             text,
	tier_offset      bigint,
	lifecycle        text,
	lifecycle_offset bigint,
	cluster          text,
	cluster_offset   bigint,
	updated_at       timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ` + p.erased + ` (
	profile_id text PRIMARY KEY,
	erased_at  timestamptz NOT NULL
)`
	if _, err := pool.Exec(ctx, ddl); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s: creating %s and its suppression list: %w", name, cfg.Table, err)
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
SELECT $1::text, $2::text, $3::bigint, $4::timestamptz WHERE NOT EXISTS (SELECT 1 FROM ` + p.erased + ` WHERE profile_id = $1)
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

// Erase deletes a profile's row and puts the profile on the suppression
// list, under the profile's lock: a change being applied finishes first,
// and every later one finds the profile suppressed.
func (p *Postgres) Erase(ctx context.Context, profileID string) error {
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, profileID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+p.erased+` (profile_id, erased_at) VALUES ($1, now()) ON CONFLICT (profile_id) DO NOTHING`, profileID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM `+p.table+` WHERE profile_id = $1`, profileID)
		return err
	})
	if err != nil {
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
