package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
)

var update = flag.Bool("update", false, "write testdata/released/v1/<record>.avsc for every record without a released version (existing files are never overwritten)")

// releasedDir holds the schemas of released versions, one directory per
// release (v1, v2, ...) with one <record>.avsc per record, for example
// testdata/released/v1/activa.Event.avsc.
const releasedDir = "testdata/released"

var releaseName = regexp.MustCompile(`^v[1-9][0-9]*$`)

// releases returns the released schema files of record, oldest first.
func releases(t *testing.T, record string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(releasedDir, "*", record+".avsc"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(files, func(i, j int) bool { return releaseNumber(files[i]) < releaseNumber(files[j]) })
	return files
}

// releaseNumber is n for a file under testdata/released/vn, else 0.
func releaseNumber(file string) int {
	var n int
	_, _ = fmt.Sscanf(filepath.Base(filepath.Dir(file)), "v%d", &n) // n stays 0 for a malformed name, which TestReleasedFiles reports
	return n
}

// parse parses an Avro schema with a name cache of its own, so that versions
// of one record never resolve names to each other's definitions.
func parse(text string) (avro.Schema, error) {
	return avro.ParseWithCache(text, "", &avro.SchemaCache{})
}

// backwardCompatible reports why reader cannot read data written with writer,
// or nil. Each check gets a fresh checker: hamba/avro caches verdicts by
// canonical fingerprint, which ignores defaults.
func backwardCompatible(reader, writer string) error {
	r, err := parse(reader)
	if err != nil {
		return fmt.Errorf("parsing the reader schema: %w", err)
	}
	w, err := parse(writer)
	if err != nil {
		return fmt.Errorf("parsing the writer schema: %w", err)
	}
	return avro.NewSchemaCompatibility().Compatible(r, w)
}

// TestReleasedVersionsAreBackwardCompatible checks that every record has a
// released version and that its schema now reads data written with every
// released version: consumers upgraded to this code keep reading what older
// producers wrote.
func TestReleasedVersionsAreBackwardCompatible(t *testing.T) {
	records, err := Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, record := range records {
		t.Run(record, func(t *testing.T) {
			current, err := Schema(record)
			if err != nil {
				t.Fatal(err)
			}
			files := releases(t, record)
			if len(files) == 0 {
				if !*update {
					t.Fatalf("record %s has no released version in %s; once its schema is final, record it with: go test ./schemas -run TestReleased -update", record, releasedDir)
				}
				file, err := writeRelease(record, current)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", file)
				files = []string{file}
			}
			for _, file := range files {
				old, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if err := backwardCompatible(current, string(old)); err != nil {
					t.Errorf("schema of %s cannot read data written with its release %s: %v (a released schema may only change compatibly, for example by adding fields with defaults)", record, file, err)
				}
			}
		})
	}
}

// writeRelease records schema as release v1 of record, refusing to replace
// an existing file.
func writeRelease(record, schema string) (string, error) {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(schema), "", "  "); err != nil {
		return "", fmt.Errorf("indenting schema of %s: %w", record, err)
	}
	b.WriteByte('\n')
	dir := filepath.Join(releasedDir, "v1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	file := filepath.Join(dir, record+".avsc")
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("creating release of %s: %w", record, err)
	}
	_, werr := f.Write(b.Bytes())
	if err := errors.Join(werr, f.Close()); err != nil {
		return "", fmt.Errorf("writing %s: %w", file, err)
	}
	return file, nil
}

// TestReleasedFiles checks the released files themselves: each sits in a
// vN directory, parses, and holds the record its name says.
func TestReleasedFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(releasedDir, "*", "*.avsc"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no released schemas in %s", releasedDir)
	}
	for _, file := range files {
		if dir := filepath.Base(filepath.Dir(file)); !releaseName.MatchString(dir) {
			t.Errorf("%s: release directory %q is not v1, v2, ...", file, dir)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		s, err := parse(string(b))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		named, ok := s.(avro.NamedSchema)
		if want := strings.TrimSuffix(filepath.Base(file), ".avsc"); !ok || named.FullName() != want {
			t.Errorf("%s does not hold record %s", file, want)
		}
	}
}

// TestReleasedCheckCatchesBreaks proves the check above fails on breaking
// changes: each record's current schema, changed in a way a consumer cannot
// survive, must be found incompatible with its first release, while the
// harmless changes must not.
func TestReleasedCheckCatchesBreaks(t *testing.T) {
	tests := []struct {
		name   string
		change func(m map[string]any)
		ok     bool
	}{
		{"new field without default", func(m map[string]any) {
			m["fields"] = append(fields(m), map[string]any{"name": "added_required", "type": "string"})
		}, false},
		{"field type changed", func(m map[string]any) {
			fields(m)[0].(map[string]any)["type"] = map[string]any{"type": "fixed", "name": "Broken", "size": 3}
		}, false},
		{"field renamed without alias", func(m map[string]any) {
			// Renamed and without a default: the new name is missing
			// from old data.
			f := fields(m)[0].(map[string]any)
			f["name"] = "renamed_" + f["name"].(string)
			delete(f, "default")
		}, false},
		{"record renamed", func(m map[string]any) {
			m["name"] = m["name"].(string) + "Renamed"
		}, false},
		{"new field with default", func(m map[string]any) {
			m["fields"] = append(fields(m), map[string]any{"name": "added_optional", "type": "string", "default": ""})
		}, true},
		{"documentation changed", func(m map[string]any) {
			m["doc"] = "Reworded."
		}, true},
	}
	records, err := Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, record := range records {
		files := releases(t, record)
		if len(files) == 0 {
			continue // reported by TestReleasedVersionsAreBackwardCompatible
		}
		old, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		current, err := Schema(record)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(record+"/"+tt.name, func(t *testing.T) {
				var m map[string]any
				if err := json.Unmarshal([]byte(current), &m); err != nil {
					t.Fatal(err)
				}
				if len(fields(m)) == 0 {
					t.Fatalf("record %s has no fields to change", record)
				}
				tt.change(m)
				changed, err := json.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				err = backwardCompatible(string(changed), string(old))
				switch {
				case tt.ok && err != nil:
					t.Errorf("harmless change found incompatible with %s: %v", files[0], err)
				case !tt.ok && err == nil:
					t.Errorf("breaking change not caught against %s", files[0])
				}
			})
		}
	}
}

func fields(m map[string]any) []any {
	f, _ := m["fields"].([]any)
	return f
}
