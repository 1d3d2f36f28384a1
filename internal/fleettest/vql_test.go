package fleettest

// A small evaluator for the part of VQL (Velociraptor's query language)
// that the artifact's `LET Argv <= …` is written in, so that the test runs
// the argv the artifact builds rather than one written again by hand:
//
//	expr    = primary { "+" primary }
//	primary = "(" expr { "," expr } ")"   a tuple (an array) or a group
//	        | "[" [ expr { "," expr } ] "]"
//	        | string | number | ident [ "(" [ arg { "," arg } ] ")" ]
//	arg     = ident "=" expr
//
// with the semantics of vfilter, VQL's engine: "+" concatenates when
// either side is an array (a scalar is appended as one element), and a null
// left side gives null; if(condition=, then=, else=) is lazy and gives null
// without else; str(str=) formats its argument; a condition is false for
// null, "", 0, false and an empty array. Strings are '…', "…" or '''…'''.
// Anything else is an error, so a change to the artifact outside this
// subset fails the test instead of being misread.

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// vqlEval evaluates one expression of src with vars.
type vqlEval struct {
	src  string
	pos  int
	vars map[string]any
}

// evalVQL evaluates the expression src; vars holds the parameters and the
// LETs it refers to.
func evalVQL(src string, vars map[string]any) (any, error) {
	e := &vqlEval{src: src, vars: vars}
	v, err := e.expr(true)
	if err != nil {
		return nil, err
	}
	if tok := e.peek(); tok != "" {
		return nil, fmt.Errorf("unexpected %q at offset %d", tok, e.pos)
	}
	return v, nil
}

// expr parses (and, when eval, evaluates) primary { "+" primary }.
func (e *vqlEval) expr(eval bool) (any, error) {
	v, err := e.primary(eval)
	for err == nil && e.peek() == "+" {
		e.next()
		var r any
		if r, err = e.primary(eval); err == nil && eval {
			v = vqlAdd(v, r)
		}
	}
	return v, err
}

func (e *vqlEval) primary(eval bool) (any, error) {
	switch tok := e.next(); {
	case tok == "(":
		items, err := e.list(eval, ")")
		if err != nil || len(items) != 1 {
			return items, err
		}
		return items[0], nil // a group, not a tuple
	case tok == "[":
		return e.list(eval, "]")
	case strings.HasPrefix(tok, "'"), strings.HasPrefix(tok, `"`):
		return unquoteVQL(tok)
	case tok != "" && unicode.IsDigit(rune(tok[0])):
		return strconv.ParseInt(tok, 10, 64)
	case isIdent(tok):
		if e.peek() == "(" {
			e.next()
			return e.call(tok, eval)
		}
		v, ok := e.vars[tok]
		if !ok && eval {
			return nil, fmt.Errorf("unknown variable %s", tok)
		}
		return v, nil
	default:
		return nil, fmt.Errorf("unexpected %q at offset %d", tok, e.pos)
	}
}

// list parses expressions separated by commas up to end.
func (e *vqlEval) list(eval bool, end string) ([]any, error) {
	items := []any{}
	if e.peek() == end {
		e.next()
		return items, nil
	}
	for {
		v, err := e.expr(eval)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		switch tok := e.next(); tok {
		case ",":
		case end:
			return items, nil
		default:
			return nil, fmt.Errorf("unexpected %q in a list at offset %d", tok, e.pos)
		}
	}
}

// call evaluates the functions the argv uses, if() lazily as VQL does.
func (e *vqlEval) call(name string, eval bool) (any, error) {
	args := map[string]any{}
	var cond any
	for e.peek() != ")" {
		key := e.next()
		if !isIdent(key) || e.next() != "=" {
			return nil, fmt.Errorf("%s(): bad argument at offset %d", name, e.pos)
		}
		// then= and else= are evaluated only when chosen.
		evalArg := eval && !(name == "if" && (key == "then" && !vqlTrue(cond) || key == "else" && vqlTrue(cond)))
		v, err := e.expr(evalArg)
		if err != nil {
			return nil, err
		}
		if key == "condition" {
			cond = v
		}
		args[key] = v
		switch e.peek() {
		case ",":
			e.next()
		case ")":
		default:
			return nil, fmt.Errorf("%s(): unexpected %q at offset %d", name, e.peek(), e.pos)
		}
	}
	e.next()
	if !eval {
		return nil, nil
	}
	switch name {
	case "if":
		if vqlTrue(cond) {
			return args["then"], nil
		}
		return args["else"], nil
	case "str":
		return fmt.Sprint(args["str"]), nil
	}
	return nil, fmt.Errorf("function %s() is not in the subset this test evaluates", name)
}

