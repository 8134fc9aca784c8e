package segments

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// Kinds of segment, as in SegmentChange.kind.
const (
	KindTier      = "tier"
	KindLifecycle = "lifecycle"
	KindCluster   = "cluster"
)

// Rules are the tier and lifecycle rules, written in YAML without code:
//
//	tiers:
//	  name: value
//	  metric: monetary_90d
//	  hysteresis: 0.1
//	  levels:
//	    - {name: bronze, min: 0}
//	    - {name: silver, min: 100}
//	lifecycle:
//	  - {name: new, when: "days_since_first_seen <= 14 && orders <= 1"}
//	  - {name: active, when: "days_since_last_seen <= 30"}
//
// Expressions are in the expr language (github.com/expr-lang/expr) over
// the variables of Env.
type Rules struct {
	// Tiers is the value ladder. An empty ladder (no levels) assigns no
	// tier.
	Tiers Ladder `yaml:"tiers"`
	// Lifecycle holds the lifecycle stages in order: a profile is in the
	// first stage whose condition holds, and in none when none holds.
	Lifecycle []Stage `yaml:"lifecycle"`
}

// Ladder is a value ladder: levels by ascending threshold of one metric,
// with hysteresis, so that a value on a threshold does not flip the tier
// back and forth. A profile climbs to the highest level whose minimum its
// metric reaches, and leaves its level downward only once the metric falls
// below the level's minimum less the hysteresis.
type Ladder struct {
	// Name names the rule in SegmentChange.rule; default "tier".
	Name string `yaml:"name"`
	// Metric is an expression giving the value the levels are set on, for
	// example monetary_90d.
	Metric string `yaml:"metric"`
	// Hysteresis is the share of a level's minimum by which the metric
	// must fall below it to leave the level downward, from 0 to below 1.
	Hysteresis float64 `yaml:"hysteresis"`
	// Levels, by strictly ascending minimum. A metric below the first
	// minimum has no tier.
	Levels []Level `yaml:"levels"`
}

// Level is one tier of a ladder.
type Level struct {
	// Name is the tier's name, as in SegmentChange.to.
	Name string `yaml:"name"`
	// Min is the lowest metric value of the tier.
	Min float64 `yaml:"min"`
}

// Stage is one lifecycle stage.
type Stage struct {
	// Name is the stage's name, as in SegmentChange.to.
	Name string `yaml:"name"`
	// When is a boolean expression; true means always.
	When string `yaml:"when"`
}

// DefaultRules are value tiers by 90-day spend (bronze from the first
// order, silver from 100, gold from 500, platinum from 2,000 currency
// units, 10% hysteresis) and lifecycle stages by recency and frequency:
// new (first seen within 14 days, at most one order), active (an order
// within 30 days, or seen within 14), at risk (seen within 60 days),
// lapsed (otherwise).
func DefaultRules() Rules {
	return Rules{
		Tiers: Ladder{
			Name: "value_90d", Metric: "monetary_90d", Hysteresis: 0.1,
			Levels: []Level{{"bronze", 0.01}, {"silver", 100}, {"gold", 500}, {"platinum", 2000}},
		},
		Lifecycle: []Stage{
			{"new", "days_since_first_seen <= 14 && orders <= 1"},
			{"active", "days_since_last_order <= 30 || days_since_last_seen <= 14"},
			{"at-risk", "days_since_last_seen <= 60"},
			{"lapsed", "true"},
		},
	}
}

// Validate reports rules that cannot work: levels out of order, repeated
// names, expressions that do not compile or read unknown variables.
func (r Rules) Validate() error {
	_, err := r.compile()
	return err
}

// HasStage reports an error when no lifecycle stage of r is named name.
func (r Rules) HasStage(name string) error {
	names := make([]string, len(r.Lifecycle))
	for i, s := range r.Lifecycle {
		if s.Name == name {
			return nil
		}
		names[i] = s.Name
	}
	return fmt.Errorf("segments: no lifecycle stage %q among %q", name, names)
}

// compiled are rules ready to evaluate.
type compiled struct {
	ladder    Ladder
	metric    *vm.Program
	metricIDs []string
	stages    []stage
}

// stage is a compiled lifecycle stage.
type stage struct {
	Stage
	when *vm.Program
	ids  []string // variables the condition reads, for the reason
}

