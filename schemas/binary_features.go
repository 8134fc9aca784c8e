package schemas

// Hand-written Avro bodies of the features processor's records; see
// binaryCodec.

func (s *FeatureState) avroAppend(b []byte) []byte {
	b = appendTime(b, s.FirstSeen)
	b = appendTime(b, s.LastSeen)
	b = appendLong(b, s.Events)
	b = appendTime(b, s.LastOrderTS)
	b = appendLong(b, s.Orders)
	b = appendLong(b, s.OnlineMicros)
	b = appendLong(b, s.OfflineMicros)
	b = appendArray(b, s.Days, func(b []byte, d DayBucket) []byte {
		return appendLong(appendLong(appendLong(b, int64(d.Day)), d.Orders), d.Micros)
	})
	for _, v := range [...]int64{
		s.Sessions, s.SessionMS, s.CartSessions, s.CartAbandoned, s.FormSessions, s.FormAbandoned,
		s.ScrollSessions, s.ScrollSum, s.DwellPages, s.DwellMS, s.Web, s.App, s.Store, s.Other,
	} {
		b = appendLong(b, v)
	}
	b = appendArray(b, s.Categories, func(b []byte, c CategoryScore) []byte {
		return appendDouble(appendString(b, c.Category), c.Score)
	})
	b = appendStrings(b, s.Devices)
	b = appendArray(b, s.Consent, func(b []byte, m ConsentMark) []byte {
		return appendString(appendTime(appendBool(appendString(b, m.Purpose), m.Granted), m.TS), m.EventID)
	})
	b = appendStrings(b, s.Recent)
	b = appendMap(b, s.Offsets, appendLong)
	b = appendString(b, s.MergedInto)
	b = appendLong(b, s.Version)
	b = appendString(b, s.LastEventID)
	return appendBool(b, s.Erased)
}

func (s *FeatureState) avroRead(b []byte) error {
	r := newBin(b)
	*s = FeatureState{
		FirstSeen: r.time(), LastSeen: r.time(), Events: r.long(), LastOrderTS: r.time(), Orders: r.long(),
		OnlineMicros: r.long(), OfflineMicros: r.long(),
	}
	s.Days = readArray(&r, func() DayBucket { return DayBucket{Day: r.int(), Orders: r.long(), Micros: r.long()} })
	for _, v := range [...]*int64{
		&s.Sessions, &s.SessionMS, &s.CartSessions, &s.CartAbandoned, &s.FormSessions, &s.FormAbandoned,
		&s.ScrollSessions, &s.ScrollSum, &s.DwellPages, &s.DwellMS, &s.Web, &s.App, &s.Store, &s.Other,
	} {
		*v = r.long()
	}
	s.Categories = readArray(&r, func() CategoryScore { return CategoryScore{Category: r.str(), Score: r.double()} })
	s.Devices = r.strings()
	s.Consent = readArray(&r, func() ConsentMark {
		return ConsentMark{Purpose: r.str(), Granted: r.bool(), TS: r.time(), EventID: r.str()}
	})
	s.Recent = r.strings()
	s.Offsets = r.longMap()
	s.MergedInto, s.Version, s.LastEventID, s.Erased = r.str(), r.long(), r.str(), r.bool()
	return r.end()
}

func (f *ProfileFeatures) avroAppend(b []byte) []byte {
	b = appendString(b, f.ProfileID)
	b = appendDouble(b, f.RecencyDays)
	b = appendTime(b, f.LastOrderTS)
	b = appendLong(b, f.Frequency7d)
	b = appendLong(b, f.Frequency30d)
	b = appendLong(b, f.Frequency90d)
	b = appendDouble(b, f.Monetary7d)
	b = appendDouble(b, f.Monetary30d)
	b = appendDouble(b, f.Monetary90d)
	b = appendDouble(b, f.AvgTicket)
	b = appendLong(b, f.Orders)
	b = appendLong(b, f.Sessions)
	b = appendDouble(b, f.MeanSessionDurationMS)
	b = appendArray(b, f.Categories, func(b []byte, c CategoryAffinity) []byte {
		return appendDouble(appendString(b, c.Category), c.Score)
	})
	b = appendDouble(b, f.CartAbandonRate)
	b = appendDouble(b, f.FormAbandonRate)
	b = appendDouble(b, f.MeanScrollPct)
	b = appendDouble(b, f.MeanDwellMSPerPage)
	c := f.Channels
	b = appendLong(appendLong(appendLong(appendLong(b, c.Web), c.App), c.Store), c.Other)
	b = appendDouble(b, f.OnlineSpend)
	b = appendDouble(b, f.OfflineSpend)
	b = appendLong(b, int64(f.Devices))
	k := f.Consent
	for _, v := range [...]bool{k.Email, k.SMS, k.Push, k.Ads, k.Analytics} {
		b = appendBool(b, v)
	}
	b = appendMap(b, k.Updated, appendTime)
	b = appendTime(b, f.FirstSeen)
	b = appendTime(b, f.LastSeen)
	b = appendString(b, f.LastEventID)
	b = appendLong(b, f.Version)
	return appendTime(b, f.UpdatedTS)
}

func (f *ProfileFeatures) avroRead(b []byte) error {
	r := newBin(b)
	*f = ProfileFeatures{
		ProfileID: r.str(), RecencyDays: r.double(), LastOrderTS: r.time(),
		Frequency7d: r.long(), Frequency30d: r.long(), Frequency90d: r.long(),
		Monetary7d: r.double(), Monetary30d: r.double(), Monetary90d: r.double(),
		AvgTicket: r.double(), Orders: r.long(), Sessions: r.long(), MeanSessionDurationMS: r.double(),
	}
	f.Categories = readArray(&r, func() CategoryAffinity { return CategoryAffinity{Category: r.str(), Score: r.double()} })
	f.CartAbandonRate, f.FormAbandonRate, f.MeanScrollPct, f.MeanDwellMSPerPage = r.double(), r.double(), r.double(), r.double()
	f.Channels = ChannelMix{Web: r.long(), App: r.long(), Store: r.long(), Other: r.long()}
	f.OnlineSpend, f.OfflineSpend, f.Devices = r.double(), r.double(), r.int()
	f.Consent = Consent{Email: r.bool(), SMS: r.bool(), Push: r.bool(), Ads: r.bool(), Analytics: r.bool(), Updated: readMap(&r, r.time)}
	f.FirstSeen, f.LastSeen, f.LastEventID, f.Version, f.UpdatedTS = r.time(), r.time(), r.str(), r.long(), r.time()
	return r.end()
}
