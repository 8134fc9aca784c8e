package connectors

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Route sends the records of a source topic that pass its filter to a
// destination.
type Route struct {
	// Name names the route in logs; default topic→destination.
	Name string
	// Topic is the source topic (its full name).
	Topic string
	// Filter is an expr-lang expression over the record's JSON fields
	// (for a segment change: kind == "tier" && to == "gold"); empty passes
	// every record.
	Filter string
	// Destination names a sink.
	Destination string
	// Purpose is the consent purpose the route sends under (email, sms,
	// push, ads); empty for operational messages such as KPI alerts.
	Purpose string
}

// route is a Route with its filter compiled.
type route struct {
	Route
	filter *vm.Program
}

func compileRoute(r Route) (route, error) {
	if r.Name == "" {
		r.Name = r.Topic + "→" + r.Destination
	}
	out := route{Route: r}
	if r.Filter == "" {
		return out, nil
	}
	p, err := expr.Compile(r.Filter, expr.AsBool(), expr.AllowUndefinedVariables())
	if err != nil {
		return route{}, fmt.Errorf("route %s: filter %q: %w", r.Name, r.Filter, err)
	}
	out.filter = p
	return out, nil
}

// matches reports whether a record of fields passes the route's filter.
func (r route) matches(fields map[string]any) (bool, error) {
	if r.filter == nil {
		return true, nil
	}
	out, err := expr.Run(r.filter, fields)
	if err != nil {
		return false, fmt.Errorf("route %s: filter %q: %w", r.Name, r.Filter, err)
	}
	ok, _ := out.(bool)
	return ok, nil
}

// idempotencyKey derives the key of the delivery of the record id of topic
// to destination: the same whenever that record goes there, distinct for
// every other record or destination.
func idempotencyKey(topic, id, destination string) string {
	sum := sha256.Sum256([]byte(topic + "\x00" + id + "\x00" + destination))
	return "msg_" + hex.EncodeToString(sum[:16])
}
