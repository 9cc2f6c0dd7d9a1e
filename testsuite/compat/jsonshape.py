"""Key sets with value types of --json documents, for comparing two
systems' outputs: shape(doc) -> {path: types}, e.g.
".jobs[].exit_code.status": "str".  Array elements add "[]" to the path,
all-digit keys (Slurm's socket and core numbers) read "N"; the types seen at
a path are joined with "|", null left out unless it is all there was (null
is how Slurm 22.05 prints a value it does not have: NO_VAL)."""

import json

SLUICE_KEY = "sluice"   # Sluice's own fields: never compared


def tname(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    return "array" if isinstance(v, list) else "object"


def _walk(v, path, out):
    out.setdefault(path, set()).add(tname(v))
    if isinstance(v, dict):
        for k, x in v.items():
            if k == SLUICE_KEY:
                continue
            _walk(x, "%s.%s" % (path, "N" if k.isdigit() else k), out)
    elif isinstance(v, list):
        for x in v:
            _walk(x, path + "[]", out)


def shape(doc):
    """{path: "int|str"} of a parsed document; the top level is "(top)"."""
    raw = {}
    _walk(doc, "", raw)
    out = {}
    for p, types in raw.items():
        t = sorted(types - {"null"}) or ["null"]
        out[p or "(top)"] = "|".join(t)
    return out


def shape_text(text):
    return shape(json.loads(text))


def read_shape(path):
    """A shape written as 'PATH TYPES' lines ('#' comments)."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                p, t = line.split()
                out[p] = t
    return out


def _hidden(path, other):
    """True when path cannot be observed on the side whose shape is other:
    an enclosing value there is null or an array with no elements."""
    while True:
        cut = max(path.rfind("."), path.rfind("[]"))
        if cut <= 0:
            return False
        path = path[:cut]
        t = other.get(path)
        if t == "null":
            return True
        if t == "array" and path + "[]" not in other:
            return True
        if t is not None:
            return False


def unify(a, b):
    """Items both sides could show: a null on one side matches any type on
    the other (Slurm's unset value), and a path inside a null or an empty
    array on one side is left out on both.  Returns new dicts."""
    a2, b2 = dict(a), dict(b)
    for p in set(a) | set(b):
        va, vb = a.get(p), b.get(p)
        if va is None and _hidden(p, a) or vb is None and _hidden(p, b):
            a2.pop(p, None)
            b2.pop(p, None)
        elif va is not None and vb is not None and "null" in (va, vb):
            a2[p] = b2[p] = va if vb == "null" else vb
        elif va is not None and vb is not None and va != vb and \
                set(va.split("|")) & set(vb.split("|")):
            # int|str (Slurm's step id: "batch" or 0) against what one run showed
            a2[p] = b2[p] = va if len(va) > len(vb) else vb
    return a2, b2
