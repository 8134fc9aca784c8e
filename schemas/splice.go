package schemas

import (
	"encoding/binary"
	"time"
)

// Encoded is a value already in a codec's wire format (magic byte, schema
// id, Avro body): Codec.Encode passes it through unchanged.
type Encoded []byte

// AppendResolved appends the wire format of a ResolvedEvent written with
// schema id resolvedID, built from an event exactly as read from events.raw
// (rawEvent, in the wire format of schema id eventID) without decoding it:
// an Avro record is the concatenation of its fields, so the body of the
// event is copied between the encodings of profile and resolved. It reports
// false, appending nothing, when rawEvent was written with another schema
// id, whose body may not match the event inlined in ResolvedEvent.
func AppendResolved(dst []byte, resolvedID, eventID int, profile string, rawEvent []byte, resolved time.Time, sourcePartition int32) ([]byte, bool) {
	if len(rawEvent) < 5 || rawEvent[0] != 0 || int(binary.BigEndian.Uint32(rawEvent[1:5])) != eventID {
		return dst, false
	}
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(resolvedID))
	dst = binary.AppendVarint(dst, int64(len(profile)))
	dst = append(dst, profile...)
	dst = append(dst, rawEvent[5:]...)
	ms := int64(0)
	if !resolved.IsZero() {
		ms = resolved.UnixMilli()
	}
	dst = binary.AppendVarint(dst, ms)
	return binary.AppendVarint(dst, int64(sourcePartition)), true
}
