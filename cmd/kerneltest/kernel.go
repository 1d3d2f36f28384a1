package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// kernel is one Debian kernel package, unpacked in the cache.
type kernel struct {
	pkg     string // the versioned package, e.g. linux-image-6.1.0-57-amd64
	version string // the package version, e.g. 6.1.192-3
	dir     string // its cache directory
	image   string // what QEMU boots: vmlinux where it could be uncompressed, else vmlinuz
	config  map[string]string
	release [2]int // major, minor of the kernel (from its configuration)
}

// resolvePackage turns a package name into the versioned kernel package
// and its candidate version: linux-image-amd64 depends on exactly one
// linux-image-X.Y.Z-N-FLAVOUR, whose name changes with each Debian update.
// It reads apt's lists only (apt-cache); they must be there (apt-get update).
func resolvePackage(ctx context.Context, name string) (pkg, version string, err error) {
	pkg = name
	if !versionedImage.MatchString(name) {
		out, err := exec.CommandContext(ctx, "apt-cache", "depends", name).Output()
		if err != nil {
			return "", "", fmt.Errorf("apt-cache depends %s: %w (run apt-get update?)", name, errOutput(err))
		}
		if pkg = dependedImage(string(out)); pkg == "" {
			return "", "", fmt.Errorf("%s depends on no versioned linux-image package:\n%s", name, out)
		}
	}
	out, err := exec.CommandContext(ctx, "apt-cache", "show", "--no-all-versions", pkg).Output()
	if err != nil {
		return "", "", fmt.Errorf("apt-cache show %s: %w (run apt-get update?)", pkg, errOutput(err))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Version: "); ok {
			return pkg, strings.TrimSpace(v), nil
		}
	}
	return "", "", fmt.Errorf("apt-cache show %s: no Version", pkg)
}

var versionedImage = regexp.MustCompile(`^linux-image-[0-9]`)

// dependedImage finds the versioned image in apt-cache depends output.
func dependedImage(out string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "Depends:" && versionedImage.MatchString(f[1]) {
			return f[1]
		}
	}
	return ""
}

// errOutput adds a failed command's stderr to its error.
func errOutput(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(ee.Stderr))
	}
	return err
}

// fetchKernel returns the kernel of pkg at version from the cache, or
// downloads the package with apt-get download (from the configured Debian
// repositories, nothing else), unpacks it with dpkg-deb -x into a
// temporary directory (never installs it), keeps its kernel image and
// configuration, and uncompresses the image. logf reports what it does.
func fetchKernel(ctx context.Context, cache, pkg, version string, logf func(string, ...any)) (*kernel, error) {
	dir := filepath.Join(cache, pkg+"_"+version)
	k := &kernel{pkg: pkg, version: version, dir: dir}
	if _, err := os.Stat(filepath.Join(dir, unpackedMark)); err != nil {
		logf("fetching %s %s into %s", pkg, version, dir)
		if err := unpackKernel(ctx, dir, pkg, version); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		pruneVersions(cache, pkg, dir)
	}
	k.image = filepath.Join(dir, "vmlinux")
	if _, err := os.Stat(k.image); err != nil {
		k.image = filepath.Join(dir, "vmlinuz")
	}
	b, err := os.ReadFile(filepath.Join(dir, "config"))
	if err != nil {
		return nil, err
	}
	k.config = parseConfig(b)
	if k.release, err = configRelease(b); err != nil {
		return nil, fmt.Errorf("%s: %w", pkg, err)
	}
	return k, nil
}

// unpackedMark is the file that says a cache directory is complete.
const unpackedMark = "unpacked"

// pruneVersions removes the cached versions of pkg other than keep: a
// Debian update replaces the package's version, never its name.
func pruneVersions(cache, pkg, keep string) {
	old, _ := filepath.Glob(filepath.Join(cache, pkg+"_*"))
	for _, d := range old {
		if d != keep {
			os.RemoveAll(d)
		}
	}
}

