package triggers

import (
	"strings"

	"github.com/lovoo/goka"

	"github.com/activa-dev/activa/internal/erasure"
	"github.com/activa-dev/activa/internal/harness"
	"github.com/activa-dev/activa/schemas"
)

// erase forgets the profile of an erasure request: its pending carts and
// forms are dropped undecided, the devices it filled carts on forget it,
// and a marker keeps out what still arrives for it. A profile absorbed
// since passes the request to its survivor. The stage confirms once.
func (p *proc) erase(ctx goka.Context, requestID string) {
	if strings.HasPrefix(ctx.Key(), devicePrefix) {
		return // an event keyed by a device id is not a profile's
	}
	st := p.state(ctx)
	switch {
	case st.Erased:
		return
	case st.MergedInto != "":
		p.loop(ctx, st.MergedInto, &schemas.TriggerState{Erased: true})
		return
	}
	devices := map[string]bool{}
	for _, c := range st.Pending {
		if c.Device != "" {
			devices[c.Device] = true
		}
	}
	for d := range devices {
		p.loop(ctx, devicePrefix+d, &schemas.TriggerState{Erased: true, CartOf: ctx.Key()})
	}
	var tables []string
	if ctx.Value() != nil {
		tables = []string{string(goka.GroupTable(p.cfg.Group))}
	}
	ctx.SetValue(&schemas.TriggerState{Erased: true})
	erasure.Confirm(ctx, p.cfg.Topics.Erasures, p.cfg.Codecs.Erasure, erasure.StageTriggers, ctx.Key(), requestID, tables, p.cfg.Now())
	if m := p.cfg.Metrics; m != nil {
		m.Erased.Inc()
	}
}

// onErasure reads identity's confirmation of an erasure: every device the
// profile owned forgets it (a device keeps the profile that last filled a
// cart on it, which the profile's own state no longer names once its
// carts are decided), and the profile is erased here too when the request
// has not reached the stage yet. Other stages' confirmations are not for
// it.
func (p *proc) onErasure(ctx goka.Context, m harness.Msg[schemas.ErasureConfirmation]) {
	c := m.Value
	if c.Stage != erasure.StageIdentity || c.ProfileID != ctx.Key() {
		return
	}
	for _, id := range c.Identifiers {
		if strings.HasPrefix(id, devicePrefix) {
			p.loop(ctx, id, &schemas.TriggerState{Erased: true, CartOf: c.ProfileID})
		}
	}
	p.erase(ctx, c.RequestedEventID)
}

// afterErasure counts an input dropped because its profile was erased.
func (p *proc) afterErasure() {
	if m := p.cfg.Metrics; m != nil {
		m.AfterErasure.Inc()
	}
}
