// Package triggers is the triggers processor: it turns a profile's
// resolved events into moments to act, on the triggers topic (activa.Trigger,
// keyed by profile id):
//
//   - cart_abandoned: an add_to_cart with no purchase (online or in store)
//     within the cart delay (default 30 minutes) of event time after the
//     cart's last line. A cart is a run of add_to_cart events with no
//     purchase between them and no pause longer than the delay;
//     remove_from_cart takes a line out, and a cart emptied that way
//     fires nothing.
//   - form_abandoned: a form_abandon event, or a form_start with no
//     form_submit of the same form within the form delay (default 30
//     minutes).
//   - churn_risk: a lifecycle change into the churn stage (default
//     at-risk) on segment.changes.
//
// Decisions wait for event time, as sessions do: a cart or form is decided
// once the watermark (the slowest partition of events.raw less the
// allowed lateness) has passed its due time and a wall-clock grace has
// passed since, so that a purchase arriving late within the lateness still
// counts. goka has no timers: the runner visits every key on a wall-clock
// ticker (the fire-due visitor), which also decides everything once the
// input has stopped for the idle timeout.
//
// Each trigger fires once: its id is derived from its kind and the event
// that opened the cart or form (or the segment change), and the latest
// ids fired are kept. Merges hand the absorbed profile's pending carts
// and forms to the survivor.
//
// A purchase also buys a cart another profile filled on the same device:
// identity keeps a device two customers share in one profile, so a
// person's lines added on it before they identify and their purchase after
// land in two profiles. The table keeps, under device:<id>, the profile
// that last filled a cart on each device; a purchase made on the device by
// another profile is handed to it, and buys a cart holding a line from
// that device.
package triggers
