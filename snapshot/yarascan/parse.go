package yarascan

// Parsing what `yara -s -L -m -e -g` prints. A matching rule is one line,
//
//	NAMESPACE:RULE [TAG,TAG] [KEY="text",KEY =42,KEY=true] PATH
//
// followed by one line per string match, "0xOFFSET:LENGTH:$ID: DATA". The
// paths are the /proc/self/fd/N names procsnap gave yara, and only the
// prefix of a string line is read: DATA (the target's bytes, escaped by
// yara) is never parsed, procsnap reads the matched bytes itself.

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Rule is a rule as yara reports it when it matches.
type Rule struct {
	Namespace string
	Name      string
	Tags      []string
	Meta      []Meta
}

// Meta is one entry of a rule's meta section, in the rule's order (keys
// may repeat). Value is a string, an int64 or a bool.
type Meta struct {
	Key   string
	Value any
}

// ruleLine splits a rule line: namespace, name, tags, the meta text and the
// path. The namespace is the shortest prefix that the rest fits: namespaces
// come from the rules, never from the scanned bytes.
var ruleLine = regexp.MustCompile(`^(.*?):([A-Za-z_][A-Za-z0-9_]*) \[([A-Za-z0-9_,]*)\] \[(.*)\] (\S+)$`)

// parseRuleLine reads a rule line and returns the rule and the path of the
// file it matched.
func parseRuleLine(line string) (*Rule, string, error) {
	m := ruleLine.FindStringSubmatch(line)
	if m == nil {
		return nil, "", fmt.Errorf("unexpected line from yara: %q", clip(line))
	}
	r := &Rule{Namespace: m[1], Name: m[2]}
	if m[3] != "" {
		r.Tags = strings.Split(m[3], ",")
	}
	meta, err := parseMeta(m[4])
	if err != nil {
		return nil, "", fmt.Errorf("rule %s: meta %q: %w", r.Name, clip(m[4]), err)
	}
	r.Meta = meta
	return r, m[5], nil
}

// stringLine is the prefix of a string match line.
var stringLine = regexp.MustCompile(`^0x([0-9a-f]+):([0-9]+):(\$[A-Za-z0-9_]*)(?:: |$)`)

// parseStringLine reads the offset, length and identifier of a string
// match line; ok is false when the line is not one.
func parseStringLine(line string) (off uint64, n int, id string, ok bool) {
	if !strings.HasPrefix(line, "0x") {
		return 0, 0, "", false
	}
	m := stringLine.FindStringSubmatch(line)
	if m == nil {
		return 0, 0, "", false
	}
	off, err1 := strconv.ParseUint(m[1], 16, 64)
	n, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil || n < 0 {
		return 0, 0, "", false
	}
	return off, n, m[3], true
}

// parseMeta reads yara's meta list: KEY="escaped text", KEY =INTEGER (yara
// 4.2 prints a space there) or KEY=true|false, separated by commas.
func parseMeta(s string) ([]Meta, error) {
	var out []Meta
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, errors.New("no '='")
		}
		key := strings.TrimSpace(s[:eq])
		if !identifier(key) {
			return nil, fmt.Errorf("bad key %q", key)
		}
		v, rest, err := metaValue(s[eq+1:])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out = append(out, Meta{Key: key, Value: v})
		if rest != "" && rest[0] != ',' {
			return nil, fmt.Errorf("%s: text after the value", key)
		}
		s = strings.TrimPrefix(rest, ",")
	}
	return out, nil
}

// metaValue reads one value and returns the text after it.
func metaValue(s string) (any, string, error) {
	if strings.HasPrefix(s, `"`) {
		return unquote(s[1:])
	}
	end := strings.IndexByte(s, ',')
	if end < 0 {
		end = len(s)
	}
	switch tok := s[:end]; tok {
	case "true", "false":
		return tok == "true", s[end:], nil
	default:
		n, err := strconv.ParseInt(tok, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("bad value %q", tok)
		}
		return n, s[end:], nil
	}
}

// unquote reads yara's escaped text up to its closing quote: \" \' \\, C
// escapes (\n, \t ...) and three octal digits for other bytes.
func unquote(s string) (string, string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), s[i+1:], nil
		case c != '\\':
			b.WriteByte(c)
			continue
		case i+1 >= len(s):
			return "", "", errors.New("text ends in a backslash")
		}
		i++
		if e := strings.IndexByte(`abtnvfr"'\`, s[i]); e >= 0 {
			b.WriteByte("\a\b\t\n\v\f\r\"'\\"[e])
			continue
		}
		if i+3 > len(s) {
			return "", "", errors.New("short octal escape")
		}
		v, err := strconv.ParseUint(s[i:i+3], 8, 8)
		if err != nil {
			return "", "", fmt.Errorf("bad escape \\%s", s[i:i+3])
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return "", "", errors.New("no closing quote")
}

func identifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range []byte(s) {
		letter := c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// clip shortens a line quoted in an error.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
