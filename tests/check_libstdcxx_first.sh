#!/usr/bin/env bash
# Checks that our programs bind the C++ standard library's symbols to libstdc++, not to the
# copies LibTorch >= 2.5 exports from its own static build (pytorch/pytorch#133437: with LibTorch
# 2.11, std::filesystem::remove_all bound inside libtorch.so and 21 of 32 test programs crashed).
# The loader searches the executable's DT_NEEDED libraries in order, so libstdc++.so.6 must come
# before every libtorch*/libc10* entry (lib/CMakeLists.txt, mnist_module, puts it there).
# Not for: LibTorch's own libraries, which we do not link.
#
#   check_libstdcxx_first.sh [--bindings PROGRAM] BINARY...
#
# Every BINARY's NEEDED order is read with readelf -d; one line per fault, exit 1 on any.
# --bindings PROGRAM also starts PROGRAM --help with LD_BIND_NOW=1 LD_DEBUG=bindings and fails if
# any std::filesystem symbol it uses binds anywhere but libstdc++ (on LibTorch 1.13, which
# exports none, this part cannot fail; the NEEDED order is what protects us on 2.x).
set -uo pipefail
bindings_program=
if [ "${1:-}" = --bindings ]; then
  bindings_program=${2:?--bindings needs a program}
  shift 2
fi
if [ $# -eq 0 ]; then
  echo "check_libstdcxx_first.sh: no binaries given" >&2
  exit 2
fi

faults=0
checked=0
with_torch=0
for binary in "$@"; do
  if [ ! -f "$binary" ]; then
    echo "$binary: missing (build it first)"
    faults=$((faults + 1))
    continue
  fi
  needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  first_torch=$(printf '%s\n' "$needed" | grep -n -m1 -E '^lib(torch|c10)' | cut -d: -f1)
  stdcxx=$(printf '%s\n' "$needed" | grep -n -m1 -x 'libstdc++\.so\.6' | cut -d: -f1)
  checked=$((checked + 1))
  if [ -z "$first_torch" ]; then
    continue  # no LibTorch: nothing to clash with
  fi
  with_torch=$((with_torch + 1))
  if [ -z "$stdcxx" ] || [ "$stdcxx" -gt "$first_torch" ]; then
    echo "$binary: libstdc++.so.6 is not NEEDED before $(printf '%s\n' "$needed" | sed -n "${first_torch}p"): $(printf '%s\n' "$needed" | tr '\n' ' ')"
    faults=$((faults + 1))
  fi
done
echo "NEEDED order: $checked binaries read, $with_torch link LibTorch, $faults with a LibTorch library before libstdc++.so.6"

if [ -n "$bindings_program" ]; then
  # "binding file A [0] to B [0]: normal symbol `SYM' [VER]": the program's own references.
  log=$(LD_BIND_NOW=1 LD_DEBUG=bindings "$bindings_program" --help 2>&1 >/dev/null |
        grep -F "binding file $bindings_program " | grep -F '_ZNSt10filesystem')
  total=$(printf '%s' "$log" | grep -c . || true)
  elsewhere=$(printf '%s' "$log" | grep -v -E ' to [^ ]*/libstdc\+\+\.so\.6 ' || true)
  echo "LD_DEBUG=bindings: $total std::filesystem bindings of $bindings_program"
  if [ "$total" -eq 0 ]; then
    echo "$bindings_program: no std::filesystem binding seen; the check would prove nothing"
    faults=$((faults + 1))
  elif [ -n "$elsewhere" ]; then
    printf '%s\n' "$elsewhere" | sed 's/^ *[0-9]*:[[:space:]]*/bound elsewhere than libstdc++: /' | head -20
    faults=$((faults + 1))
  fi
fi
[ "$faults" -eq 0 ]