// compile checks the rules and compiles their expressions.
func (r Rules) compile() (*compiled, error) {
	var errs []error
	c := &compiled{ladder: r.Tiers}
	if c.ladder.Name == "" {
		c.ladder.Name = KindTier
	}
	l := r.Tiers
	if len(l.Levels) > 0 {
		p, ids, err := compileExpr(l.Metric, expr.AsFloat64())
		if err != nil {
			errs = append(errs, fmt.Errorf("segments: tier metric %q: %w", l.Metric, err))
		}
		c.metric, c.metricIDs = p, ids
		if l.Hysteresis < 0 || l.Hysteresis >= 1 || math.IsNaN(l.Hysteresis) {
			errs = append(errs, fmt.Errorf("segments: tier hysteresis %v: want from 0 to below 1", l.Hysteresis))
		}
	}
	seen := map[string]bool{}
	for i, lv := range l.Levels {
		if lv.Name == "" || seen[lv.Name] {
			errs = append(errs, fmt.Errorf("segments: tier level %d: name %q empty or repeated", i, lv.Name))
		}
		seen[lv.Name] = true
		if i > 0 && !(lv.Min > l.Levels[i-1].Min) || math.IsNaN(lv.Min) || math.IsInf(lv.Min, 0) {
			errs = append(errs, fmt.Errorf("segments: tier level %s: minimum %v not finite or not above the level below", lv.Name, lv.Min))
		}
	}
	seen = map[string]bool{}
	for _, s := range r.Lifecycle {
		if s.Name == "" || seen[s.Name] {
			errs = append(errs, fmt.Errorf("segments: lifecycle stage %q: name empty or repeated", s.Name))
		}
		seen[s.Name] = true
		p, ids, err := compileExpr(s.When, expr.AsBool())
		if err != nil {
			errs = append(errs, fmt.Errorf("segments: lifecycle stage %s: condition %q: %w", s.Name, s.When, err))
		}
		c.stages = append(c.stages, stage{Stage: s, when: p, ids: ids})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// compileExpr compiles src against Env and lists the variables it reads.
func compileExpr(src string, kind expr.Option) (*vm.Program, []string, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil, errors.New("empty expression")
	}
	p, err := expr.Compile(src, expr.Env(Env{}), kind)
	if err != nil {
		return nil, nil, err
	}
	var ids identifiers
	node := p.Node()
	ast.Walk(&node, &ids)
	slices.Sort(ids)
	return p, slices.Compact(ids), nil
}

// identifiers collects the variable names of an expression.
type identifiers []string

// Visit implements ast.Visitor.
func (ids *identifiers) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		*ids = append(*ids, id.Value)
	}
}

// verdict is the outcome of one rule for one profile: the segment, the
// rule, why, and the values used.
type verdict struct {
	to, rule, reason string
	values           map[string]float64
}

// tier places env on the ladder, starting from the current tier.
func (c *compiled) tier(env *Env, current string) (verdict, error) {
	l := c.ladder
	if len(l.Levels) == 0 {
		return verdict{}, nil
	}
	out, err := expr.Run(c.metric, env)
	if err != nil {
		return verdict{}, fmt.Errorf("segments: tier metric %q of %s: %w", l.Metric, env.ProfileID, err)
	}
	v, _ := out.(float64)
	vals := env.values(c.metricIDs)
	vals[l.Metric] = v
	at := -1 // the highest level v reaches
	for i, lv := range l.Levels {
		if v >= lv.Min {
			at = i
		}
	}
	cur := slices.IndexFunc(l.Levels, func(lv Level) bool { return lv.Name == current })
	metric := fmt.Sprintf("%s %s", l.Metric, num(v))
	switch {
	case at >= cur:
		if at < 0 {
			return verdict{rule: l.Name, values: vals, reason: fmt.Sprintf("%s < %s (%s)", metric, num(l.Levels[0].Min), l.Levels[0].Name)}, nil
		}
		return verdict{to: l.Levels[at].Name, rule: l.Name, values: vals, reason: fmt.Sprintf("%s >= %s (%s)", metric, num(l.Levels[at].Min), l.Levels[at].Name)}, nil
	default:
		// Below the current level: leave it only past the hysteresis.
		floor := l.Levels[cur].Min * (1 - l.Hysteresis)
		if v >= floor {
			return verdict{to: current, rule: l.Name, values: vals, reason: fmt.Sprintf("%s >= %s (%s less %s hysteresis)", metric, num(floor), current, num(l.Hysteresis))}, nil
		}
		if at < 0 {
			return verdict{rule: l.Name, values: vals, reason: fmt.Sprintf("%s < %s (%s less %s hysteresis)", metric, num(floor), current, num(l.Hysteresis))}, nil
		}
		return verdict{to: l.Levels[at].Name, rule: l.Name, values: vals, reason: fmt.Sprintf("%s < %s (%s less %s hysteresis), >= %s (%s)",
			metric, num(floor), current, num(l.Hysteresis), num(l.Levels[at].Min), l.Levels[at].Name)}, nil
	}
}

// lifecycle finds the first stage whose condition env meets.
func (c *compiled) lifecycle(env *Env) (verdict, error) {
	for _, s := range c.stages {
		out, err := expr.Run(s.when, env)
		if err != nil {
			return verdict{}, fmt.Errorf("segments: lifecycle stage %s of %s: %w", s.Name, env.ProfileID, err)
		}
		if ok, _ := out.(bool); ok {
			return verdict{to: s.Name, rule: s.Name, reason: s.When, values: env.values(s.ids)}, nil
		}
	}
	return verdict{reason: "no lifecycle stage matches"}, nil
}

// num formats a number for a reason, to 10 significant digits.
func num(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
