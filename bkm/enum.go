package bkm

import (
	"fmt"
	"strings"
)

// enumString is the String of an enumeration value v whose names are names (indexed
// by value): its name, or typ(v) for a value outside the table.
func enumString(names []string, typ string, v int) string {
	if v >= 0 && v < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// parseEnum returns the value whose name is s; the error names what is parsed and
// lists the names ("want a, b or c").
func parseEnum[T ~int](names []string, what, s string) (T, error) {
	for v, name := range names {
		if s == name {
			return T(v), nil
		}
	}
	want := names[len(names)-1]
	if len(names) > 1 {
		want = strings.Join(names[:len(names)-1], ", ") + " or " + want
	}
	return 0, fmt.Errorf("bkm: %s %q: want %s", what, s, want)
}
