#!/usr/bin/env python3
"""Every function of include/artpack.h that returns an artpack_error says, in
its doc comment, which errors it returns and when: the comment must name at
least one ARTPACK_E_ code (or have an "Errors" list), and every full
ARTPACK_E_ name it gives must be a code of ARTPACK_ERROR_LIST.

A function's doc comment is the last comment before its declaration when
only other ARTPACK_API declarations (or nothing) stand between them, so one
comment may document a group of declarations.

usage: check-error-docs.py [include/artpack.h]; exit 1 with one line per
function that breaks the rule."""
import re
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "include/artpack.h"
text = open(path, encoding="utf-8").read()

codes = set(re.findall(r"X\((ARTPACK_E_\w+),", text))
if not codes:
    sys.exit("check-error-docs: %s: no ARTPACK_ERROR_LIST found" % path)

declaration = re.compile(r"ARTPACK_API\s+(?:const\s+)?(\w+)[\s\*]+(artpack_\w+)\s*\(")
comment = re.compile(r"/\*.*?\*/", re.S)
comments = [(m.start(), m.end()) for m in comment.finditer(text)]
# between a doc comment and the declaration it documents: only blanks and
# other declarations (a group of functions under one comment)
between = re.compile(r"(\s|ARTPACK_API[^;{}#]*;)*\Z")

bad = []
checked = 0
for m in declaration.finditer(text):
    ret, name = m.group(1), m.group(2)
    if ret != "artpack_error":
        continue
    checked += 1
    before = [c for c in comments if c[1] <= m.start()]
    doc = None
    if before and between.match(text[before[-1][1]:m.start()]):
        doc = text[before[-1][0]:before[-1][1]]
    if doc is None:
        bad.append("%s: no doc comment" % name)
        continue
    named = set(re.findall(r"\bARTPACK_E_\w+", doc))
    if not named and "Errors" not in doc:
        bad.append("%s: its doc comment names no error (ARTPACK_E_... or 'Errors: ...')" % name)
    for e in sorted(named - codes):
        bad.append("%s: its doc comment names %s, which is not an error code" % (name, e))

if checked == 0:
    sys.exit("check-error-docs: %s: no function returning artpack_error found" % path)
for line in bad:
    print("check-error-docs: %s: %s" % (path, line), file=sys.stderr)
if bad:
    sys.exit(1)
print("check-error-docs: the %d functions of %s returning artpack_error list their errors"
      % (checked, path))
