package cpuid

const haveCPUID = true

// cpuid executes CPUID with EAX=leaf and ECX=sub (cpuid_amd64.s).
func cpuid(leaf, sub uint32) (a, b, c, d uint32)
