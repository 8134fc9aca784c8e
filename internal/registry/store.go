package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/twmb/franz-go/pkg/sr"
)

// logName is the name of the log file in the data directory.
const logName = "registry.jsonl"

// Operations a log line records.
const (
	opSchema       = "schema"        // a new schema version: subject, version, id, schema
	opConfig       = "config"        // a compatibility level set, for subject or globally when subject is empty
	opConfigDelete = "config_delete" // a subject's compatibility level removed
	opMode         = "mode"          // a mode set, for subject or globally when subject is empty
	opModeDelete   = "mode_delete"   // a mode override removed, for subject or globally
	opDelete       = "delete"        // a subject (version 0) or one of its versions deleted
)

// entry is one line of the log: one change the registry accepted.
type entry struct {
	Op            string                `json:"op"`
	Subject       string                `json:"subject,omitempty"`
	Version       int                   `json:"version,omitempty"`
	ID            int                   `json:"id,omitempty"`
	Schema        string                `json:"schema,omitempty"`
	SchemaType    sr.SchemaType         `json:"schemaType,omitempty"`
	References    []sr.SchemaReference  `json:"references,omitempty"`
	Metadata      *sr.SchemaMetadata    `json:"metadata,omitempty"`
	RuleSet       *sr.SchemaRuleSet     `json:"ruleSet,omitempty"`
	Compatibility sr.CompatibilityLevel `json:"compatibility,omitempty"`
	Mode          string                `json:"mode,omitempty"`
	Permanent     bool                  `json:"permanent,omitempty"`
}

// schema returns the schema an opSchema entry records.
func (e *entry) schema() sr.Schema {
	return sr.Schema{
		Schema:         e.Schema,
		Type:           e.SchemaType,
		References:     e.References,
		SchemaMetadata: e.Metadata,
		SchemaRuleSet:  e.RuleSet,
	}
}

// validate checks the fields an entry's operation needs.
func (e *entry) validate() error {
	switch e.Op {
	case opSchema:
		switch {
		case e.Subject == "":
			return errors.New("schema entry without subject")
		case e.Version <= 0:
			return fmt.Errorf("schema entry for subject %q: version %d is not positive", e.Subject, e.Version)
		case e.ID <= 0:
			return fmt.Errorf("schema entry for subject %q: id %d is not positive", e.Subject, e.ID)
		case e.Schema == "":
			return fmt.Errorf("schema entry for subject %q version %d: empty schema", e.Subject, e.Version)
		}
	case opConfig:
		if e.Compatibility.String() == "" {
			return fmt.Errorf("config entry for subject %q without compatibility level", e.Subject)
		}
	case opConfigDelete:
		if e.Subject == "" {
			return errors.New("config_delete entry without subject")
		}
	case opMode:
		if e.Mode == "" {
			return fmt.Errorf("mode entry for subject %q without mode", e.Subject)
		}
	case opModeDelete:
	case opDelete:
		if e.Subject == "" {
			return errors.New("delete entry without subject")
		}
		if e.Version < 0 {
			return fmt.Errorf("delete entry for subject %q: negative version %d", e.Subject, e.Version)
		}
	default:
		return fmt.Errorf("unknown operation %q", e.Op)
	}
	return nil
}

// line is an entry with its 1-based line number in the log.
type line struct {
	n int
	e entry
}

// store is the append-only log of accepted changes, one JSON object per line,
// each written with a single write and synced before the change is
// acknowledged.
type store struct {
	path string
	f    *os.File
}

// openStore opens (creating if needed) the log in dir and reads it.
//
// A last line without its newline can only come from a write cut short by a
// crash, whose change was never acknowledged: it is dropped with a warning
// and the file truncated to the last complete line. Any complete line that is
// not a valid entry is an error naming the file and line: the log is not
// guessed at, since skipping a line could hand an old id out again.
func openStore(dir string, log *slog.Logger) (*store, []line, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating registry data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, logName)
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening registry log: %w", err)
	}
	s := &store{path: path, f: f}
	if created {
		syncDir(dir)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		_ = f.Close() // the read error is the one to report
		return nil, nil, fmt.Errorf("reading registry log %s: %w", path, err)
	}
	lines, good, err := parseLog(data)
	if err != nil {
		_ = f.Close() // the parse error is the one to report
		return nil, nil, fmt.Errorf("registry log %s: %w", path, err)
	}
	if good < len(data) {
		log.Warn("dropping incomplete last line of registry log, left by an interrupted write",
			"file", path, "line", len(lines)+1, "bytes", len(data)-good)
		if err := f.Truncate(int64(good)); err != nil {
			_ = f.Close() // the truncate error is the one to report
			return nil, nil, fmt.Errorf("truncating incomplete last line of registry log %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			_ = f.Close() // the sync error is the one to report
			return nil, nil, fmt.Errorf("syncing registry log %s: %w", path, err)
		}
	}
	return s, lines, nil
}

// parseLog decodes the complete lines of data. It returns them with the
// length of the prefix of data they span; bytes after it are an incomplete
// last line.
func parseLog(data []byte) ([]line, int, error) {
	var lines []line
	off := 0
	for n := 1; ; n++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return lines, off, nil
		}
		raw := bytes.TrimSpace(data[off : off+i])
		off += i + 1
		if len(raw) == 0 {
			continue
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, 0, fmt.Errorf("line %d: decoding entry: %w", n, err)
		}
		if err := e.validate(); err != nil {
			return nil, 0, fmt.Errorf("line %d: %w", n, err)
		}
		lines = append(lines, line{n: n, e: e})
	}
}

// append writes e as one line and syncs the file.
func (s *store) append(e entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding %s entry for subject %q: %w", e.Op, e.Subject, err)
	}
	b = append(b, '\n')
	if _, err := s.f.Write(b); err != nil {
		return fmt.Errorf("appending to registry log %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("syncing registry log %s: %w", s.path, err)
	}
	return nil
}

// close closes the log file.
func (s *store) close() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("closing registry log %s: %w", s.path, err)
	}
	return nil
}

// syncDir makes a newly created file's directory entry durable. It is best
// effort: some platforms cannot sync a directory, and the first append syncs
// the file itself.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync() // best effort, see above
	_ = d.Close()
}
