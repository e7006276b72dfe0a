#!/usr/bin/python3
"""Syntax-only compile checks of our code, one translation unit at a time, fast enough for CI.

For: what the normal build cannot see. It compiles against one LibTorch (Debian's 1.13), and
groups files into unity units on top of a precompiled <torch/torch.h>, so a file that forgets an
include still builds. Two checks, each with the compiler flags CMake wrote for a build
(its compile_commands.json; a unity unit's flags apply to each file it groups, without the
precompiled header):

  --sources: every file of lib/, app/ and tests/ that includes LibTorch, on its own, against
      the LibTorch headers of --torch-include (e.g. LibTorch 2.11's) in C++ --std. LibTorch's
      <torch/torch.h> is precompiled once per run and force-included (its parsing is most of each
      file's time; it also hides a forgotten LibTorch or standard include, which --headers finds).
      With --as-built, the translation units the build compiles instead (a unity unit whole).
  --headers: every header under lib/ alone in a translation unit (#include "module/h.h" and
      nothing else), without any precompiled header, against the LibTorch CMake found.

Our warnings (-Wall -Wextra -Wpedantic) apply and LibTorch is a system include, so any
diagnostic is ours: one fails the check. Not for: linking or running (scripts/test.sh builds
and runs everything), nor headers that need CUDA's own headers (not on a CPU machine).

  check_compile.py --compile-commands build/compile_commands.json --sources --torch-include /tmp/lt/include --std 20
  check_compile.py --compile-commands build/compile_commands.json --headers
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUR_DIRS = ("lib", "app", "tests")
TORCH_API_SUFFIX = "/torch/csrc/api/include"


def read_entries(path, as_built=False):
    """compile_commands.json with each unity unit replaced by the files it includes, or kept as
    it is (as_built), marked with the first file it groups (which says whose it is)."""
    with open(path) as f:
        entries = json.load(f)
    out = []
    for e in entries:
        if os.sep + "Unity" + os.sep + "unity_" in e["file"]:
            with open(e["file"]) as f:
                files = re.findall(r'^#include "([^"]+\.cpp)"', f.read(), re.M)
            if as_built:
                out.append(dict(e, owner=files[0] if files else e["file"]))
            else:
                out += [dict(e, file=name, command=e["command"].replace(e["file"], name)) for name in files]
        else:
            out.append(e)
    return out


def ours(entry):
    rel = os.path.relpath(entry.get("owner", entry["file"]), ROOT)
    return rel.split(os.sep)[0] in OUR_DIRS and not rel.startswith(os.path.join("tests", "fuzz"))


def flags_of(entry):
    """The compiler and its flags for a file, without output, input, launcher or precompiled header."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    while os.path.basename(args[0]) in ("ccache", "sccache"):
        args = args[1:]
    compiler, rest, kept, skip = args[0], args[1:], [], False
    for i, arg in enumerate(rest):
        if skip:
            skip = False
        elif arg in ("-o", "-c") or (arg == "-include" and rest[i + 1].endswith("cmake_pch.hxx")):
            skip = True
        elif arg != entry["file"] and arg != "-Winvalid-pch" and not arg.endswith((".cpp", ".cxx")):
            kept.append(arg)
    return compiler, kept


def uses_torch(flags):
    return any(f.endswith(TORCH_API_SUFFIX) for f in flags)


def with_torch(flags, torch_include):
    """The flags with LibTorch's include directories replaced by torch_include's, searched
    before every other (Debian's LibTorch lives in /usr/include, which cannot be dropped)."""
    out, skip = [], False
    for i, arg in enumerate(flags):
        if skip:
            skip = False
            continue
        if arg == "-isystem" and i + 1 < len(flags) and flags[i + 1].endswith(TORCH_API_SUFFIX):
            skip = True
            continue
        out.append(arg)
    return ["-isystem", torch_include, "-isystem", torch_include + TORCH_API_SUFFIX] + out


def run(command):
    start = time.monotonic()
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc.returncode, proc.stdout, time.monotonic() - start


def check(jobs, units):
    """units: (name, command); every unit compiles with no output at all, or the check fails."""
    failures = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for (name, _), (rc, output, seconds) in zip(units, pool.map(lambda u: run(u[1]), units)):
            if rc != 0 or output.strip():
                failures.append(name)
                print(f"FAILED {name} ({seconds:.1f} s):\n{output.rstrip()}", flush=True)
    return failures


