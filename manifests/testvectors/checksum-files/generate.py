#!/usr/bin/env python3
"""Writes the checksum-file dialect vectors of FIELD-CASES F15 (byte-exact; run from this folder)."""
E = [
    ("model-00001-of-00002.safetensors", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"),
    ("my model.gguf", "e258d248fda94c63753607f7c4494ee0fcbe92f1a76bfdac795c9d84101eb317"),
    ("new\nline.bin", "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"),
    ("back\\slash.bin", "a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa"),
]

def esc(name):
    return name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")

def needs(name):
    return any(c in name for c in "\\\n\r")

def gnu(sep="  ", upper=False, always_escape=False, literal_backslash=False):
    out = []
    for name, h in E:
        h = h.upper() if upper else h
        if needs(name) and not (literal_backslash and "\n" not in name):
            out.append("\\" + h + sep + esc(name))
        elif always_escape:
            out.append("\\" + h + sep + esc(name))
        else:
            out.append(h + sep + name)
    return out

def write(fname, lines, eol="\n", bom=False):
    data = (eol.join(lines) + eol).encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    open(fname, "wb").write(data)

write("gnu.txt", gnu())
write("crlf.txt", gnu(), eol="\r\n")
write("single-space.txt", gnu(sep=" ", literal_backslash=True))
write("binary-marker.txt", gnu(sep=" *"))
write("bsd-tag.txt", [("\\" if needs(n) else "") + "SHA256 (" + esc(n) + ") = " + h for n, h in E])
write("bom.txt", gnu(), bom=True)
write("escaped.txt", gnu(always_escape=True))
write("tab.txt", gnu(sep="\t"))
write("upper.txt", gnu(upper=True))
write("reversed.txt", [("\\" if needs(n) else "") + esc(n) + "  " + h for n, h in E])
bad = gnu()
bad[0] = bad[0][:63] + ("4" if bad[0][63] != "4" else "5") + bad[0][64:]
write("bom-bad.txt", bad, bom=True)
