package segments

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// Dim is one dimension of the space profiles are clustered in: a numeric
// variable of Env, log-scaled (LogScale) or as it is. Counts and money
// are log-scaled: their spread is multiplicative, and without the log a
// few big spenders would make the dimension.
type Dim struct {
	// Name is the variable, as in the rules' expressions.
	Name string `yaml:"name"`
	// Log applies LogScale before standardizing.
	Log bool `yaml:"log"`
}

// DefaultDims are the behaviour a profile's features describe: how much
// and how often it buys, how it browses, where it comes from. Lifetime
// counts (sessions, devices) are left out: they grow with a profile's age,
// so they would sort profiles by tenure and move a person whose behaviour
// does not change. So are the abandonment rates: they are 0 both for who
// never abandons and for who never fills a cart or a form, and
// standardized they weigh as much as the dimensions that tell behaviours
// apart.
func DefaultDims() []Dim {
	return []Dim{
		{"frequency_90d", true},
		{"monetary_90d", true},
		{"avg_ticket", true},
		{"mean_session_duration_ms", true},
		{"mean_scroll_pct", false},
		{"mean_dwell_ms_per_page", true},
		{"web_share", false},
		{"app_share", false},
		{"store_share", false},
	}
}

// String is the dimension's name in SegmentModel.dims and in
// --segment-dims: the variable, inside log1p( ) when it is log-scaled.
func (d Dim) String() string {
	if d.Log {
		return "log1p(" + d.Name + ")"
	}
	return d.Name
}

// ParseDims reads dimensions written as Dim.String writes them. Whether
// each names a numeric variable is checked with the clustering
// configuration.
func ParseDims(names []string) ([]Dim, error) {
	out := make([]Dim, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		d := Dim{Name: n}
		if inner, ok := strings.CutPrefix(n, "log1p("); ok {
			if d.Name, ok = strings.CutSuffix(inner, ")"); !ok {
				return nil, fmt.Errorf("segments: clustering dimension %q: want name or log1p(name)", n)
			}
			d.Log = true
		}
		if d.Name == "" {
			return nil, fmt.Errorf("segments: empty clustering dimension in %q", names)
		}
		out = append(out, d)
	}
	return out, nil
}

// space maps an Env to a point of the clustering space (before
// standardizing).
type space struct {
	dims  []Dim
	field []int // index of each dimension's field in Env
}

// newSpace checks dims: each names a numeric variable of Env, once.
func newSpace(dims []Dim) (*space, error) {
	if len(dims) == 0 {
		return nil, errors.New("segments: no clustering dimension")
	}
	s := &space{dims: dims}
	t := reflect.TypeFor[Env]()
	seen := map[string]bool{}
	var errs []error
	for _, d := range dims {
		i, ok := envFields[d.Name]
		switch {
		case !ok || t.Field(i).Type.Kind() != reflect.Float64:
			errs = append(errs, fmt.Errorf("segments: clustering dimension %q is not a numeric variable", d.Name))
		case seen[d.Name]:
			errs = append(errs, fmt.Errorf("segments: clustering dimension %q repeated", d.Name))
		}
		seen[d.Name] = true
		s.field = append(s.field, i)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// names lists the dimensions, as SegmentModel.dims.
func (s *space) names() []string {
	out := make([]string, len(s.dims))
	for i, d := range s.dims {
		out[i] = d.String()
	}
	return out
}

// point returns env's coordinates; a value that is not finite (the days
// since an order never made) counts as 0.
func (s *space) point(env *Env) []float64 {
	v := reflect.ValueOf(env).Elem()
	out := make([]float64, len(s.dims))
	for i, d := range s.dims {
		x := v.Field(s.field[i]).Float()
		if math.IsInf(x, 0) || math.IsNaN(x) {
			x = 0
		}
		if d.Log {
			x = LogScale(x)
		}
		out[i] = x
	}
	return out
}
