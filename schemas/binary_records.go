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
	r := bin{b: b}
	*e = Event{EventID: r.str(), TS: r.time(), Type: r.str(), Channel: r.str()}
	e.IDs.read(&r)
	e.ProductID, e.Category, e.Value, e.Currency, e.StoreID = r.str(), r.str(), r.double(), r.str(), r.str()
	e.Props, e.IngestTS = r.stringMap(), r.time()
	return r.end()
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
	return appendLong(b, n.Refused)
}

func (n *IdentityNode) avroRead(b []byte) error {
	r := bin{b: b}
	*n = IdentityNode{
		Node: r.str(), Owner: r.str(), OwnerCreated: r.time(), Seen: r.bytes(), Companions: r.strings(),
		Created: r.time(), MergedInto: r.str(), MergingInto: r.str(), Identifiers: r.strings(),
		KindCounts: r.intMap(), Refused: r.long(),
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
	r := bin{b: b}
	*c = IdentityCommand{
		Op: r.str(), EventRaw: r.bytes(), EventID: r.str(), EventType: r.str(), EventTS: r.time(),
		Partition: r.int(), Offset: r.long(), Profile: r.str(), ProfileCreated: r.time(),
		Identifiers: r.strings(), Owners: r.strings(), OwnersCreated: r.longs(), KindCounts: r.intMap(),
		TargetCreated: r.time(), Hop: r.int(),
	}
	return r.end()
}
