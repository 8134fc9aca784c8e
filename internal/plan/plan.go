// Package plan reads KPI plans, the expected values that finance or BI set
// for a KPI series over a period, from CSV into kpi.forecasts records.
//
// The first row names the columns, in any order and any case:
//
//	kpi,dimension,value,period_start,period_end,expected,lower,upper
//
// kpi is revenue, orders or conversion; dimension is store, channel,
// category or total, value the store id, channel or category (empty for
// total). Periods are RFC 3339 times or dates (midnight UTC), the end
// exclusive. expected is the total over the period for revenue and orders
// and the ratio for conversion. lower and upper are optional columns, and
// optional per row: both or neither, around expected.
//
// A file is read whole before anything is loaded, and a file with any bad
// row is refused with every problem and its line, so a plan is never
// loaded in part. A later row for the same series and period replaces an
// earlier one, as a later record of the same key does on the compacted
// topic.
package plan

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/schemas"
)

// Source is the source of the forecasts read from a plan.
const Source = "plan"

// KPIs, Dimensions and the column names of a plan.
var (
	KPIs       = []string{kpi.Revenue, kpi.Orders, kpi.Conversion}
	Dimensions = []string{kpi.Store, kpi.Channel, kpi.Category, kpi.Total}
	required   = []string{"kpi", "dimension", "value", "period_start", "period_end", "expected"}
	optional   = []string{"lower", "upper"}
)

// Key is the key of f on kpi.forecasts: kpi|dimension|value|period_start,
// period_start in UTC RFC 3339.
func Key(f schemas.KpiForecast) string {
	return f.KPI + "|" + f.Dimension + "|" + f.Value + "|" + f.PeriodStart.UTC().Format(time.RFC3339)
}

// RowError is a problem with one row of a plan.
type RowError struct {
	// Line is the row's line in the file, the header being line 1.
	Line int
	// Err says what is wrong.
	Err error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *RowError) Unwrap() error { return e.Err }

// Error is a plan refused for its bad rows.
type Error struct {
	// Rows holds a problem of every bad row, in the order of the file.
	Rows []*RowError
}

func (e *Error) Error() string {
	msgs := make([]string, len(e.Rows))
	for i, r := range e.Rows {
		msgs[i] = r.Error()
	}
	rows := "rows"
	if len(e.Rows) == 1 {
		rows = "row"
	}
	return fmt.Sprintf("plan: %d bad %s, nothing loaded: %s", len(e.Rows), rows, strings.Join(msgs, "; "))
}

// Read reads a plan and returns its forecasts in the order of the file,
// a later row for the same key having replaced an earlier one, each
// stamped with issued as the time it was issued. A bad row makes Read
// return no forecast and an [*Error] with a [RowError] for every bad row.
func Read(r io.Reader, issued time.Time) ([]schemas.KpiForecast, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("plan: empty file, want a header row")
	}
	if err != nil {
		return nil, fmt.Errorf("plan: reading the header: %w", err)
	}
	cols, err := columns(header)
	if err != nil {
		return nil, err
	}
	var (
		out []schemas.KpiForecast
		at  = map[string]int{} // key -> index in out
		bad []*RowError
	)
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("plan: reading line %d: %w", line, err)
			}
			bad = append(bad, &RowError{Line: pe.Line, Err: pe.Err})
			continue
		}
		f, err := parseRow(row, cols, len(header))
		if err != nil {
			bad = append(bad, &RowError{Line: line, Err: err})
			continue
		}
		f.TS = issued
		if i, ok := at[Key(f)]; ok {
			out[i] = f
			continue
		}
		at[Key(f)] = len(out)
		out = append(out, f)
	}
	if len(bad) > 0 {
		return nil, &Error{Rows: bad}
	}
	return out, nil
}

// columns maps the column names of header to their index.
func columns(header []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(required, name) && !slices.Contains(optional, name) {
			return nil, fmt.Errorf("plan: unknown column %q in the header (want %s, optionally %s)", h,
				strings.Join(required, ","), strings.Join(optional, ","))
		}
		if _, dup := cols[name]; dup {
			return nil, fmt.Errorf("plan: column %q twice in the header", name)
		}
		cols[name] = i
	}
	for _, name := range required {
		if _, ok := cols[name]; !ok {
			return nil, fmt.Errorf("plan: no column %q in the header", name)
		}
	}
	if _, lower := cols["lower"]; lower != hasColumn(cols, "upper") {
		return nil, errors.New("plan: columns lower and upper go together")
	}
	return cols, nil
}

func hasColumn(cols map[string]int, name string) bool { _, ok := cols[name]; return ok }

// parseRow reads one row into a forecast and checks it.
func parseRow(row []string, cols map[string]int, width int) (schemas.KpiForecast, error) {
	if len(row) != width {
		return schemas.KpiForecast{}, fmt.Errorf("%d fields, the header has %d", len(row), width)
	}
	cell := func(name string) string {
		if i, ok := cols[name]; ok {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	f := schemas.KpiForecast{
		KPI: strings.ToLower(cell("kpi")), Dimension: strings.ToLower(cell("dimension")),
		Value: cell("value"), Source: Source,
	}
	if !slices.Contains(KPIs, f.KPI) {
		return f, fmt.Errorf("kpi %q, want one of %s", cell("kpi"), strings.Join(KPIs, ", "))
	}
	if !slices.Contains(Dimensions, f.Dimension) {
		return f, fmt.Errorf("dimension %q, want one of %s", cell("dimension"), strings.Join(Dimensions, ", "))
	}
	if (f.Dimension == kpi.Total) != (f.Value == "") {
		return f, fmt.Errorf("dimension %s with value %q: total takes no value, the others need one", f.Dimension, f.Value)
	}
	var err error
	if f.PeriodStart, err = parseTime(cell("period_start")); err != nil {
		return f, fmt.Errorf("period_start: %w", err)
	}
	if f.PeriodEnd, err = parseTime(cell("period_end")); err != nil {
		return f, fmt.Errorf("period_end: %w", err)
	}
	if !f.PeriodEnd.After(f.PeriodStart) {
		return f, fmt.Errorf("period_end %s is not after period_start %s", cell("period_end"), cell("period_start"))
	}
	if f.Expected, err = parseAmount("expected", cell("expected"), f.KPI); err != nil {
		return f, err
	}
	lower, upper := cell("lower"), cell("upper")
	if (lower == "") != (upper == "") {
		return f, errors.New("lower and upper go together")
	}
	if lower == "" {
		return f, nil
	}
	if f.Lower, err = parseAmount("lower", lower, f.KPI); err != nil {
		return f, err
	}
	if f.Upper, err = parseAmount("upper", upper, f.KPI); err != nil {
		return f, err
	}
	if f.Lower > f.Expected || f.Expected > f.Upper {
		return f, fmt.Errorf("expected %s is not within lower %s and upper %s", cell("expected"), lower, upper)
	}
	f.HasBounds = true
	return f, nil
}

// parseTime reads an RFC 3339 time or a date, which is midnight UTC.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a date (YYYY-MM-DD)", s)
}

// parseAmount reads a finite, non-negative amount of kpiName, a ratio of
// at most 1 for conversion.
func parseAmount(name, s, kpiName string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s %q is not a number", name, s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%s %s is negative", name, s)
	}
	if kpiName == kpi.Conversion && v > 1 {
		return 0, fmt.Errorf("%s %s is not a conversion ratio (0 to 1)", name, s)
	}
	return v, nil
}
