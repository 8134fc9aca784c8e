package topology

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// RenderTable writes the catalog as a Markdown table: topic, key, value
// record, cleanup, retention and writer.
func RenderTable(w io.Writer, cat Catalog) error {
	var b strings.Builder
	b.WriteString("| topic | key | value (subject `<topic>-value`) | cleanup | retention | written by |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, t := range Topics() {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s | %s |\n",
			cat.Name(t.Name), t.Key, t.Record, t.Cleanup, retention(t), t.Writer)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func retention(t Topic) string {
	switch {
	case t.Cleanup == Compact:
		return "compacted"
	case t.Retention < 0:
		return "forever"
	case t.Retention == 0:
		return "broker default"
	case t.Retention%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", t.Retention/(24*time.Hour))
	default:
		return t.Retention.String()
	}
}
