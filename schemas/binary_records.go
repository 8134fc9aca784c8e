package schemas

// Avro binary bodies of the records on the identity hot path, field by
// field in the order of their current schemas.

func (ids *IDs) avroAppend(b []byte) []byte {
	b = appendString(b, ids.Cookie)
	b = appendString(b, ids.Device)
	b = appendString(b, ids.Customer)
	b = appendString(b, ids.EmailSHA256)
	b = appendString(b, ids.PhoneSHA256)
	return appendString(b, ids.Loyalty)
}

func (ids *IDs) read(r *bin) {
	*ids = IDs{Cookie: r.str(), Device: r.str(), Customer: r.str(), EmailSHA256: r.str(), PhoneSHA256: r.str(), Loyalty: r.str()}
}

func (e *Event) avroAppend(b []byte) []byte {
	b = appendString(b, e.EventID)
	b = appendTime(b, e.TS)
	b = appendString(b, e.Type)
	b = appendString(b, e.Channel)
	b = e.IDs.avroAppend(b)
	b = appendString(b, e.ProductID)
	b = appendString(b, e.Category)
	b = appendDouble(b, e.Value)
	b = appendString(b, e.Currency)
	b = appendString(b, e.StoreID)
	b = appendStringMap(b, e.Props)
	return appendTime(b, e.IngestTS)
}

func (e *Event) avroRead(b []byte) error {
	r := newBin(b)
	e.read(&r)
	return r.end()
}

func (e *Event) read(r *bin) {
	*e = Event{EventID: r.str(), TS: r.time(), Type: r.str(), Channel: r.str()}
	e.IDs.read(r)
	e.ProductID, e.Category, e.Value, e.Currency, e.StoreID = r.str(), r.str(), r.double(), r.str(), r.str()
	e.Props, e.IngestTS = r.stringMap(), r.time()
}

func (n *IdentityNode) avroAppend(b []byte) []byte {
	b = appendString(b, n.Node)
	b = appendString(b, n.Owner)
	b = appendTime(b, n.OwnerCreated)
	b = appendBytes(b, n.Seen)
	b = appendStrings(b, n.Companions)
	b = appendTime(b, n.Created)
	b = appendString(b, n.MergedInto)
	b = appendString(b, n.MergingInto)
	b = appendStrings(b, n.Identifiers)
	b = appendIntMap(b, n.KindCounts)
	b = appendLong(b, n.Refused)
	b = appendLong(b, n.AppliedOffset)
	return appendBool(b, n.Erased)
}

func (n *IdentityNode) avroRead(b []byte) error {
	r := newBin(b)
	*n = IdentityNode{
		Node: r.str(), Owner: r.str(), OwnerCreated: r.time(), Seen: r.bytes(), Companions: r.strings(),
		Created: r.time(), MergedInto: r.str(), MergingInto: r.str(), Identifiers: r.strings(),
		KindCounts: r.intMap(), Refused: r.long(), AppliedOffset: r.long(), Erased: r.bool(),
	}
	return r.end()
}

func (c *IdentityCommand) avroAppend(b []byte) []byte {
	b = appendString(b, c.Op)
	b = appendBytes(b, c.EventRaw)
	b = appendString(b, c.EventID)
	b = appendString(b, c.EventType)
	b = appendTime(b, c.EventTS)
	b = appendLong(b, int64(c.Partition))
	b = appendLong(b, c.Offset)
	b = appendString(b, c.Profile)
	b = appendTime(b, c.ProfileCreated)
	b = appendStrings(b, c.Identifiers)
	b = appendStrings(b, c.Owners)
	b = appendLongs(b, c.OwnersCreated)
	b = appendIntMap(b, c.KindCounts)
	b = appendTime(b, c.TargetCreated)
	return appendLong(b, int64(c.Hop))
}

func (c *IdentityCommand) avroRead(b []byte) error {
	r := newBin(b)
	*c = IdentityCommand{
		Op: r.str(), EventRaw: r.bytes(), EventID: r.str(), EventType: r.str(), EventTS: r.time(),
		Partition: r.int(), Offset: r.long(), Profile: r.str(), ProfileCreated: r.time(),
		Identifiers: r.strings(), Owners: r.strings(), OwnersCreated: r.longs(), KindCounts: r.intMap(),
		TargetCreated: r.time(), Hop: r.int(),
	}
	return r.end()
}

func (e *ResolvedEvent) avroAppend(b []byte) []byte {
	b = appendString(b, e.ProfileID)
	b = e.Event.avroAppend(b)
	b = appendTime(b, e.ResolvedTS)
	return appendLong(b, int64(e.SourcePartition))
}

