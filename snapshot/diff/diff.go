package diff

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/procsnap/procsnap/format"
)

// Status is what happened to a region between two snapshots.
type Status uint8

const (
	Unchanged Status = iota // same start, same mapping, every page the same
	Changed                 // same start, something differs (see Change)
	Added                   // only in the new snapshot
	Removed                 // only in the old snapshot
)

func (s Status) String() string {
	switch s {
	case Unchanged:
		return "unchanged"
	case Changed:
		return "changed"
	case Added:
		return "added"
	case Removed:
		return "removed"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Change is a set of reasons why a matched region changed.
type Change uint8

const (
	ChangeContent Change = 1 << iota // a page's bytes (hash) differ
	ChangeStates                     // a page's state differs (data/zero, unreadable, not captured, errno)
	ChangeSize                       // the region's end moved
	ChangePerms                      // the rwxp column differs
	ChangePath                       // the path column differs
	ChangeMapping                    // the file offset, device or inode differs
)

var changeNames = []struct {
	c    Change
	name string
}{
	{ChangeContent, "content"}, {ChangeStates, "page states"}, {ChangeSize, "size"},
	{ChangePerms, "perms"}, {ChangePath, "path"}, {ChangeMapping, "mapping"},
}

// Names lists the reasons in a fixed order: content, page states, size,
// perms, path, mapping.
func (c Change) Names() []string {
	var out []string
	for _, n := range changeNames {
		if c&n.c != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func (c Change) String() string { return strings.Join(c.Names(), ", ") }

// Region is the comparison of one region. Old is nil for an added region,
// New for a removed one.
type Region struct {
	Status  Status
	Old     *format.RegionDesc
	New     *format.RegionDesc
	Changes Change
	// Ranges are the changed addresses of a changed region at page
	// granularity, in address order, merged into maximal runs. Pages that
	// exist in only one of the two (the region grew or shrank) are changed.
	// Errno is always 0.
	Ranges []format.Range
	Pages  uint64 // pages in Ranges
}

// Desc is the region's newest descriptor (New, or Old when removed).
func (g *Region) Desc() *format.RegionDesc {
	if g.New != nil {
		return g.New
	}
	return g.Old
}

// Result is the comparison of two snapshots.
type Result struct {
	PageSize     int
	Regions      []Region // every region of both, in start address order
	Unchanged    int
	Changed      int
	Added        int
	Removed      int
	ChangedPages uint64 // pages in the Ranges of every changed region
}

// Differs reports whether the snapshots differ at all.
func (r *Result) Differs() bool { return r.Changed+r.Added+r.Removed > 0 }

// Options tune a comparison.
type Options struct {
	// Strict also compares the bytes of pages whose hashes are equal,
	// decompressing both sides (and so checking their stored hashes).
	Strict bool
}

// Compare compares the older snapshot with the newer one. Its error means
// the comparison could not be made (different page sizes, a damaged chunk
// header, a read error, ctx cancelled); differences are in the Result.
func Compare(ctx context.Context, older, newer *format.Reader, opts Options) (*Result, error) {
	if older.PageSize() != newer.PageSize() {
		return nil, fmt.Errorf("page sizes differ (old %d, new %d): snapshots taken with different page sizes cannot be compared page by page",
			older.PageSize(), newer.PageSize())
	}
	res := &Result{PageSize: older.PageSize()}
	a, b := byStart(older.Regions()), byStart(newer.Regions())
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("diff interrupted: %w", err)
		}
		switch {
		case j == len(b) || (i < len(a) && a[i].Desc.Start < b[j].Desc.Start):
			res.add(Region{Status: Removed, Old: &a[i].Desc})
			i++
		case i == len(a) || b[j].Desc.Start < a[i].Desc.Start:
			res.add(Region{Status: Added, New: &b[j].Desc})
			j++
		default:
			d, err := compareRegion(ctx, older, newer, a[i], b[j], opts)
			if err != nil {
				return nil, err
			}
			res.add(d)
			i, j = i+1, j+1
		}
	}
	return res, nil
}

func (r *Result) add(g Region) {
	switch g.Status {
	case Unchanged:
		r.Unchanged++
	case Changed:
		r.Changed++
		r.ChangedPages += g.Pages
	case Added:
		r.Added++
	case Removed:
		r.Removed++
	}
	r.Regions = append(r.Regions, g)
}

// byStart returns the regions sorted by start address (then index): two
// regions of one archive with the same start pair up in index order.
func byStart(rs []*format.Region) []*format.Region {
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(x, y *format.Region) int {
		if c := compareU64(x.Desc.Start, y.Desc.Start); c != 0 {
			return c
		}
		return x.Desc.Index - y.Desc.Index
	})
	return out
}

func compareU64(x, y uint64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// descChanges compares the maps columns of two regions with one start.
func descChanges(a, b *format.RegionDesc) Change {
	var c Change
	if a.End != b.End {
		c |= ChangeSize
	}
	if a.Perms != b.Perms {
		c |= ChangePerms
	}
	if a.Path != b.Path {
		c |= ChangePath
	}
	if a.Offset != b.Offset || a.DevMajor != b.DevMajor || a.DevMinor != b.DevMinor || a.Inode != b.Inode {
		c |= ChangeMapping
	}
	return c
}
