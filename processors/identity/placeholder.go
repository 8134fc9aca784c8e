package identity

import "strings"

// defaultPlaceholders are values that systems put in identifier fields when
// they have none; they never identify anyone.
var defaultPlaceholders = []string{"", "null", "nil", "none", "undefined", "anonymous", "unknown", "n/a", "na", "-1", "0", "test", "guest"}

// placeholders decides which identifier values are placeholders.
type placeholders struct {
	block map[string]bool
}

func newPlaceholders(extra []string) placeholders {
	p := placeholders{block: map[string]bool{}}
	for _, v := range append(append([]string(nil), defaultPlaceholders...), extra...) {
		p.block[strings.ToLower(strings.TrimSpace(v))] = true
	}
	return p
}

// is reports whether v is a placeholder: a blocked value (case-insensitive,
// trimmed) or a value made only of zeros, dashes, dots and spaces.
func (p placeholders) is(v string) bool {
	v = strings.TrimSpace(v)
	if p.block[strings.ToLower(v)] {
		return true
	}
	return strings.Trim(v, "0-. _") == ""
}
