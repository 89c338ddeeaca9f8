#!/usr/bin/env python3
"""Keep src/ layered: every `crate::` path a file names must point to a module its own module
may import (scripts/layers.txt), files must not import each other in a circle, sqlx, fake and
indicatif stay in the one module each that may use them, and nothing outside src/engine/
matches on the engine kind. Prints one line per violation and exits 1 if there is any."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


def read_table(path):
    allowed, only = {}, {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, _, rest = line.partition(":")
        if head.startswith("only "):
            only[head[5:].strip()] = set(rest.split())
        else:
            allowed[head.strip()] = set(rest.split())
    return allowed, only


def module_of(path):
    """The top module a file belongs to: `engine` for src/engine/mysql/target.rs."""
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def code_lines(path):
    """Lines of code without comments (so prose may say `crate::x`)."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.split("//", 1)[0]
        if stripped.strip():
            yield number, stripped


def module_path(path):
    """A file's module path: ['engine', 'mysql', 'target'] (mod.rs is its folder's module)."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
        parts = parts[:-1]
    return parts


def file_for(parts, files):
    """The file that holds the module at `parts`, or the nearest enclosing one."""
    for n in range(len(parts), 0, -1):
        for candidate in (SRC.joinpath(*parts[:n]).with_suffix(".rs"), SRC.joinpath(*parts[:n], "mod.rs")):
            if candidate in files:
                return candidate
    return None


PATH = re.compile(r"\b(crate|super)((?:::\w+)+)")
# `pub use` in a folder's mod.rs only re-exports its children; `mod x;` only declares them.
REEXPORT = re.compile(r"^\s*(pub(\(\w+\))?\s+use|pub\s+mod|mod)\b")


def main():
    allowed, only = read_table(ROOT / "scripts" / "layers.txt")
    problems = []

    # The table is a set of floors: no module may reach itself through it.
    def reaches(start, goal, seen=()):
        return any(m == goal or (m not in seen and reaches(m, goal, seen + (m,))) for m in allowed.get(start, ()))

    for module in allowed:
        if reaches(module, module):
            problems.append(f"scripts/layers.txt: {module} can reach itself; the table must have no circle")

    files = sorted(p for p in SRC.rglob("*.rs"))
    fileset = set(files)
    edges = {f: set() for f in files}
    for path in files:
        module = module_of(path)
        shown = path.relative_to(ROOT)
        if module not in allowed:
            problems.append(f"{shown}: module {module} is not in scripts/layers.txt")
            continue
        here = module_path(path)
        for number, line in code_lines(path):
            for crate, only_in in only.items():
                if re.search(rf"\b{crate}::", line) and module not in only_in:
                    problems.append(f"{shown}:{number}: uses {crate}, which only {', '.join(sorted(only_in))} may use")
            if module != "engine" and re.search(r"EngineKind::\w+\s*(=>|\|)", line):
                problems.append(f"{shown}:{number}: matches on the engine kind outside src/engine/")
            for root, rest in PATH.findall(line):
                names = rest.strip(":").split("::")
                if root == "crate":
                    parts = names
                else:
                    # `super::x` from engine/mysql/target.rs (module engine::mysql::target) is
                    # engine::mysql::x; each further `super` goes up one more.
                    up = 1 + sum(1 for n in names if n == "super")
                    parts = here[: max(len(here) - up, 0)] + [n for n in names if n != "super"]
                if not parts:
                    continue
                target = parts[0]
                if root == "crate" and target != module and target not in allowed.get(module, set()):
                    problems.append(f"{shown}:{number}: {module} may not import {target} (crate::{'::'.join(names)})")
                if REEXPORT.match(line):
                    continue
                dest = file_for(parts, fileset)
                if dest is not None and dest != path:
                    edges[path].add(dest)

    # Files that import each other round in a circle, at any depth.
    state, stack = {}, []

    def visit(f):
        state[f] = "open"
        stack.append(f)
        for g in sorted(edges[f]):
            if state.get(g) == "open":
                circle = stack[stack.index(g):] + [g]
                problems.append("import circle: " + " -> ".join(str(c.relative_to(ROOT)) for c in circle))
            elif g not in state:
                visit(g)
        stack.pop()
        state[f] = "done"

    for f in files:
        if f not in state:
            visit(f)

    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering problems (see scripts/layers.txt)")
        return 1
    print(f"layers: {len(files)} files, {sum(len(e) for e in edges.values())} imports, all downward, no circle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
