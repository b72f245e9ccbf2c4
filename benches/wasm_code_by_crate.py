#!/usr/bin/env python3
"""What takes the space in the page's module: code bytes per crate, from the name section.

    SEQ2SEQ_WASM_NAMES=1 scripts/build-web.sh   # the shipped module has no names
    python3 benches/wasm_code_by_crate.py pkg/seq2seq_playground_bg.wasm [top]

Each function body is attributed to the first crate its (mangled or demangled) name mentions:
generic code instantiated for a crate's types counts for that crate (`core::ptr::drop_in_place<
cubecl_ir::...>` counts for cubecl_ir). Also prints the size of each section.
"""
import collections
import re
import sys

CRATE = re.compile(
    r"(burn_[a-z_]+|cubecl_[a-z_]+|cubecl|cubek_[a-z_]+|wgpu_[a-z_]+|wgpu|naga|plotters[a-z_]*|"
    r"seq2seq_playground|serde_json|serde_core|nalgebra|gemm[a-z_0-9]*|macerator|hashbrown|"
    r"pliron[a-z_]*|combine|web_sys|js_sys|wasm_bindgen[a-z_]*|rustc_apfloat|smallvec|"
    r"indexmap|alloc|core|std)"
)


def leb(data, i):
    result = shift = 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def sections(data):
    i, found = 8, {}
    while i < len(data):
        sid = data[i]
        size, i = leb(data, i + 1)
        key = sid
        if sid == 0:
            n, j = leb(data, i)
            key = data[j : j + n].decode()
            found[key] = (j + n, i + size)
        else:
            found[key] = (i, i + size)
        i += size
    return found


def imported_functions(data, start):
    i, count = start
    n, i = leb(data, i)
    functions = 0
    for _ in range(n):
        for _ in range(2):
            length, i = leb(data, i)
            i += length
        kind = data[i]
        i += 1
        if kind == 0:
            _, i = leb(data, i)
            functions += 1
        elif kind == 1:
            flags = data[i + 1]
            _, i = leb(data, i + 2)
            if flags & 1:
                _, i = leb(data, i)
        elif kind == 2:
            flags = data[i]
            _, i = leb(data, i + 1)
            if flags & 1:
                _, i = leb(data, i)
        elif kind == 3:
            i += 2
    return functions


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    data = open(path, "rb").read()
    found = sections(data)
    names_of = {1: "type", 2: "import", 3: "function", 7: "export", 9: "element", 10: "code", 11: "data"}
    print(f"{path}: {len(data)} bytes")
    for key, (start, end) in found.items():
        print(f"  section {names_of.get(key, key)!s:<16} {end - start:>10} bytes")
    offset = imported_functions(data, (found[2][0], None)) if 2 in found else 0
    i, _ = found[10]
    n, i = leb(data, i)
    sizes = []
    for _ in range(n):
        length, i = leb(data, i)
        sizes.append(length)
        i += length
    names = {}
    if "name" not in found:
        sys.exit("no name section: build with SEQ2SEQ_WASM_NAMES=1 scripts/build-web.sh")
    i, end = found["name"]
    while i < end:
        sub = data[i]
        length, i = leb(data, i + 1)
        stop = i + length
        if sub == 1:
            count, i = leb(data, i)
            for _ in range(count):
                index, i = leb(data, i)
                length, i = leb(data, i)
                names[index] = data[i : i + length].decode("utf8", "replace")
                i += length
        i = stop
    by_crate, functions = collections.Counter(), collections.Counter()
    for k, size in enumerate(sizes):
        name = names.get(k + offset, "?")
        crates = [c for c in CRATE.findall(name) if c not in ("alloc", "core", "std")]
        crate = crates[0] if crates else (CRATE.findall(name) or ["(unnamed)"])[0]
        by_crate[crate] += size
        functions[crate] += 1
    total = sum(sizes)
    print(f"code: {total} bytes in {len(sizes)} functions; by crate:")
    for crate, size in by_crate.most_common(top):
        print(f"  {size / 1e6:7.2f} MB {100 * size / total:5.1f}% {functions[crate]:>6} functions  {crate}")


if __name__ == "__main__":
    main()
