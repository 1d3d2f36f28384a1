package search

import (
	"cmp"
	"slices"

	"github.com/procsnap/procsnap/format"
)

// Piece sizes. A piece is searched by one worker as a stream; it should be
// large next to a chunk, so that reading a chunk past either end of it (for a
// match that crosses the boundary) is rare and cheap, and few enough per
// region, because every ReadRange walks all of the region's spans.
const maxPiecesInRegion = 256

// minPieceSize is a variable so that tests can cut small archives into
// many pieces.
var minPieceSize uint64 = 4 << 20

// piece is the part of a region whose match starts one worker owns: the
// chunks of one cell of a grid aligned to absolute addresses.
type piece struct {
	g          *format.Region
	spans      []format.Span // the region's spans, to step over a damaged chunk
	start, end uint64        // from the first chunk's start to the last one's end
	out        chan *batch   // matches in address order; closed when done
	problems   []Problem     // read after out is closed
}

// plan splits the regions into pieces in address order. Regions are
// searched in order of their start address, each once; fills are not read
// at all.
func plan(regions []*format.Region, chunkSize uint64) []*piece {
	regions = slices.DeleteFunc(slices.Clone(regions), func(g *format.Region) bool { return g == nil })
	slices.SortStableFunc(regions, func(a, b *format.Region) int { return cmp.Compare(a.Desc.Start, b.Desc.Start) })
	var out []*piece
	seen := map[*format.Region]bool{}
	for _, g := range regions {
		if !seen[g] {
			seen[g] = true
			out = appendPieces(out, g, chunkSize)
		}
	}
	return out
}

func appendPieces(out []*piece, g *format.Region, chunkSize uint64) []*piece {
	spans := g.Spans()
	size := pieceSize(g.Desc.Size(), chunkSize)
	var cur *piece
	for _, s := range spans {
		if !s.IsChunk() || s.End <= s.Start {
			continue
		}
		if cur != nil && s.Start/size == cur.start/size {
			cur.end = s.End
			continue
		}
		cur = &piece{g: g, spans: spans, start: s.Start, end: s.End, out: make(chan *batch, outBatches)}
		out = append(out, cur)
	}
	return out
}

// pieceSize is a multiple of the chunk size of at least minPieceSize that
// cuts a region into at most about maxPiecesInRegion pieces.
func pieceSize(regionSize, chunkSize uint64) uint64 {
	if chunkSize == 0 {
		chunkSize = 1
	}
	target := max(minPieceSize, regionSize/maxPiecesInRegion)
	return (target + chunkSize - 1) / chunkSize * chunkSize
}

// spanAt returns the span that holds addr, if any.
func spanAt(spans []format.Span, addr uint64) (format.Span, bool) {
	i, _ := slices.BinarySearchFunc(spans, addr, func(s format.Span, a uint64) int {
		switch {
		case s.End <= a:
			return -1
		case s.Start > a:
			return 1
		}
		return 0
	})
	if i < len(spans) && spans[i].Start <= addr && addr < spans[i].End {
		return spans[i], true
	}
	return format.Span{}, false
}
