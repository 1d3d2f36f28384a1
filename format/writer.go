package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
)

// WriterOptions tune a Writer. Zero values take the defaults.
type WriterOptions struct {
	PageSize  int   // default 4096
	ChunkSize int   // power of two, default 1 MiB
	Level     Level // default LevelFastest
	Workers   int   // compression goroutines, default GOMAXPROCS
	// Unordered lets a region overlap or precede the one before it, which
	// no capture writes (one maps listing shows neither) and every reader
	// reports as damage: for tests that make hostile archives. Without it
	// BeginRegion refuses such a region.
	Unordered bool
}

// DefaultChunkSize is the chunk size used when WriterOptions leaves it 0.
const DefaultChunkSize = 1 << 20

// ErrClosed is returned by a Writer used after Close.
var ErrClosed = errors.New("archive writer is closed")

// Writer writes an archive as a stream: it never seeks. Chunks are
// compressed by a pool of workers and written in call order. All methods
// must be called from one goroutine. After the first error every method
// returns that error.
//
// WriteData keeps a reference to its data until Flush or Close returns.
type Writer struct {
	opts  WriterOptions
	zenc  *zstd.Encoder
	work  chan *job
	queue chan *job
	wg    sync.WaitGroup // workers and the output goroutine
	pool  sync.Pool      // chunk record buffers

	errMu  sync.Mutex
	err    error
	closed bool

	// Caller-side state.
	nextRegion int
	regionEnd  uint64 // where the section's last region ended: the next may not start before
	open       *openRegion
	precopy    bool    // in the pre-copy section
	frozen     bool    // the freeze record is written: the final section
	preCover   []Range // what the pre-copy wrote, merged, for checkInherit

	// Output-side state, touched only by the output goroutine.
	o output
}

type openRegion struct {
	desc    RegionDesc
	cursor  uint64
	pending *fill // a fill not yet queued, extended while runs continue
}

// jobKind says what a job carries to the output goroutine.
type jobKind uint8

const (
	jobSignature jobKind = iota + 1 // the file signature: bytes that are no record, not indexed
	jobRecord                       // a record complete in rec when it is queued
	jobChunk                        // a chunk record that a worker encodes from chunk.data
	jobBuilt                        // a record whose payload build makes in the output goroutine (footer, end, index, trailer)
	jobFlush                        // no bytes: a Flush, told through flushed once all before it is written
)

// job is one item of the output queue, in call order. Every kind but
// jobFlush writes rec, a record of type typ that the index locates by
// region, start and end; the fields after rec belong to one kind each.
type job struct {
	kind       jobKind
	typ        recType
	region     int
	start, end uint64
	rec        []byte
	fill       *fill         // jobRecord of a fill record: its content, for the region's totals
	chunk      chunkWork     // jobChunk
	build      func() []byte // jobBuilt
	flushed    chan error    // jobFlush: closed once all before it is written
}

// chunkWork is what a worker reads and writes of a chunk job. rec is in a
// buffer of the Writer's pool, returned once it is written.
type chunkWork struct {
	data    []byte        // the pages to encode; nil once encoded
	done    chan struct{} // closed by the worker when rec, states and hashes are ready
	states  []PageState   // each page's state
	hashes  []uint64      // each page's hash
	release *releaser     // told when data is no longer needed
}

// releaser calls fn once its count of chunk jobs have encoded their data.
type releaser struct {
	fn   func()
	left atomic.Int32
}

func newReleaser(fn func(), jobs int) *releaser {
	if fn == nil {
		return nil
	}
	r := &releaser{fn: fn}
	r.left.Store(int32(jobs))
	return r
}

func (r *releaser) done() {
	if r != nil && r.left.Add(-1) == 0 {
		r.fn()
	}
}

// NewWriter starts an archive on w: it writes the signature and header
// record at once (buffered) and starts the compression workers.
func NewWriter(w io.Writer, opts WriterOptions) (*Writer, error) {
	if opts.PageSize == 0 {
		opts.PageSize = 4096
	}
	if opts.ChunkSize == 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if err := checkGeometry(opts.PageSize, opts.ChunkSize); err != nil {
		return nil, err
	}
	if opts.Level < LevelFastest || opts.Level > LevelBetter {
		return nil, fmt.Errorf("unknown compression level %d", opts.Level)
	}
	zenc, err := newEncoder(opts.Level, opts.ChunkSize, opts.Workers)
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	inflight := 4 * opts.Workers
	wr := &Writer{
		opts:  opts,
		zenc:  zenc,
		work:  make(chan *job, inflight),
		queue: make(chan *job, inflight),
	}
	wr.o.init(w, opts.PageSize, wr)
	for range opts.Workers {
		wr.wg.Add(1)
		go wr.worker()
	}
	wr.wg.Add(1)
	go wr.o.run(wr.queue, &wr.wg)
	wr.enqueue(&job{kind: jobSignature, rec: []byte(Signature)})
	hdr := fileHeader{Major: VersionMajor, Minor: VersionMinor, PageSize: uint32(opts.PageSize), ChunkSize: uint32(opts.ChunkSize)}
	wr.enqueueRecord(recHeader, -1, hdr.encode())
	return wr, nil
}

