package fleettest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// artifactPath is the Velociraptor artifact, relative to this package.
var artifactPath = filepath.Join("..", "..", "docs", "fleet", "velociraptor", "Linux.Memory.Procsnap.yaml")

// artifact is the part of Velociraptor's artifact schema that the file
// uses; a key outside it is an error (a misspelt key would be ignored by
// Velociraptor, silently).
type artifact struct {
	Name                string   `yaml:"name"`
	Author              string   `yaml:"author"`
	Description         string   `yaml:"description"`
	Reference           []string `yaml:"reference"`
	Type                string   `yaml:"type"`
	RequiredPermissions []string `yaml:"required_permissions"`
	ImpliedPermissions  []string `yaml:"implied_permissions"`
	Tools               []struct {
		Name         string `yaml:"name"`
		URL          string `yaml:"url"`
		ServeLocally bool   `yaml:"serve_locally"`
	} `yaml:"tools"`
	Precondition string `yaml:"precondition"`
	Parameters   []struct {
		Name        string `yaml:"name"`
		Type        string `yaml:"type"`
		Default     string `yaml:"default"`
		Description string `yaml:"description"`
	} `yaml:"parameters"`
	ColumnTypes []struct {
		Name string `yaml:"name"`
		Type string `yaml:"type"`
	} `yaml:"column_types"`
	Sources []struct {
		Query string `yaml:"query"`
	} `yaml:"sources"`
}

// loadArtifact parses the artifact strictly.
func loadArtifact(t *testing.T) artifact {
	t.Helper()
	data, err := os.ReadFile(artifactPath)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var a artifact
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("%s: %v", artifactPath, err)
	}
	return a
}

// TestVelociraptorArtifact checks that the artifact is YAML with what a
// client artifact needs: its name (the file's), a description, type CLIENT,
// the EXECVE permission, procsnap as its one tool (fetched by the query),
// a Linux precondition, the parameters Pid, ProcessName and User, each
// described and used, and one source whose query makes a temporary
// directory, runs execve, hashes and uploads.
func TestVelociraptorArtifact(t *testing.T) {
	a := loadArtifact(t)
	if want := strings.TrimSuffix(filepath.Base(artifactPath), ".yaml"); a.Name != want {
		t.Errorf("name %q, want %q (the file's name)", a.Name, want)
	}
	if strings.TrimSpace(a.Description) == "" || a.Type != "CLIENT" {
		t.Errorf("description %q, type %q: want a description and type CLIENT", a.Description, a.Type)
	}
	if !reflect.DeepEqual(a.RequiredPermissions, []string{"EXECVE"}) {
		t.Errorf("required_permissions %q, want [EXECVE]", a.RequiredPermissions)
	}
	if len(a.Tools) != 1 || a.Tools[0].Name != "procsnap" {
		t.Errorf("tools %+v, want one: procsnap", a.Tools)
	}
	if !strings.Contains(a.Precondition, "OS = 'linux'") {
		t.Errorf("precondition %q does not require Linux", a.Precondition)
	}
	if len(a.Sources) != 1 {
		t.Fatalf("%d sources, want 1", len(a.Sources))
	}
	q := a.Sources[0].Query
	for _, s := range []string{`FetchBinary(ToolName="procsnap")`, "tempdir(remove_last=TRUE)", "execve(argv=Argv", "hash(path=Archive)", "upload(file=Archive"} {
		if !strings.Contains(q, s) {
			t.Errorf("the query has no %s", s)
		}
	}
	params := map[string]bool{}
	for _, p := range a.Parameters {
		params[p.Name] = true
		if strings.TrimSpace(p.Description) == "" {
			t.Errorf("parameter %s has no description", p.Name)
		}
		if !regexp.MustCompile(`\b` + p.Name + `\b`).MatchString(q) {
			t.Errorf("parameter %s is not used by the query", p.Name)
		}
	}
	for _, p := range []string{"Pid", "ProcessName", "User"} {
		if !params[p] {
			t.Errorf("no parameter %s", p)
		}
	}
}

// argvLET returns the expression of the query's `LET Argv <= …`: up to the
// first empty line.
func argvLET(t *testing.T, query string) string {
	t.Helper()
	_, rest, ok := strings.Cut(query, "LET Argv <=")
	if !ok {
		t.Fatal("the query has no LET Argv <=")
	}
	expr, _, _ := strings.Cut(rest, "\n\n")
	return expr
}

// artifactArgv evaluates the artifact's argv as VQL would, for the
// parameters params (the others at their defaults) and the given tool
// path and archive.
func artifactArgv(t *testing.T, a artifact, params map[string]any, tool, archive string) ([]string, error) {
	t.Helper()
	vars := map[string]any{"ProcsnapPath": tool, "Archive": archive}
	for _, p := range a.Parameters {
		switch p.Type {
		case "int":
			vars[p.Name] = int64(0)
		case "bool":
			vars[p.Name] = false
		default:
			vars[p.Name] = p.Default
		}
		if p.Type == "int" && p.Default != "0" || p.Type == "bool" && p.Default != "N" {
			t.Fatalf("parameter %s: default %q, want 0 or N (nothing selected)", p.Name, p.Default)
		}
	}
	for k, v := range params {
		if _, ok := vars[k]; !ok {
			t.Fatalf("no parameter %s", k)
		}
		vars[k] = v
	}
	v, err := evalVQL(argvLET(t, a.Sources[0].Query), vars)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("argv is %T %v, not an array", v, v)
	}
	argv := make([]string, len(list))
	for i, x := range list {
		if argv[i], ok = x.(string); !ok {
			return nil, fmt.Errorf("argv[%d] is %T %v, not a string", i, x, x)
		}
	}
	return argv, nil
}

// TestVelociraptorArgv checks the command line the artifact builds for
// each parameter: the tool, capture, the flags, the selection, the archive.
func TestVelociraptorArgv(t *testing.T) {
	a := loadArtifact(t)
	head := []string{"/tools/procsnap", "capture", "--no-progress"}
	tail := []string{"-o", "/tmp/w/procsnap.tar"}
	for _, c := range []struct {
		params map[string]any
		want   []string
	}{
		{map[string]any{"Pid": int64(4242)}, []string{"4242"}},
		{map[string]any{"Pid": int64(4242), "Note": "case 7", "IncludeUnreadable": true}, []string{"--note", "case 7", "--include-unreadable", "4242"}},
		{map[string]any{"ProcessName": "^/usr/sbin/nginx"}, []string{"--name", "^/usr/sbin/nginx"}},
		{map[string]any{"User": "www-data"}, []string{"--user", "www-data"}},
		{map[string]any{}, nil}, // nothing selected: procsnap says what is missing (exit 2)
	} {
		got, err := artifactArgv(t, a, c.params, head[0], tail[1])
		want := append(append(append([]string{}, head...), c.want...), tail...)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%v: argv %q (%v), want %q", c.params, got, err, want)
		}
	}
}

// digestRegex returns the regex the query reads procsnap's digest with.
func digestRegex(t *testing.T, query string) *regexp.Regexp {
	t.Helper()
	m := regexp.MustCompile(`parse_string_with_regex\([^)]*regex='''(.*?)'''`).FindStringSubmatch(query)
	if m == nil {
		t.Fatal("the query reads no digest with parse_string_with_regex(regex='''…''')")
	}
	return regexp.MustCompile(m[1])
}
