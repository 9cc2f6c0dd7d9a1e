"""doc/slurm-compat.md cannot go stale: every job option of the option table
and every known difference of the differential suite must appear in it.
(Needs neither Slurm nor Sluice running.)"""

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def doc():
    with open(os.path.join(REPO, "doc", "slurm-compat.md")) as f:
        return f.read()


def test_every_job_option_documented():
    with open(os.path.join(REPO, "src", "common", "jobopt_table.c")) as f:
        names = set(re.findall(r'^\s*\{\s*"([a-z_-]+)",', f.read(), re.M))
    assert names, "no options found in jobopt_table.c"
    text = doc()
    missing = sorted(n for n in names if "`--%s`" % n not in text)
    assert not missing, "doc/slurm-compat.md lacks options: %s" % missing


def test_every_known_difference_documented():
    text = doc()
    missing = []
    with open(os.path.join(HERE, "known-differences.txt")) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            case, item, _ = [x.strip() for x in line.split("|", 2)]
            if "| %s | `%s` |" % (case, item) not in text:
                missing.append("%s | %s" % (case, item))
    assert not missing, "doc/slurm-compat.md lacks known differences: %s" % missing


def test_inventory_section_is_current():
    """The 'Every Slurm 22.05 item' section is what inventory.py writes, and
    no state claims Sluice accepts what it refuses (or the reverse)."""
    import pytest
    import inventory
    if not inventory.have_build():
        pytest.skip("no built commands under %s (the field states ask them)"
                    % inventory.build_dir())
    md, errors, _ = inventory.render()
    assert not errors, "inventory states wrong (fix slurm-inventory/states.txt):\n  " + \
        "\n  ".join(errors)
    assert inventory.doc_section(doc()) == md, \
        "doc/slurm-compat.md's inventory section is stale: run " \
        "python3 testsuite/compat/inventory.py --write"


def test_every_inventory_item_has_a_row():
    """Independently of the generator: each line of each slurm-inventory file
    has a row under its heading."""
    import inventory
    text = inventory.doc_section(doc())
    assert text, "doc/slurm-compat.md has no inventory section"
    parts = {}
    for chunk in text.split("\n### ")[1:]:
        head, _, body = chunk.partition("\n")
        parts[head.strip()] = body
    want = [("Commands", "commands.txt", 0)]
    want += [("%s options" % l.split("\t")[0], "options-%s.txt" % l.split("\t")[0], 0)
             for l in inventory.lines("commands.txt")
             if inventory.lines("options-%s.txt" % l.split("\t")[0])]
    want += [("`%s` fields" % s, f, 0) for s, f, _, _, _ in inventory.FIELDS]
    want += [("`%s` keys" % s, "scontrol-%s.txt" % w, 0) for s, w, _, _ in inventory.SCONTROL]
    want += [("Input environment variables", "env-input.txt", 1),
             ("Output environment variables", "env-output.txt", 1),
             ("Output environment variables", "env-job.txt", 1)]
    missing = []
    for head, fname, col in want:
        body = parts.get(head)
        assert body is not None, "no section '### %s'" % head
        items = inventory.lines(fname)
        assert items, "slurm-inventory/%s is empty" % fname
        for it in items:
            item = it.split("\t")[col]
            if not re.search(r"^\| `%s` \|(?:.*\|)? \S[^|]* \|$" % re.escape(item), body, re.M):
                missing.append("%s: %s" % (head, item))
    assert not missing, "no row with a state for: %s" % missing
