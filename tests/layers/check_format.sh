#!/usr/bin/env bash
# The code stays as .clang-format writes it: every C++ file of src/, tests/ and bench/ (the fuzz
# corpora excepted) is checked with clang-format --dry-run. Exit 77 (skipped) without clang-format.
set -euo pipefail
root=${1:?usage: check_format.sh REPO_ROOT}
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
cd "$root"
mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'tests/*.c' \
                                  'bench/*.cpp' 'bench/*.hpp' | grep -v '/corpus/')
if clang-format --dry-run --Werror "${files[@]}" 2>/tmp/fjwatch-format.$$; then
  echo "format: ${#files[@]} files as .clang-format writes them"
  rm -f /tmp/fjwatch-format.$$
  exit 0
fi
grep -E '^[^ ].*:[0-9]+:[0-9]+: error' /tmp/fjwatch-format.$$ | cut -d: -f1-2 | sort -u | head -40
rm -f /tmp/fjwatch-format.$$
echo "run: clang-format -i <file> (the style is .clang-format's)"
exit 1
