package procfs

import (
	"errors"
	"io"
	"os"
	"slices"
)

// PIDs returns the ids of the processes under the root, from its numeric entries, in ascending
// order (threads other than a process's leader are not listed there). Processes come and go: one
// listed may be gone by the time it is read, which reads as fs.ErrNotExist.
func (fs FS) PIDs() ([]int, error) {
	f, err := os.Open(fs.Dir())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var pids []int
	for {
		// In batches: only the ids are kept, however many entries there are.
		names, err := f.Readdirnames(4096)
		for _, name := range names {
			if pid, ok := parseInt(name); ok && pid > 0 {
				pids = append(pids, pid)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(pids)
	return pids, nil
}
