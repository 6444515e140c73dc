"""Which panel a configuration belongs to, and which model configuration
models which real interpreter (the calibration pairs). Schema-2 records say
their family and baseline themselves; this table is only the fallback for
schema-1 records, which say neither.
"""
import json
import os

# Schema 1 only: family by configuration name (docs/records.md's family names).
SCHEMA1_FAMILY = {
    "gil": "gil-models", "gil-ticks": "gil-models", "atomic-gil": "gil-models",
    "atomic": "gilectomy", "atomic-2016-06": "gilectomy", "buffered-2016-10": "gilectomy",
    "obmalloc-2017-04": "gilectomy", "notls-2017-05": "gilectomy", "buffered": "gilectomy",
    "remote": "gilectomy",
    "biased": "nogil", "biased-immortal": "nogil", "nogil": "nogil", "limit": "nogil",
    "atomic-immortal": "nogil",
}


def schema1_family(config, kind):
    if kind == "peer" or config.startswith("cpython-"):
        return "peers"
    if config.startswith("atomic-") and config not in SCHEMA1_FAMILY:
        return "allocators"  # atomic-obmalloc-*, atomic-tbb, -jemalloc, -mimalloc
    return SCHEMA1_FAMILY.get(config, "other")


# Panel order in plots and tables; families not listed follow alphabetically.
FAMILY_ORDER = ["gil-models", "refcount", "gilectomy", "nogil", "allocators", "peers", "ceiling"]


def family_sort_key(family):
    return (FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER), family)


# The calibration pairs: schema/calibration.json, the one list, which rclab's
# calibration presets read too (they run every model and model_base there).
# Each row compares figures of a model configuration with the same figures
# of the real system it models, each against its own base; the file's
# "$comment" defines the figures (wall1, scale:N, overhead, inflation:N,
# speedup:N).
with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schema",
                       "calibration.json"), encoding="utf-8") as _f:
    CALIBRATION = json.load(_f)["pairs"]

# The report's "Ranking vs the real interpreters" (tools/per_workload.py): these
# model configurations ranked by wall time beside the real interpreters
# CALIBRATION pairs them with (gil-ticks/cpython-2.7 models another
# interpreter generation and is left out).
RANKING = ["gil", "gilectomy-2016-10", "nogil"]


def calibration_pairs(peers=()):
    """CALIBRATION with each pair's real side as a file names it: a pair whose
    own real peer is not among `peers` (the peer names present) takes the
    first of its "aliases" that is, else keeps its own names."""
    present = set(peers)
    out = []
    for pair in CALIBRATION:
        p = dict(pair)
        if p["real"] not in present:
            for alias in pair.get("aliases", []):
                if alias["real"] in present:
                    p.update(alias)
                    break
        out.append(p)
    return out


def ranking_pairs(peers=()):
    """[(model, real)] of RANKING, in RANKING's order, from CALIBRATION (real
    sides as calibration_pairs(peers) names them)."""
    real = {pair["model"]: pair["real"] for pair in calibration_pairs(peers)}
    return [(m, real[m]) for m in RANKING]
