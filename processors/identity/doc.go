// Package identity is the streaming identity graph: it resolves every event
// to the profile of the person who made it, across cookies, devices, logins,
// e-mail and phone digests and loyalty cards.
//
// It consumes events.raw (keyed by the event's strongest identifier) and
// produces events.resolved (keyed by profile id), profile.merges (two
// profiles found to be one person), identity.audit (links refused by a
// limit) and privacy.erasures. Its state is one goka group table holding two
// kinds of keys: identifier keys ("kind:value") own a profile and remember
// the events recently routed through them, and profile keys ("profile:<id>")
// hold the identifiers a profile owns, its counts per kind and whether it was
// merged away. The processor talks to itself through its loopback topic.
//
// # Algorithm
//
// The identifier that remembers an event (its strongest) claims itself for a
// new profile when it has no owner yet, so that its later events find it
// owned. The event's other identifiers are then visited one after the other
// (a gather through the loopback) to collect their owners. When they all
// have the same owner, the event is resolved at once. The identifier keeps
// the other identifiers it gathered under its current owner (its
// companions, forgotten when the owner changes): an event whose other
// identifiers are all companions needs no gather, since each of them is
// owned by the same profile, on its way to it, or was refused by a limit
// for good. Most events of a session carry the same identifiers, so most
// events resolve without a loopback message. Otherwise the profile
// of the strongest identifier links the event: it attaches the unowned
// identifiers within its limits (identifiers go with the strongest one, as
// identity resolution by priority does) and asks every other owner to merge.
// An identifier is owned by the first profile that claims it; a second claim
// starts a merge. A merge is decided by the profile to be absorbed (is it
// really the younger one, and would the union break a per-kind limit?),
// confirmed by the survivor (which checks the limits again with its current
// counts, or revives the absorbed profile), and announced on profile.merges
// before the absorbed identifiers are repointed. Only the survivor's answer
// (merged) makes the absorbed profile forward to it; until the answer the
// absorbed profile defers whatever reaches it, so that neither the survivor
// acts for it before holding its identifiers and counts, nor a refused merge
// leaves behind what the survivor took meanwhile. Every step is idempotent,
// profiles only ever merge into older ones, and a merged profile forwards
// whatever reaches it to its survivor, so every identifier of a connected
// component ends owned by the component's oldest profile whatever the order
// or the partitioning of the links, unless a limit keeps two profiles apart.
// Commands for a profile carry its creation time when the sender knows it,
// since they can overtake the command that creates the profile. And an event
// older than the profile owning its identifier (a link from another
// partition claimed the identifier first) creates the profile it would have
// created and merges the owner into it: the survivor is the profile of the
// person's first event whatever the order of processing, so that runs that
// interleave differently (a crash and restart, more processes) end with the
// same tables.
//
// # Limits
//
// By default a profile holds at most one customer id, and at most 200
// identifiers. A link that would break a limit is refused, counted and
// written to identity.audit: a shared device stays with the profile it first
// belonged to, and the refused identifier (the second customer) is not
// linked to it; it gets a profile of its own the next time it is seen on its
// own or with identifiers of its own. Placeholder values (empty, "null",
// "undefined", "anonymous", "-1", all zeros or dashes, and a configurable
// block list) stay on the event but are never identifiers.
//
// # Idempotency
//
// Each identifier remembers the events routed through it (hash of the event
// id with its input partition and offset) within a horizon. The same event
// id at another offset is a duplicate and is dropped; at the same offset it is
// the same record read again after a crash and is processed again, so that
// nothing it had to emit is lost. Loopback commands are idempotent. A
// profile node keeps the loopback offset of the last command that changed
// it, so a command at or below that offset is known to be read again after a
// crash, when its table write landed but perhaps not all the commands it
// sent: it sends them again. The event that created a profile links it
// again, a survivor repoints every offered identifier it holds, and the
// merge command that made an offer offers again. A link claims again the
// unowned identifiers the profile holds on every reading, not only the
// second: the kill -9 test lost claims otherwise. An offer and its answer carry that offset, so
// that a duplicate answer to an earlier offer does not settle a later one,
// and a repoint moves an identifier only from the profile it names. The tests drive the handlers
// through such partial crashes (a table write that lands or not, a prefix of
// the commands to each partition) and check the same outcome.
package identity