func (e *ResolvedEvent) avroRead(b []byte) error {
	r := newBin(b)
	e.ProfileID = r.str()
	e.Event.read(&r)
	e.ResolvedTS = r.time()
	e.SourcePartition = r.int()
	return r.end()
}

func (h *SessionHit) avroAppend(b []byte) []byte {
	b = appendString(b, h.EventID)
	b = appendTime(b, h.TS)
	b = appendString(b, h.Type)
	b = appendString(b, h.Channel)
	b = appendString(b, h.Device)
	b = appendString(b, h.URL)
	b = appendString(b, h.ProductID)
	b = appendDouble(b, h.Value)
	b = appendLong(b, int64(h.Qty))
	b = appendLong(b, int64(h.ScrollPct))
	return appendLong(b, h.DwellMS)
}

func (h *SessionHit) read(r *bin) {
	*h = SessionHit{
		EventID: r.str(), TS: r.time(), Type: r.str(), Channel: r.str(), Device: r.str(), URL: r.str(),
		ProductID: r.str(), Value: r.double(), Qty: r.int(), ScrollPct: r.int(), DwellMS: r.long(),
	}
}

func (s *SessionState) avroAppend(b []byte) []byte {
	b = appendTime(b, s.MaxTS)
	b = appendTime(b, s.ClosedUntil)
	b = appendTime(b, s.Arrived)
	b = appendString(b, s.MergedInto)
	b = appendArray(b, s.Open, func(b []byte, o OpenSession) []byte {
		b = appendTime(b, o.Due)
		return appendArray(b, o.Hits, func(b []byte, h SessionHit) []byte { return h.avroAppend(b) })
	})
	b = appendArray(b, s.Closed, func(b []byte, c ClosedSpan) []byte { return appendTime(appendTime(b, c.Start), c.End) })
	b = appendTime(b, s.ForgotUntil)
	return appendBool(b, s.Erased)
}

func (s *SessionState) avroRead(b []byte) error {
	r := newBin(b)
	*s = SessionState{MaxTS: r.time(), ClosedUntil: r.time(), Arrived: r.time(), MergedInto: r.str()}
	s.Open = readArray(&r, func() OpenSession {
		return OpenSession{Due: r.time(), Hits: readArray(&r, func() (h SessionHit) {
			h.read(&r)
			return h
		})}
	})
	s.Closed = readArray(&r, func() ClosedSpan { return ClosedSpan{Start: r.time(), End: r.time()} })
	s.ForgotUntil, s.Erased = r.time(), r.bool()
	return r.end()
}

func (s *SessionSummary) avroAppend(b []byte) []byte {
	b = appendString(b, s.ProfileID)
	b = appendString(b, s.SessionID)
	b = appendTime(b, s.Start)
	b = appendTime(b, s.End)
	b = appendLong(b, s.DurationMS)
	b = appendLong(b, s.EventCount)
	b = appendMap(b, s.CountsByType, appendLong)
	b = appendLong(b, int64(s.Pages))
	b = appendLong(b, int64(s.Products))
	b = appendLong(b, int64(s.MaxScrollPct))
	b = appendLong(b, s.DwellMS)
	b = appendDouble(b, s.CartValue)
	b = appendBool(b, s.Purchased)
	b = appendDouble(b, s.PurchaseValue)
	b = appendBool(b, s.CartAbandoned)
	b = appendBool(b, s.FormAbandoned)
	b = appendString(b, s.Channel)
	b = appendString(b, s.Device)
	b = appendString(b, s.EntryPage)
	b = appendString(b, s.ExitPage)
	b = appendString(b, s.ClosedBy)
	return appendString(b, s.LastEventID)
}

func (s *SessionSummary) avroRead(b []byte) error {
	r := newBin(b)
	*s = SessionSummary{
		ProfileID: r.str(), SessionID: r.str(), Start: r.time(), End: r.time(), DurationMS: r.long(), EventCount: r.long(),
		CountsByType: r.longMap(), Pages: r.int(), Products: r.int(), MaxScrollPct: r.int(), DwellMS: r.long(),
		CartValue: r.double(), Purchased: r.bool(), PurchaseValue: r.double(), CartAbandoned: r.bool(), FormAbandoned: r.bool(),
		Channel: r.str(), Device: r.str(), EntryPage: r.str(), ExitPage: r.str(), ClosedBy: r.str(), LastEventID: r.str(),
	}
	return r.end()
}