def source_units(entries, args, workdir):
    """Every file of ours that uses LibTorch, against --torch-include, --std."""
    torch_entries = [e for e in entries if ours(e) and uses_torch(flags_of(e)[1])]
    if not torch_entries:
        sys.exit("check_compile.py: no file of lib/, app/ or tests/ uses LibTorch in compile_commands.json")
    std = f"-std=c++{args.std}"
    prefix = []
    if not args.no_pch:
        # The precompiled header is valid only with the same options: the first file's flags,
        # without its own macros and include directories (none of which LibTorch's headers read).
        compiler, flags = flags_of(torch_entries[0])
        flags = [f for f in with_torch(flags, args.torch_include)
                 if not f.startswith(("-DMNIST_", "-std=")) and not (f.startswith("-I") and not f.startswith("-isystem"))]
        header = os.path.join(workdir, "torch_all.h")
        with open(header, "w") as f:
            f.write("#include <torch/torch.h>\n")
        start = time.monotonic()
        rc, output, _ = run([compiler, std, *flags, "-x", "c++-header", header, "-o", header + ".gch"])
        if rc != 0:
            sys.exit(f"check_compile.py: precompiling <torch/torch.h> from {args.torch_include} failed:\n{output}")
        print(f"precompiled <torch/torch.h> ({std}) in {time.monotonic() - start:.0f} s", flush=True)
        prefix = ["-Winvalid-pch", "-include", header]
    units = []
    for e in torch_entries:
        compiler, flags = flags_of(e)
        flags = [f for f in with_torch(flags, args.torch_include) if not f.startswith("-std=")]
        units.append((os.path.relpath(e["file"], ROOT), [compiler, std, "-fsyntax-only", *prefix, *flags, e["file"]]))
    return units


def header_units(entries, workdir):
    """Every header under lib/ alone, with the union of lib/'s include directories and macros."""
    lib_entries = [e for e in entries if os.path.relpath(e["file"], ROOT).startswith("lib" + os.sep)]
    compiler, flags = flags_of(lib_entries[0])
    includes, isystems, macros = [], [], []
    for e in lib_entries:
        f = flags_of(e)[1]
        for i, arg in enumerate(f):
            if arg == "-isystem" and f[i + 1] not in isystems:
                isystems.append(f[i + 1])
            elif arg.startswith("-I") and arg not in includes:
                includes.append(arg)
            elif arg.startswith("-D") and arg not in macros:
                macros.append(arg)
    others = [f for i, f in enumerate(flags)
              if not f.startswith(("-I", "-D", "-isystem")) and (i == 0 or flags[i - 1] != "-isystem")]
    base = others + includes + [a for d in isystems for a in ("-isystem", d)] + macros
    units = []
    lib = os.path.join(ROOT, "lib")
    for folder, _, files in sorted(os.walk(lib)):
        for name in sorted(files):
            if not name.endswith(".h"):
                continue
            rel = os.path.relpath(os.path.join(folder, name), lib)
            unit = os.path.join(workdir, rel.replace(os.sep, "__") + ".cpp")
            with open(unit, "w") as f:
                f.write(f'#include "{rel}"\n')
            units.append((os.path.join("lib", rel), [compiler, "-fsyntax-only", *base, unit]))
    return units


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compile-commands", default="build/compile_commands.json",
                        help="the build's compile_commands.json (CMake writes it)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--sources", action="store_true", help="our files that use LibTorch, each alone")
    what.add_argument("--headers", action="store_true", help="every header under lib/, each alone")
    parser.add_argument("--torch-include", help="LibTorch's include folder (--sources)")
    parser.add_argument("--std", choices=["17", "20"], default="17", help="C++ standard (--sources)")
    parser.add_argument("--no-pch", action="store_true", help="--sources without precompiling <torch/torch.h>")
    parser.add_argument("--as-built", action="store_true",
                        help="--sources in the build's own translation units (unity units whole): "
                             "about a fifth of the time, for CI; a file's own missing include may be "
                             "supplied by its neighbour there")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--only", default="", help="only the files whose path contains this text")
    args = parser.parse_args()
    if args.sources and not (args.torch_include and os.path.isfile(
            os.path.join(args.torch_include, "torch", "csrc", "api", "include", "torch", "torch.h"))):
        parser.error(f"--torch-include {args.torch_include}: no torch/csrc/api/include/torch/torch.h there")

    start = time.monotonic()
    entries = read_entries(args.compile_commands, as_built=args.sources and args.as_built)
    with tempfile.TemporaryDirectory(prefix="mnist-check-compile-") as workdir:
        units = source_units(entries, args, workdir) if args.sources else header_units(entries, workdir)
        units = [u for u in units if args.only in u[0]]
        failures = check(args.jobs, units)
    what = (f"files using LibTorch against {args.torch_include}, C++{args.std}" if args.sources
            else "headers of lib/ alone")
    print(f"{len(units) - len(failures)} of {len(units)} {what} compile cleanly "
          f"({time.monotonic() - start:.0f} s, {args.jobs} jobs)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
