// The rule set of BenchmarkThroughput: text strings (nocase, wide,
// fullword), hex strings with wildcards, jumps and alternatives, and a
// regex, as a small responder's rule set has them.

rule BenchText : bench
{
    meta:
        description = "credentials and tool names"
    strings:
        $a = "procsnap-bench-marker" nocase wide ascii
        $b = "password=" fullword
        $c = "BEGIN RSA PRIVATE KEY"
        $d = "mimikatz" nocase
    condition:
        any of them
}

rule BenchHex
{
    strings:
        $mz = { 4D 5A 90 00 03 00 [4-16] 50 45 00 00 }
        $sc = { FC 48 83 E4 F0 E8 ( C0 | C8 ) 00 00 00 }
    condition:
        any of them
}

rule BenchRegex
{
    strings:
        $r = /secret[0-9]{4}:[a-f0-9]{8}/
        $u = /https?:\/\/[a-z0-9.-]{4,40}\/evil/
    condition:
        any of them
}
