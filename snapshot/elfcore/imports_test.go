package elfcore

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOfflineOnly: elfcore works on archives only and must not import the
// capture code (docs: ARCHITECTURE, "Boundaries worth keeping").
func TestOfflineOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"github.com/procsnap/procsnap/snapshot", "github.com/procsnap/procsnap/procfs"}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") && !strings.HasPrefix(path, "github.com/procsnap/procsnap/snapshot/elfcore") {
					t.Errorf("%s imports %s: elfcore must not import the capture code", name, path)
				}
			}
		}
	}
}