// vqlAdd is vfilter's "+" for the values the argv uses.
func vqlAdd(a, b any) any {
	if a == nil {
		return nil
	}
	la, aList := a.([]any)
	lb, bList := b.([]any)
	switch {
	case aList || bList:
		if !aList {
			la = []any{a}
		}
		if !bList {
			lb = []any{b}
		}
		return append(append([]any{}, la...), lb...)
	}
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			return sa + sb
		}
	}
	if ia, ok := a.(int64); ok {
		if ib, ok := b.(int64); ok {
			return ia + ib
		}
	}
	return nil
}

func vqlTrue(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case int64:
		return v != 0
	case int:
		return v != 0
	case bool:
		return v
	case []any:
		return len(v) > 0
	}
	return true
}

func (e *vqlEval) peek() string {
	pos := e.pos
	tok := e.next()
	e.pos = pos
	return tok
}

// next returns the next token: an identifier, a number, a string literal
// with its quotes, or one punctuation character; "" at the end.
func (e *vqlEval) next() string {
	for e.pos < len(e.src) && unicode.IsSpace(rune(e.src[e.pos])) {
		e.pos++
	}
	s := e.src[e.pos:]
	n := 0
	switch {
	case s == "":
		return ""
	case strings.HasPrefix(s, "'''"):
		if end := strings.Index(s[3:], "'''"); end >= 0 {
			n = end + 6
		}
	case s[0] == '\'' || s[0] == '"':
		if end := strings.IndexByte(s[1:], s[0]); end >= 0 {
			n = end + 2
		}
	case isIdentByte(s[0]):
		for n < len(s) && isIdentByte(s[n]) {
			n++
		}
	default:
		n = 1
	}
	if n == 0 {
		n = len(s) // an unterminated string: the rest, which fails later
	}
	e.pos += n
	return s[:n]
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isIdent(tok string) bool {
	return tok != "" && isIdentByte(tok[0]) && !unicode.IsDigit(rune(tok[0]))
}

func unquoteVQL(tok string) (string, error) {
	switch {
	case len(tok) >= 6 && strings.HasPrefix(tok, "'''") && strings.HasSuffix(tok, "'''"):
		return tok[3 : len(tok)-3], nil
	case len(tok) >= 2 && tok[0] == tok[len(tok)-1]:
		if strings.ContainsRune(tok[1:len(tok)-1], '\\') {
			return "", fmt.Errorf("escapes in %s are not in the subset this test evaluates", tok)
		}
		return tok[1 : len(tok)-1], nil
	}
	return "", fmt.Errorf("unterminated string %s", tok)
}

// TestVQLSubset checks the evaluator against the behaviour of vfilter that
// the argv relies on (vfilter's own fixtures show the same results).
func TestVQLSubset(t *testing.T) {
	vars := map[string]any{"S": "s", "N": int64(7), "Zero": int64(0), "Empty": "", "T": true, "F": false}
	for _, c := range []struct {
		src, want string
	}{
		{`(1, 2) + (3, 4)`, "[1 2 3 4]"},
		{`(1, 2) + 4`, "[1 2 4]"},
		{`(1, 2) + if(condition=1, then=(3, 4))`, "[1 2 3 4]"},
		{`(1, 2) + if(condition=0, then=(3, 4))`, "[1 2 <nil>]"},
		{`(1, 2) + if(condition=0, then=(3, 4), else=[])`, "[1 2]"},
		{`if(condition=1, then=[])`, "[]"},
		{`(S, "a") + if(condition=Empty, then=["x"], else=[]) + if(condition=S, then=["y", S], else=[])`, "[s a y s]"},
		{`[str(str=N)] + if(condition=Zero, then=[str(str=Zero)], else=[])`, "[7]"},
		{`if(condition=F, then=["t"], else=["f"]) + if(condition=T, then=['''t'''], else=['f'])`, "[f t]"},
		{`("a") + "b"`, "ab"},
		{`if(condition=Empty, then=no_such_function(x=1), else="lazy")`, "lazy"},
	} {
		v, err := evalVQL(c.src, vars)
		if got := fmt.Sprint(v); err != nil || got != c.want {
			t.Errorf("%s = %s (%v), want %s", c.src, got, err, c.want)
		}
	}
	for _, src := range []string{`Unknown`, `f(x=1)`, `(1, 2`, `"a\n"`, `1 2`, `if(condition=1 then=2)`} {
		if v, err := evalVQL(src, vars); err == nil {
			t.Errorf("%s = %v, want an error", src, v)
		}
	}
}
