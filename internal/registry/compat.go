package registry

import (
	"fmt"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// directions reports which checks a compatibility level asks for: backward
// (the new schema reads data written with an earlier one), forward (an
// earlier schema reads data written with the new one), and whether every
// earlier version counts or only the latest.
func directions(level sr.CompatibilityLevel) (backward, forward, transitive bool) {
	switch level {
	case sr.CompatBackward:
		return true, false, false
	case sr.CompatBackwardTransitive:
		return true, false, true
	case sr.CompatForward:
		return false, true, false
	case sr.CompatForwardTransitive:
		return false, true, true
	case sr.CompatFull:
		return true, true, false
	case sr.CompatFullTransitive:
		return true, true, true
	default: // NONE
		return false, false, false
	}
}

// lookupFunc returns a registered, not deleted schema version.
type lookupFunc func(subject string, version int) (sr.SubjectSchema, bool)

// parseAvro parses an Avro schema, first parsing the schemas it references
// (recursively) so that the names they define resolve. Each call uses its own
// name cache: two versions of one record must never see each other's
// definitions.
func parseAvro(s sr.Schema, lookup lookupFunc) (avro.Schema, error) {
	cache := &avro.SchemaCache{}
	if err := addReferences(cache, s.References, lookup, map[sr.SchemaReference]bool{}); err != nil {
		return nil, err
	}
	return avro.ParseWithCache(s.Schema, "", cache)
}

func addReferences(cache *avro.SchemaCache, refs []sr.SchemaReference, lookup lookupFunc, seen map[sr.SchemaReference]bool) error {
	for _, ref := range refs {
		key := sr.SchemaReference{Subject: ref.Subject, Version: ref.Version}
		if seen[key] {
			continue
		}
		seen[key] = true
		ss, ok := lookup(ref.Subject, ref.Version)
		if !ok {
			return fmt.Errorf("reference %q: version %d of subject %q not found", ref.Name, ref.Version, ref.Subject)
		}
		if ss.Type != sr.TypeAvro {
			return fmt.Errorf("reference %q: version %d of subject %q is a %s schema, not Avro", ref.Name, ref.Version, ref.Subject, ss.Type)
		}
		if err := addReferences(cache, ss.References, lookup, seen); err != nil {
			return err
		}
		if _, err := avro.ParseWithCache(ss.Schema.Schema, "", cache); err != nil {
			return fmt.Errorf("reference %q (version %d of subject %q): %w", ref.Name, ref.Version, ref.Subject, err)
		}
	}
	return nil
}

// earlier is a registered version to check a candidate schema against.
type earlier struct {
	version, id int
	schema      avro.Schema // nil when the version is not an Avro schema
	typ         sr.SchemaType
}

// incompatibilities checks candidate against the earlier versions (oldest
// first) under level and returns one message per failed check; none means
// compatible. When all is false, earlier is exactly the versions the caller
// asked about; when true it is every version of the subject, of which a
// non-transitive level only considers the latest.
func incompatibilities(level sr.CompatibilityLevel, candidate avro.Schema, prev []earlier, all bool) []string {
	backward, forward, transitive := directions(level)
	if !backward && !forward {
		return nil
	}
	if all && !transitive && len(prev) > 1 {
		prev = prev[len(prev)-1:]
	}
	var msgs []string
	for _, p := range prev {
		if p.schema == nil {
			msgs = append(msgs, fmt.Sprintf("%s: version %d (id %d) is a %s schema, the new schema is AVRO", level, p.version, p.id, p.typ))
			continue
		}
		// A fresh checker each time: hamba/avro caches results by
		// canonical fingerprint, which ignores defaults and aliases, so a
		// shared one would reuse the verdict of a schema that differs only
		// in a default.
		if backward {
			if err := avro.NewSchemaCompatibility().Compatible(candidate, p.schema); err != nil {
				msgs = append(msgs, fmt.Sprintf("%s: the new schema cannot read data written with version %d (id %d): %v", level, p.version, p.id, err))
			}
		}
		if forward {
			if err := avro.NewSchemaCompatibility().Compatible(p.schema, candidate); err != nil {
				msgs = append(msgs, fmt.Sprintf("%s: version %d (id %d) cannot read data written with the new schema: %v", level, p.version, p.id, err))
			}
		}
	}
	return msgs
}
