// Rules for the yarascan tests: each kind of string and condition, with
// markers that the tests plant at known addresses.

rule TextPlain : text marker
{
    meta:
        author = "procsnap tests"
        note = "a \"quoted\" \\ back, x]=y \t tab é"
        score = 7
        negative = -3
        enabled = true
    strings:
        $a = "PSYARA-TEXT-MARKER"
    condition:
        $a
}

rule TextNocase
{
    strings:
        $a = "psyara-nocase-marker" nocase
    condition:
        $a
}

rule TextWide
{
    strings:
        $w = "PSYARA-WIDE" wide
    condition:
        $w
}

rule TextFullword
{
    strings:
        $f = "fullwordmark" fullword
    condition:
        $f
}

rule HexWild
{
    strings:
        $h = { 50 53 59 ?? 48 45 58 [2-4] 21 ( 41 | 42 ) }
    condition:
        $h
}

rule Regex
{
    strings:
        $r = /PSYARA-RE-[0-9]{4}-[a-f]{3}/
    condition:
        $r
}

rule CountMore
{
    strings:
        $c = "PSYARA-COUNT"
    condition:
        #c > 2
}

rule AtStart
{
    strings:
        $s = "PSYARA-AT"
    condition:
        $s at 0
}

rule InRange
{
    strings:
        $i = "PSYARA-IN"
    condition:
        $i in (0x1000..0x2000)
}

rule ElfMagic
{
    condition:
        uint32(0) == 0x464c457f
}

rule AnyOf
{
    strings:
        $x1 = "PSYARA-ANY-1"
        $x2 = "PSYARA-ANY-2"
    condition:
        any of them
}

rule Gap
{
    strings:
        $g = { 50 53 59 41 52 41 2D 47 41 50 2D 41 [0-12000] 50 53 59 41 52 41 2D 47 41 50 2D 42 }
    condition:
        $g
}
