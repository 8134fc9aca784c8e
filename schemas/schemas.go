package schemas

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

//go:embed *.avsc
var files embed.FS

// Record names, as the full Avro names of the records in this package.
const (
	EventRecord         = "activa.Event"
	ResolvedEventRecord = "activa.ResolvedEvent"
	DeadLetterRecord    = "activa.DeadLetter"
)

// parsed holds every schema file decoded once; it is never modified after
// load, so reading it needs no lock.
type parsed struct {
	raw    map[string]map[string]any // full name -> decoded JSON of its file
	files  map[string]string         // full name -> file name
	expand map[string]string         // full name -> self-contained JSON
}

var load = sync.OnceValues(func() (*parsed, error) {
	p := &parsed{raw: map[string]map[string]any{}, files: map[string]string{}, expand: map[string]string{}}
	entries, err := fs.Glob(files, "*.avsc")
	if err != nil {
		return nil, fmt.Errorf("listing schema files: %w", err)
	}
	for _, name := range entries {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading schema %s: %w", name, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("parsing schema %s: %w", name, err)
		}
		full := fullName(m)
		if full == "" {
			return nil, fmt.Errorf("schema %s: top level is not a named record", name)
		}
		if prev, ok := p.files[full]; ok {
			return nil, fmt.Errorf("schema %s: record %s already defined in %s", name, full, prev)
		}
		p.raw[full] = m
		p.files[full] = name
	}
	for full := range p.raw {
		defined := map[string]bool{}
		v, err := p.inline(p.raw[full], "", defined, nil)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", p.files[full], err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", p.files[full], err)
		}
		p.expand[full] = string(b)
	}
	return p, nil
})

func fullName(m map[string]any) string {
	name, _ := m["name"].(string)
	if name == "" {
		return ""
	}
	if strings.Contains(name, ".") {
		return name
	}
	if ns, _ := m["namespace"].(string); ns != "" {
		return ns + "." + name
	}
	return name
}

// inline copies v, replacing the first use of a name defined in another file
// by that file's definition; later uses stay references, as Avro requires.
func (p *parsed) inline(v any, ns string, defined map[string]bool, stack []string) (any, error) {
	switch t := v.(type) {
	case string:
		full := t
		if !strings.Contains(t, ".") && ns != "" {
			if _, ok := p.raw[ns+"."+t]; ok {
				full = ns + "." + t
			}
		}
		def, ok := p.raw[full]
		if !ok || defined[full] {
			return t, nil
		}
		for _, s := range stack {
			if s == full {
				return nil, fmt.Errorf("record %s includes itself", full)
			}
		}
		return p.inline(def, ns, defined, stack)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			x, err := p.inline(e, ns, defined, stack)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = e
		}
		typ, _ := t["type"].(string)
		if typ == "record" || typ == "enum" || typ == "fixed" {
			full := fullName(t)
			if !strings.Contains(full, ".") && ns != "" {
				full = ns + "." + full
			}
			defined[full] = true
			stack = append(stack, full)
			if i := strings.LastIndex(full, "."); i > 0 {
				ns = full[:i]
			}
		}
		for _, k := range []string{"type", "items", "values"} {
			if e, ok := t[k]; ok {
				x, err := p.inline(e, ns, defined, stack)
				if err != nil {
					return nil, err
				}
				out[k] = x
			}
		}
		if fields, ok := t["fields"].([]any); ok {
			nf := make([]any, len(fields))
			for i, f := range fields {
				fm, ok := f.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("field %d of %s is not an object", i, fullName(t))
				}
				x, err := p.inline(fm, ns, defined, stack)
				if err != nil {
					return nil, err
				}
				nf[i] = x
			}
			out["fields"] = nf
		}
		return out, nil
	default:
		return v, nil
	}
}

// Schema returns the self-contained Avro schema (JSON) of the record with the
// given full name, with records of other files inlined.
func Schema(record string) (string, error) {
	p, err := load()
	if err != nil {
		return "", err
	}
	s, ok := p.expand[record]
	if !ok {
		return "", fmt.Errorf("no schema for record %q", record)
	}
	return s, nil
}

// Records lists the full names of every record defined in this package,
// sorted.
func Records() ([]string, error) {
	p, err := load()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(p.raw))
	for k := range p.raw {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// File returns the name of the .avsc file that defines record.
func File(record string) (string, error) {
	p, err := load()
	if err != nil {
		return "", err
	}
	f, ok := p.files[record]
	if !ok {
		return "", fmt.Errorf("no schema for record %q", record)
	}
	return f, nil
}
