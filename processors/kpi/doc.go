// Package kpi holds the logic of forecast-versus-actual KPI alerting: what
// an event adds to which series ([Purchase]: revenue and orders, in total
// and per channel, store and category; [Session]: conversion, the share of
// the sessions that purchased, in total and per channel), and the alert
// rules, which decide for one series when an alert opens, when it resolves
// and how severe it is. The rules are pure functions of the series' closed
// buckets, its forecast and its plan, and of a small state kept per series
// and rule, so that there is at most one open alert per series and rule.
//
// Two rules:
//
//   - interval: the actual leaves the forecast's prediction interval for
//     Consecutive buckets in a row (default 3). It resolves once the actual
//     is back inside for ResolveAfter buckets in a row (default 2).
//   - projection: the projected total of the plan's period, the actual so
//     far plus the forecast of the buckets left (a forecast frozen at the
//     start of the period, so that a shortfall is not learned away, gives
//     the period's shape and the plan its size) at the pace of the recent
//     buckets (the run of closed buckets furthest behind their plan, in
//     standard deviations of their noise: those since a shortfall began),
//     falls short of the plan by more than Shortfall (default 10%) while at
//     least MinRemaining of the period is left (default 25%), early enough
//     to act. The shortfall must hold beyond the noise: the recent buckets
//     are behind their plan by more than Confidence standard deviations of
//     their noise (default 2.5), and even at a pace that much better the
//     period misses by more than Shortfall.
//     It resolves once the gap is back within half the threshold for
//     ResolveAfter buckets in a row, or when the period ends.
//
// Severity grows with the size of the gap: for the projection rule the
// shortfall against the plan in multiples of Shortfall, for the interval
// rule the distance outside the interval in multiples of its half width.
package kpi