// PageSize is the archive's page size.
func (w *Writer) PageSize() int { return w.opts.PageSize }

// ChunkSize is the archive's chunk size.
func (w *Writer) ChunkSize() int { return w.opts.ChunkSize }

func (w *Writer) setErr(err error) {
	w.errMu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.errMu.Unlock()
}

// Err returns the sticky error, if any.
func (w *Writer) Err() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.err == nil && w.closed {
		return ErrClosed
	}
	return w.err
}

func (w *Writer) enqueue(j *job) { w.queue <- j }

func (w *Writer) enqueueRecord(t recType, region int, payload []byte) {
	w.enqueue(&job{kind: jobRecord, typ: t, region: region, rec: appendRecord(nil, t, payload)})
}

func (w *Writer) worker() {
	defer w.wg.Done()
	ce := &chunkEncoder{pageSize: w.opts.PageSize, zenc: w.zenc}
	for j := range w.work {
		dst, _ := w.pool.Get().([]byte)
		c := &j.chunk
		j.rec, c.states, c.hashes = ce.encode(dst[:0], j.typ, j.region, j.start, c.data)
		c.data = nil
		c.release.done()
		close(c.done)
	}
}

// WriteMeta writes the capture metadata. It should be the first record.
func (w *Writer) WriteMeta(m *Meta) error {
	p, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	return w.writeRecord(recMeta, p)
}

// WriteMaps writes the verbatim bytes of /proc/PID/maps.
func (w *Writer) WriteMaps(raw []byte) error { return w.writeRecord(recMaps, raw) }

// WriteAuxv writes the raw bytes of /proc/PID/auxv.
func (w *Writer) WriteAuxv(raw []byte) error { return w.writeRecord(recAuxv, raw) }

// WriteThread writes one thread's register sets.
func (w *Writer) WriteThread(t Thread) error {
	if len(t.RegSets) > MaxRegSets {
		return fmt.Errorf("thread %d: %d register sets, above the limit %d", t.TID, len(t.RegSets), MaxRegSets)
	}
	return w.writeRecord(recThread, t.encode())
}

func (w *Writer) writeRecord(t recType, payload []byte) error {
	if err := w.Err(); err != nil {
		return err
	}
	if w.open != nil {
		return fmt.Errorf("%s record written while region %d is open", t, w.open.desc.Index)
	}
	if len(payload) > MaxRecordLen {
		return fmt.Errorf("%s record of %d bytes is above the limit %d", t, len(payload), MaxRecordLen)
	}
	w.enqueueRecord(t, -1, payload)
	return nil
}

// Flush waits until everything written so far is compressed and handed to
// the underlying writer; afterwards the caller may reuse WriteData buffers.
func (w *Writer) Flush() error {
	if err := w.Err(); err != nil {
		return err
	}
	b := make(chan error)
	w.enqueue(&job{kind: jobFlush, flushed: b})
	<-b
	return w.Err()
}

// Close ends an open region (as partial), writes the end record, the index
// and the trailer, and waits for everything to be written. It does not
// close the underlying writer. end's counters are filled in by the Writer.
func (w *Writer) Close(end End) error {
	w.errMu.Lock()
	if w.closed {
		w.errMu.Unlock()
		return w.Err()
	}
	w.errMu.Unlock()
	if w.open != nil {
		_ = w.EndRegion(MethodNone, "archive closed before the region was finished")
	}
	w.enqueue(&job{kind: jobBuilt, typ: recEnd, region: -1, build: func() []byte { return w.o.endPayload(end) }})
	w.enqueue(&job{kind: jobBuilt, typ: recIndex, region: -1, build: w.o.indexPayload})
	w.enqueue(&job{kind: jobBuilt, typ: recTrailer, region: -1, build: w.o.trailerPayload})
	close(w.queue)
	close(w.work)
	w.wg.Wait()
	if err := w.o.flush(); err != nil {
		w.setErr(err)
	}
	w.errMu.Lock()
	w.closed = true
	err := w.err
	w.errMu.Unlock()
	return err
}

// ErrAborted is the sticky error of a Writer after Abort.
var ErrAborted = errors.New("archive writer aborted")

// Abort stops the Writer without writing anything more, not even what is
// buffered: for a capture that failed before it had anything to record.
func (w *Writer) Abort() {
	w.errMu.Lock()
	if w.closed {
		w.errMu.Unlock()
		return
	}
	w.closed = true
	w.errMu.Unlock()
	w.setErr(ErrAborted)
	close(w.queue)
	close(w.work)
	w.wg.Wait()
}

// Digest is the SHA-256 of every byte written so far, as sha256sum prints
// it for a finished archive. Call it after Close.
func (w *Writer) Digest() [32]byte { return w.o.digest() }

// Totals is the end record as Close wrote it, counters filled in.
func (w *Writer) Totals() End { return w.o.end }

// Size is the number of bytes handed to the underlying writer.
func (w *Writer) Size() int64 { return w.o.n.Load() }
