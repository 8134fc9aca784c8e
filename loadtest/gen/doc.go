// Package gen generates a synthetic population of shoppers and the events
// they produce, together with the ground truth that later stages are scored
// against.
//
// [Generate] writes JSON Lines, one input event per line, in event-time
// order, in activa's input event format:
//
//	{"event_id":"e-000000001","ts":"2026-11-02T10:00:00.123Z","type":"add_to_cart","channel":"web",
//	 "ids":{"cookie":"c-81f2a07","device":"d-77a0b1","customer":"C1042113"},
//	 "product_id":"p-1042","category":"fashion","value":59.9,"currency":"EUR",
//	 "props":{"url":"/p/1042","qty":"1"}}
//
// Identifier kinds are cookie, device, customer, loyalty, email and phone
// (raw, for ingestion to normalise and hash; a few events spell them with
// other letter case or spacing) and, for a small share of persons,
// email_sha256 and phone_sha256 pre-hashed by the sender. Empty identifiers,
// and empty product_id, category, value, currency, store_id and props, are
// omitted. A purchase or store_purchase carries the value of the whole
// basket and the category of its dearest item; product and cart events
// carry the product's price.
//
// # Population
//
// Every person (P-000001, …) belongs to one latent behaviour group (see
// [Truth.Groups]): bargain hunters, loyal big spenders, browsers who never
// buy, app impulse buyers, store-only shoppers, lapsed customers and
// researchers. Groups differ in visit frequency, channel mix, categories,
// price level, pages per visit, scroll depth and dwell time, cart, checkout
// and form abandonment. A person has one to four devices, each with a
// browser cookie that rotates now and then, and some have the app. Known
// customers log in (a login or identify event carries cookie or device,
// customer id and often e-mail together), loyalty card holders are
// identified at the till; anonymous visitors never log in. A few households
// share a tablet on which both persons log in, so that one device belongs to
// two customers.
//
// Visits come in bursts of events seconds to minutes apart (less than 15
// minutes), and visits of one person are at least 45 minutes apart, so that
// an inactivity gap of 30 minutes recovers the visits recorded in
// [Session]. Visits follow hour-of-day and day-of-week seasonality in UTC
// (stores open 9:00 to 20:00, Monday to Saturday). With the default groups
// a person produces about 6 events a day on average (0.47 visits of about
// 13 events): 20,000 persons over 14 days give about 1.75 million events,
// some 380 MB of JSON Lines.
//
// # Planted faults
//
// [Config.Shortfalls] KPI shortfalls each suppress a share of the purchases
// of one store, channel or category for 24 to 72 hours from an hour of the
// morning trade (recorded in [Shortfall]); [Config.MalformedShare] of the lines are malformed copies of
// the line before them (recorded in [Malformed] with their line numbers); a
// few known customers send an erasure_request and are never seen again
// (recorded in [Erasure]).
//
// # Determinism
//
// Each person draws from its own random stream per day, seeded from
// [Config.Seed], so the same Config yields byte-identical events and truth
// whatever the number of CPUs. Events are produced one day at a time and
// sorted per day; memory is bounded by one day of events plus the truth.
package gen
