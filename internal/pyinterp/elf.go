package pyinterp

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// elfFacts are what packaging reads from the interpreter binary.
type elfFacts struct {
	armhf  bool   // 32-bit little-endian ARM, EABI5, hard float
	i386   bool   // 32-bit little-endian x86
	interp string // PT_INTERP: the dynamic loader's path
}

// ELF header constants packaging's _manylinux uses.
const (
	efARMABIMask      = 0xFF000000
	efARMABIVer5      = 0x05000000
	efARMABIFloatHard = 0x00000400
)

// maxInterpLen bounds the PT_INTERP string read from the binary.
const maxInterpLen = 4096

// readELF reads the facts from path; a file that is not ELF yields zero
// facts, as packaging's _parse_elf yields None.
func readELF(path string) elfFacts {
	f, err := os.Open(path)
	if err != nil {
		return elfFacts{}
	}
	defer f.Close()
	ef, err := elf.NewFile(f)
	if err != nil {
		return elfFacts{}
	}
	var out elfFacts
	if ef.Class == elf.ELFCLASS32 && ef.Data == elf.ELFDATA2LSB {
		// e_flags sits at offset 36 of a 32-bit ELF header; debug/elf does
		// not expose it.
		var hdr [40]byte
		if _, err := f.ReadAt(hdr[:], 0); err == nil {
			flags := binary.LittleEndian.Uint32(hdr[36:40])
			out.armhf = ef.Machine == elf.EM_ARM && flags&efARMABIMask == efARMABIVer5 && flags&efARMABIFloatHard == efARMABIFloatHard
		}
		out.i386 = ef.Machine == elf.EM_386
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP && p.Filesz > 0 && p.Filesz <= maxInterpLen {
			buf := make([]byte, p.Filesz)
			if _, err := p.ReadAt(buf, 0); err == nil {
				out.interp = string(bytes.TrimRight(buf, "\x00"))
			}
		}
	}
	return out
}

var muslVersionRE = regexp.MustCompile(`(?m)^Version ([0-9]+)\.([0-9]+)`)

// muslVersion runs the musl loader without arguments, which prints its
// version to stderr, as packaging's _get_musl_version does. {0, 0} when it
// cannot be read.
func muslVersion(loader string) [2]int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, loader)
	cmd.Env = []string{}
	var stderr limitedBuffer
	stderr.max = 16 << 10
	cmd.Stderr = &stderr
	_ = cmd.Run() // the loader exits non-zero when given no program
	m := muslVersionRE.FindStringSubmatch(stderr.String())
	if m == nil {
		return [2]int{0, 0}
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return [2]int{major, minor}
}
