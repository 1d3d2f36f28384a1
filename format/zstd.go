package format

import (
	"fmt"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Level is a compression level.
type Level int

const (
	LevelFastest Level = iota
	LevelDefault
	LevelBetter
)

// ParseLevel turns "fastest", "default" or "better" into a Level.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(s) {
	case "fastest", "fast", "1":
		return LevelFastest, nil
	case "default", "3":
		return LevelDefault, nil
	case "better", "best":
		return LevelBetter, nil
	}
	return 0, fmt.Errorf("unknown compression level %q (want fastest, default or better)", s)
}

func (l Level) String() string {
	return [...]string{"fastest", "default", "better"}[l]
}

func newEncoder(l Level, chunkSize, workers int) (*zstd.Encoder, error) {
	zl := map[Level]zstd.EncoderLevel{
		LevelFastest: zstd.SpeedFastest,
		LevelDefault: zstd.SpeedDefault,
		LevelBetter:  zstd.SpeedBetterCompression,
	}[l]
	window := max(chunkSize, zstd.MinWindowSize)
	return zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zl),
		zstd.WithEncoderConcurrency(workers),
		zstd.WithEncoderCRC(false),
		zstd.WithWindowSize(window),
		zstd.WithZeroFrames(true),
	)
}

// newDecoder returns a decoder whose memory is bounded for hostile input:
// no frame may need a window or produce more than a chunk.
func newDecoder(chunkSize int) (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(uint64(chunkSize)),
		zstd.WithDecoderMaxWindow(uint64(max(chunkSize, zstd.MinWindowSize))),
		zstd.WithDecodeAllCapLimit(true),
	)
}
