package envvars

import (
	"strings"
	"unicode/utf8"
)

// Expand replaces $(NAME) references in s with mapping's value, following the
// kubelet's expansion rules: $$ is an escaped $, a reference mapping does not
// know stays literal ($(NAME)), an unterminated $( and any other $x are kept
// as they are. mapping reports whether it knows the name.
func Expand(s string, mapping func(name string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		next := s[i+1]
		switch {
		case next == '$':
			b.WriteByte('$')
			i += 2
		case next == '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				// Unterminated: keep "$(" and go on reading after it, so a later
				// reference in the same string still expands.
				b.WriteString("$(")
				i += 2
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := mapping(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end + 1
		default:
			// Keep "$" and the whole rune after it: a multi-byte rune must not be
			// split (upstream reads one rune here).
			_, size := utf8.DecodeRuneInString(s[i+1:])
			b.WriteString(s[i : i+1+size])
			i += 1 + size
		}
	}
	return b.String()
}

// mappingFor looks a name up in each map in turn.
func mappingFor(maps ...map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for _, m := range maps {
			if v, ok := m[name]; ok {
				return v, true
			}
		}
		return "", false
	}
}

// ExpandCommand expands $(VAR) references in a container's command or args
// against its resolved environment, given as NAME=value strings (a later
// duplicate wins, as it would in the process environment).
func ExpandCommand(cmd []string, env []string) []string {
	if cmd == nil {
		return nil
	}
	vars := make(map[string]string, len(env))
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		vars[name] = value
	}
	mapping := mappingFor(vars)
	out := make([]string, len(cmd))
	for i, arg := range cmd {
		out[i] = Expand(arg, mapping)
	}
	return out
}
