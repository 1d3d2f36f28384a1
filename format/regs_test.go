package format

import (
	"encoding/binary"
	"testing"
)

func TestUserRegsWords(t *testing.T) {
	regs := make([]byte, 216)
	binary.LittleEndian.PutUint64(regs[16*8:], 0x401000)
	binary.LittleEndian.PutUint64(regs[19*8:], 0x7ffc0000)
	tests := []struct {
		name    string
		data    []byte
		rip     uint64
		rsp     uint64
		wantErr bool
	}{
		{"x86-64", regs, 0x401000, 0x7ffc0000, false},
		{"ia32 (68 bytes)", make([]byte, 68), 0, 0, true},
		{"empty", nil, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rip, err1 := InstructionPointer(tt.data)
			rsp, err2 := StackPointer(tt.data)
			if (err1 != nil) != tt.wantErr || (err2 != nil) != tt.wantErr {
				t.Fatalf("errors %v, %v; want error %v", err1, err2, tt.wantErr)
			}
			if rip != tt.rip || rsp != tt.rsp {
				t.Errorf("rip %#x rsp %#x, want %#x %#x", rip, rsp, tt.rip, tt.rsp)
			}
		})
	}
}
