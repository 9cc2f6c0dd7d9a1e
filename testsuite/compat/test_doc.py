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