func unpackKernel(ctx context.Context, dir, pkg, version string) error {
	tmp := filepath.Join(dir, "tmp")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dl := exec.CommandContext(ctx, "apt-get", "download", "-q", pkg+"="+version)
	dl.Dir = tmp
	if out, err := dl.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get download %s=%s: %w\n%s", pkg, version, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("apt-get download %s left %d packages", pkg, len(debs))
	}
	root := filepath.Join(tmp, "root")
	if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", debs[0], root).CombinedOutput(); err != nil {
		return fmt.Errorf("dpkg-deb -x %s: %w\n%s", debs[0], err, out)
	}
	images, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	configs, _ := filepath.Glob(filepath.Join(root, "boot", "config-*"))
	if len(images) != 1 || len(configs) != 1 {
		return fmt.Errorf("%s holds %d kernel images and %d configurations in /boot, want one of each", debs[0], len(images), len(configs))
	}
	if err := os.Rename(configs[0], filepath.Join(dir, "config")); err != nil {
		return err
	}
	if err := os.Rename(images[0], filepath.Join(dir, "vmlinuz")); err != nil {
		return err
	}
	err := uncompress(ctx, filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "vmlinux"))
	if err != nil && !errors.Is(err, errNoXZ) {
		return err
	}
	return os.WriteFile(filepath.Join(dir, unpackedMark), nil, 0o644)
}

// errNoXZ: the bzImage has no XZ payload (Debian's cloud kernels use
// LZ4); QEMU boots the bzImage itself, which decompresses itself.
var errNoXZ = errors.New("no XZ payload")

// xzMagic starts the XZ stream inside a bzImage built with CONFIG_KERNEL_XZ.
var xzMagic = []byte("\xfd7zXZ\x00")

// uncompress extracts the ELF kernel from an XZ-compressed bzImage (all
// of Debian's amd64 flavours but cloud): QEMU boots it by its PVH entry
// point without the decompressor, which takes a few seconds under TCG. xz reports the bzImage's trailing bytes as an error after it
// has written the whole kernel, so the output is checked, not xz's status.
func uncompress(ctx context.Context, bzImage, out string) error {
	b, err := os.ReadFile(bzImage)
	if err != nil {
		return err
	}
	i := bytes.Index(b, xzMagic)
	if i < 0 {
		return fmt.Errorf("%s: %w", bzImage, errNoXZ)
	}
	cmd := exec.CommandContext(ctx, "xz", "-dc")
	cmd.Stdin = bytes.NewReader(b[i:])
	var elf, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &elf, &stderr
	xzErr := cmd.Run()
	if !bytes.HasPrefix(elf.Bytes(), []byte("\x7fELF")) || elf.Len() < 1<<20 {
		return fmt.Errorf("xz -dc of %s gave %d bytes, not a kernel: %v %s", bzImage, elf.Len(), xzErr, stderr.Bytes())
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, elf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// parseConfig reads the CONFIG_X=VALUE lines of a kernel configuration.
func parseConfig(b []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.HasPrefix(k, "CONFIG_") {
			m[k] = v
		}
	}
	return m
}

var configHeader = regexp.MustCompile(`(?m)^# Linux/\S+ (\d+)\.(\d+)\S* Kernel Configuration$`)

// configRelease reads the kernel version from the configuration's header.
func configRelease(b []byte) ([2]int, error) {
	m := configHeader.FindSubmatch(b)
	if m == nil {
		return [2]int{}, errors.New("kernel configuration without a '# Linux/ARCH X.Y.Z Kernel Configuration' header")
	}
	major, _ := strconv.Atoi(string(m[1]))
	minor, _ := strconv.Atoi(string(m[2]))
	return [2]int{major, minor}, nil
}

// softDirty: the kernel tracks writes in pagemap bit 55 (CONFIG_MEM_SOFT_DIRTY).
func (k *kernel) softDirty() bool { return k.config["CONFIG_MEM_SOFT_DIRTY"] == "y" }

// pagemapScan: the kernel has the PAGEMAP_SCAN ioctl (Linux 6.7, part of
// CONFIG_PROC_PAGE_MONITOR).
func (k *kernel) pagemapScan() bool {
	return k.config["CONFIG_PROC_PAGE_MONITOR"] == "y" && (k.release[0] > 6 || k.release[0] == 6 && k.release[1] >= 7)
}
