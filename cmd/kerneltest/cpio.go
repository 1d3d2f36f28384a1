package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// cpioWriter writes the "newc" cpio format that the kernel unpacks as an
// initramfs (Documentation/driver-api/early-userspace/buffer-format.rst):
// a 110-byte ASCII header, the NUL-terminated name and the data, each
// padded to 4 bytes, and a TRAILER!!! entry at the end. Entries are owned
// by root. Parent directories are added as needed. The first error sticks.
type cpioWriter struct {
	w    io.Writer
	ino  uint32
	dirs map[string]bool
	err  error
}

func newCPIO(w io.Writer) *cpioWriter {
	return &cpioWriter{w: w, ino: 1, dirs: map[string]bool{".": true, "/": true}}
}

// Mode bits of the entry types (stat.h).
const (
	cpioDir     = 0o040000
	cpioFile    = 0o100000
	cpioSymlink = 0o120000
	cpioChar    = 0o020000
)

// Dir adds directory name (and its parents).
func (c *cpioWriter) Dir(name string, perm uint32) {
	name = cpioName(name)
	if c.dirs[name] {
		return
	}
	c.Dir(path.Dir(name), 0o755)
	c.dirs[name] = true
	c.entry(name, cpioDir|perm, 0, 0, nil)
}

// File adds a regular file with the given content.
func (c *cpioWriter) File(name string, perm uint32, data []byte) {
	name = cpioName(name)
	c.Dir(path.Dir(name), 0o755)
	c.entry(name, cpioFile|perm, 0, 0, data)
}

// Symlink adds a symbolic link to target.
func (c *cpioWriter) Symlink(name, target string) {
	name = cpioName(name)
	c.Dir(path.Dir(name), 0o755)
	c.entry(name, cpioSymlink|0o777, 0, 0, []byte(target))
}

// CharDev adds a character device node.
func (c *cpioWriter) CharDev(name string, perm uint32, major, minor uint32) {
	name = cpioName(name)
	c.Dir(path.Dir(name), 0o755)
	c.entry(name, cpioChar|perm, major, minor, nil)
}

// HostFile adds the host file src as name, keeping its permission bits.
func (c *cpioWriter) HostFile(name, src string) {
	if c.err != nil {
		return
	}
	data, err := os.ReadFile(src)
	if err != nil {
		c.err = err
		return
	}
	st, err := os.Stat(src)
	if err != nil {
		c.err = err
		return
	}
	c.File(name, uint32(st.Mode().Perm()), data)
}

// HostTree adds the host directory tree src as name: directories, regular
// files and symbolic links (kept as links, not followed).
func (c *cpioWriter) HostTree(name, src string) {
	if c.err != nil {
		return
	}
	c.err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		dst := path.Join(name, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			c.Dir(dst, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			c.Symlink(dst, target)
		case d.Type().IsRegular():
			c.HostFile(dst, p)
		default:
			return fmt.Errorf("%s: not a directory, file or symbolic link", p)
		}
		return c.err
	})
}

// Close writes the trailer. It does not close the underlying writer.
func (c *cpioWriter) Close() error {
	c.entry("TRAILER!!!", 0, 0, 0, nil)
	return c.err
}

// cpioName is name without a leading slash, as the kernel expects.
func cpioName(name string) string {
	name = path.Clean("/" + name)
	if name == "/" {
		return "."
	}
	return strings.TrimPrefix(name, "/")
}

func (c *cpioWriter) entry(name string, mode, rmajor, rminor uint32, data []byte) {
	if c.err != nil {
		return
	}
	if uint64(len(data)) > 0xffffffff {
		c.err = fmt.Errorf("cpio: %s is %d bytes, more than newc can hold", name, len(data))
		return
	}
	nlink := uint32(1)
	if mode&0o170000 == cpioDir {
		nlink = 2
	}
	ino := c.ino
	c.ino++
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmajor, rminor, len(name)+1, 0)
	buf := make([]byte, 0, len(hdr)+len(name)+4)
	buf = append(buf, hdr...)
	buf = append(buf, name...)
	buf = append(buf, 0)
	buf = pad4(buf)
	if _, c.err = c.w.Write(buf); c.err != nil {
		return
	}
	if _, c.err = c.w.Write(data); c.err != nil {
		return
	}
	_, c.err = c.w.Write(make([]byte, (4-len(data)%4)%4))
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
