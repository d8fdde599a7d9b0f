#!/usr/bin/env python3
"""Holds the code to ARCHITECTURE.md: every #include of a module of src/fjwatch/ goes down the
order of its `layers` block (or stays in its module), a detail/ header is included only from its
own module, a third-party family only from the modules its `third-party` block names, and the
folders, the layers and CMakeLists.txt's fjwatch_module() calls name the same modules.
Usage: check_layers.py REPO_ROOT. Prints every violation as file:line: message; exit 1 if any."""
import re
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else '.').resolve()
problems = []


def block(name):
    text = (root / 'ARCHITECTURE.md').read_text()
    m = re.search(r'```' + re.escape(name) + r'\n(.*?)```', text, re.S)
    if not m:
        sys.exit(f'ARCHITECTURE.md: no ```{name} block')
    return [l.split('#')[0].strip() for l in m.group(1).splitlines() if l.split('#')[0].strip()]


layers = block('layers')
rank = {m: i for i, m in enumerate(layers)}
third_party = {}
for line in block('third-party'):
    family, modules = line.split(':', 1)
    third_party[family.strip()] = set(modules.split())
families = {  # the include prefix of each family
    'asio': ('boost/asio',), 'beast': ('boost/beast',), 'sqlite': ('sqlite3.h',),
    'yaml-cpp': ('yaml-cpp/',), 'spdlog': ('spdlog/',), 'openssl': ('openssl/',),
    'libsystemd': ('systemd/',),
}
unknown = set(third_party) - set(families)
if unknown:
    problems.append(f'ARCHITECTURE.md: unknown third-party families {sorted(unknown)}')

src = root / 'src' / 'fjwatch'
folders = {p.name for p in src.iterdir() if p.is_dir()}
cmake = set(re.findall(r'^fjwatch_module\((\w+)', (root / 'CMakeLists.txt').read_text(), re.M))
for name, names in (('src/fjwatch/ folders', folders), ('CMakeLists.txt modules', cmake)):
    for m in sorted(names ^ set(layers)):
        where = 'in the layers block' if m in layers else name
        problems.append(f'ARCHITECTURE.md: module "{m}" is only {where}')

include = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def check(path, module, allowed):
    """`allowed(m)`: whether this file may include module m's public headers."""
    rel = path.relative_to(root)
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = include.match(line)
        if not m:
            continue
        kind, target = m.groups()
        if kind == '"' and target.startswith('fjwatch/'):
            parts = target.split('/')
            other = parts[1]
            if other not in rank:
                problems.append(f'{rel}:{n}: includes {target}, of no module in ARCHITECTURE.md')
            elif 'detail' in parts[2:-1] and other != module:
                problems.append(f'{rel}:{n}: includes {target}, private to module {other}')
            elif not allowed(other):
                problems.append(f'{rel}:{n}: module {module} (layer {rank.get(module, "-")}) '
                                f'includes {target} of module {other} (layer {rank[other]}), '
                                'which is above it')
        elif kind == '<':
            for family, prefixes in families.items():
                if target.startswith(prefixes) and module not in third_party.get(family, set()):
                    problems.append(f'{rel}:{n}: module {module} includes <{target}>: '
                                    f'{family} is for {" ".join(sorted(third_party.get(family, [])))}')


for path in sorted(src.rglob('*')):
    if path.suffix in ('.cpp', '.hpp'):
        module = path.relative_to(src).parts[0]
        if module in rank:
            check(path, module, lambda other, mine=module: rank[other] <= rank[mine])
# The simulator is a test tool beside the product: it may use the vocabulary, nothing else.
sim_may = set(block('sim'))
for path in sorted((root / 'src' / 'sim').rglob('*')):
    if path.suffix in ('.cpp', '.hpp'):
        check(path, 'sim', lambda other: other in sim_may)

for p in problems:
    print(p)
print(f'{len(problems)} problem(s)' if problems else 'layers: every include goes down')
sys.exit(1 if problems else 0)
