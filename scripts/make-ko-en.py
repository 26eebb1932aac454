#!/usr/bin/env python3
# Makes src/data/ko-en.tsv: English–Korean sentence pairs (English<TAB>Korean, one a line) from the Korean gettext
# catalogs Debian packages install (/usr/share/locale/ko/LC_MESSAGES/*.mo, read back with `msgunfmt` from the
# `gettext` package): each message's English msgid → its Korean msgstr, kept only when both are short plain
# sentences (no format directives, markup, accelerators, line breaks; 3–12 English words; the Korean has Hangul and
# the same sentence end). Run on a Debian machine with the packages below installed; prints per-catalog counts.
# Leaves out: plural forms, contexts (msgctxt), fuzzy entries (a .mo has none), duplicates (first catalog wins).
import re, subprocess, sys, os

CATALOGS = ['apt', 'dpkg', 'coreutils', 'grep', 'findutils', 'bash', 'make', 'gtk30', 'glib20', 'adduser', 'PackageKit', 'git']
LOCALE = '/usr/share/locale/ko/LC_MESSAGES'

def entries(mo):
    raw = subprocess.run(['msgunfmt', '--no-wrap', mo], check=True, capture_output=True).stdout
    # a catalog in another charset (EUC-KR) is converted with msgconv, from the same gettext package
    po = subprocess.run(['msgconv', '--no-wrap', '--to-code=UTF-8'], input=raw, check=True, capture_output=True).stdout.decode('utf-8')
    for block in po.split('\n\n'):
        if 'msgid_plural' in block or 'msgctxt' in block:
            continue
        m = re.search(r'^msgid "(.*)"$\n^msgstr "(.*)"$', block, re.M)
        if m:
            yield unescape(m.group(1)), unescape(m.group(2))

def unescape(s):
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 't': '\t'}.get(m.group(1), m.group(1)), s)

EN_OK = re.compile(r"^[A-Z][A-Za-z' ,\-]*[a-z][.?!]?$")
BAD = re.compile(r"[%{}<>_&\\\t\n@$|/=:;\"`()\[\]*#~^]|\.\.\.|…")
HANGUL = re.compile(r'[\uac00-\ud7a3]')

def keep(en, ko):
    words = en.split()
    if not (3 <= len(words) <= 12) or not EN_OK.match(en) or BAD.search(en) or BAD.search(ko):
        return False
    if len(HANGUL.findall(ko)) < 2 or re.search(r'[A-Za-z]{4,}', ko):
        return False
    if (en[-1] in '.?!') != (ko[-1] in '.?!') or len(ko) > 3 * len(en):
        return False
    return True

seen, rows, counts = set(), [], {}
for name in CATALOGS:
    path = os.path.join(LOCALE, name + '.mo')
    if not os.path.exists(path):
        print(f'{name}: not installed', file=sys.stderr)
        continue
    n = 0
    for en, ko in entries(path):
        en, ko = en.strip(), ko.strip()
        if keep(en, ko) and en not in seen:
            seen.add(en)
            rows.append((en, ko, name))
            n += 1
    counts[name] = n
out = sys.argv[1] if len(sys.argv) > 1 else 'src/data/ko-en.tsv'
with open(out, 'w', encoding='utf-8') as f:
    for en, ko, _ in rows:
        f.write(f'{en}\t{ko}\n')
print(f'{len(rows)} pairs → {out}: ' + ', '.join(f'{k} {v}' for k, v in counts.items()), file=sys.stderr)
