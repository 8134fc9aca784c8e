package schemas

import "time"

// nativeEncoder is implemented by records on the hot path (events are
// encoded at ingestion rate) to build goavro's generic form without
// reflection. It must give exactly what toNative gives by reflection; a
// test compares the two.
type nativeEncoder interface {
	avroNative() map[string]any
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func (ids *IDs) avroNative() map[string]any {
	return map[string]any{
		"cookie": ids.Cookie, "device": ids.Device, "customer": ids.Customer,
		"email_sha256": ids.EmailSHA256, "phone_sha256": ids.PhoneSHA256, "loyalty": ids.Loyalty,
	}
}

func (e *Event) avroNative() map[string]any {
	props := make(map[string]any, len(e.Props))
	for k, v := range e.Props {
		props[k] = v
	}
	return map[string]any{
		"event_id": e.EventID, "ts": millis(e.TS), "type": e.Type, "channel": e.Channel,
		"ids": e.IDs.avroNative(), "product_id": e.ProductID, "category": e.Category,
		"value": e.Value, "currency": e.Currency, "store_id": e.StoreID,
		"props": props, "ingest_ts": millis(e.IngestTS),
	}
}
