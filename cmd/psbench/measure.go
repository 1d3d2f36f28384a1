package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Measure is one figure over the runs: its samples (seconds for times,
// bytes for sizes), or why it has none.
type Measure struct {
	Samples []float64 `json:"samples,omitempty"`
	Err     string    `json:"error,omitempty"`   // the measurement failed
	Skipped string    `json:"skipped,omitempty"` // not measured on purpose, and why
}

// OK reports whether the figure has samples and no error.
func (m Measure) OK() bool { return len(m.Samples) > 0 && m.Err == "" }

func (m *Measure) add(v float64) { m.Samples = append(m.Samples, v) }

func (m *Measure) addDuration(d time.Duration) { m.add(d.Seconds()) }

// fail records the first error of the figure.
func (m *Measure) fail(err error) {
	if m.Err == "" {
		m.Err = err.Error()
	}
}

// Median is the middle sample (the mean of the two middle ones for an even
// count); 0 without samples.
func (m Measure) Median() float64 {
	n := len(m.Samples)
	if n == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(m.Samples))
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Min and Max of the samples; 0 without samples.
func (m Measure) Min() float64 {
	if len(m.Samples) == 0 {
		return 0
	}
	return slices.Min(m.Samples)
}

func (m Measure) Max() float64 {
	if len(m.Samples) == 0 {
		return 0
	}
	return slices.Max(m.Samples)
}

// cell renders the figure for a table: "median (min–max)" with more than
// one sample, or why there is no figure.
func (m Measure) cell(unit func(float64) string) string {
	switch {
	case m.Err != "":
		return "failed: " + oneLine(m.Err, 80)
	case m.Skipped != "":
		return "skipped" // the reason is in the report's notes
	case len(m.Samples) == 0:
		return "—"
	}
	lo, hi := unit(m.Min()), unit(m.Max())
	if lo == hi {
		return unit(m.Median())
	}
	return fmt.Sprintf("%s (%s–%s)", unit(m.Median()), lo, hi)
}

// seconds renders a time with three significant digits.
func seconds(s float64) string {
	switch {
	case s < 0.001:
		return fmt.Sprintf("%.0f µs", s*1e6)
	case s < 0.01:
		return fmt.Sprintf("%.2f ms", s*1e3)
	case s < 0.1:
		return fmt.Sprintf("%.1f ms", s*1e3)
	case s < 1:
		return fmt.Sprintf("%.0f ms", s*1e3)
	}
	return fmt.Sprintf("%.2f s", s)
}

// bytesIEC renders a size in MiB or GiB.
func bytesIEC(b float64) string {
	switch {
	case b >= 1<<30 || b <= -(1<<30):
		return fmt.Sprintf("%.2f GiB", b/(1<<30))
	case b >= 1<<20 || b <= -(1<<20):
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10 || b <= -(1<<10):
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// ParseSize reads a size such as 4096, 256MiB, 2GiB or 16M (powers of 1024).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
		i--
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	unit := strings.ToLower(strings.TrimSpace(t[i:]))
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, "b"), "i")
	shift, ok := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30, "t": 40}[unit]
	if err != nil || n <= 0 || !ok || n > (1<<62)>>shift {
		return 0, fmt.Errorf("bad size %q (want e.g. 16MiB, 256MiB, 2GiB)", s)
	}
	return n << shift, nil
}

// oneLine joins the lines of s and cuts it to max runes.
func oneLine(s string, max int) string {
	s = strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", "/") // keeps a table intact
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
