#!/usr/bin/env python3
"""No comment or document cites a file that does not exist. Scans the tracked text files (code
comments and docs alike, #include lines excepted) for names of source, script and document files
and checks each: a path that exists from the repository's root, from src/, from src/fjwatch/ or
from tests/, or a bare file name that some tracked file has. Usage: check_paths.py REPO_ROOT.
Prints every miss as file:line: name; exit 1 if any."""
import re
import subprocess
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else '.').resolve()
tracked = subprocess.run(['git', 'ls-files'], cwd=root, capture_output=True, text=True,
                         check=True).stdout.split()
names = {Path(f).name for f in tracked}
bases = [root, root / 'src', root / 'src' / 'fjwatch', root / 'tests']
# Files whose contents are data, not words about the code: corpora, results with paths of their
# own time, generated seeds.
skip = re.compile(r'^(tests/fuzz/corpus/|tests/data/)')
checked = re.compile(r'\.(cpp|hpp|c|h|md|sh|py|yaml|service|cmake|txt)$')
mention = re.compile(r'(?<![\w./$}-])((?:[\w.-]+/)*[\w-]+(?:\.[\w-]+)*\.(?:cpp|hpp|c|h|md|sh|py))\b')
# What others' projects and the system name: not files of this tree.
foreign = re.compile(r'^(boost|openssl|spdlog|yaml-cpp|systemd|sys|sqlite3|arpa|netinet|linux|'
                     r'sim/|fuzz_)|^(unit_test|sd-daemon|sqlite3|malloc|stdio|poll|signal|unistd|'
                     r'fcntl|pthread|spawn|dlfcn|time|errno|ctype|string|stdlib|grp|pwd)\.h$')


def comment_of(f):
    """What of a line is words rather than code: all of a document, the comment of a source."""
    if f.endswith('.md') or f.endswith('.txt'):
        return lambda line: line
    marker = '//' if re.search(r'\.(cpp|hpp|c|h)$', f) else '#'
    return lambda line: line.split(marker, 1)[1] if marker in line else ''


# Files the programs themselves write (a benchmark's report), named in their docs.
written = {'report.md'}
problems = []
for f in tracked:
    if skip.match(f) or not checked.search(f) or f == 'tests/layers/check_paths.py':
        continue
    try:
        lines = (root / f).read_text().splitlines()
    except (UnicodeDecodeError, FileNotFoundError):
        continue
    comment = comment_of(f)
    for n, line in enumerate(lines, 1):
        if re.match(r'\s*#\s*include\b', line):
            continue
        line = comment(line)
        for m in mention.finditer(line):
            name = m.group(1)
            if '://' in line[max(0, m.start() - 60):m.start()] or foreign.search(name):
                continue
            if '/' not in name:
                ok = name in names or name in written
            else:
                ok = any((b / name).exists() for b in bases + [(root / f).parent])
            if not ok:
                problems.append(f'{f}:{n}: {name}')
for p in problems:
    print(p)
print(f'{len(problems)} citation(s) of missing files' if problems else 'paths: every cited file exists')
sys.exit(1 if problems else 0)
