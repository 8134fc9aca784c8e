// Package sessions cuts each profile's events into sessions: runs of events
// with no inactivity gap longer than the configured gap (default 30
// minutes), in event time.
//
// Events may arrive out of order by up to the allowed lateness (default 5
// minutes) behind the profile's latest event. An open session keeps what
// each of its events contributes (a few fields, at most a configured number
// of events), so that an event arriving late lands in the right session,
// may join two sessions into one, and the summary is folded in event time
// whatever the arrival order. A session closes once the profile's
// watermark (its latest event time minus the lateness) lies more than the
// gap past the session's last event, no event on time can join it any
// more, and a wall-clock grace has passed since (a fast replay turns the
// milliseconds by which identity delays some events into minutes of event
// time). An event of a closed session is too late and is dead-lettered,
// never put silently into the wrong session. Redelivered events (an event
// id already in an open session) change nothing.
//
// A profile.merges record hands the absorbed profile's open sessions to the
// survivor through the loopback. Their events came on time to their own
// profile, which may be hours behind the survivor in event time (identity
// merges when a later event links the two), so they are refused only when
// they would have joined a session the survivor closed already: the
// survivor remembers the span of its latest closed sessions (8 by
// default) for that.
package sessions
