"""Which panel a configuration belongs to, and which model configuration
models which real interpreter (the calibration pairs). Schema-2 records say
their family and baseline themselves; this table is only the fallback for
schema-1 records, which say neither.
"""

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


# The calibration pairs, in one place. Each row compares a figure of a model
# configuration with the same figure of the real system it models. A figure
# is measured against a base: the model's and the real system's own
# ("baseline" means the model's `baseline` field (docs/records.md)).
#   wall1         wall(1), seconds
#   scale:N       wall(N) / wall(1) of the configuration itself
#   overhead      wall(1) / wall_base(1) - 1
#   inflation:N   CPU(N) / (N x CPU_base(1))
#   speedup:N     N x wall_base(1) / wall(N)
CALIBRATION = [
    {"model": "gil", "real": "cpython-3.6", "model_base": None, "real_base": None,
     "figures": ["wall1", "scale:2"]},
    {"model": "gil-ticks", "real": "cpython-2.7", "model_base": None, "real_base": None,
     "figures": ["scale:2", "scale:4"]},
    {"model": "gilectomy-2016-10", "real": "gilectomy", "model_base": "gil", "real_base": "gilectomy-base",
     "figures": ["overhead", "inflation:2", "speedup:2"]},
    {"model": "nogil", "real": "nogil-gil-off", "model_base": "baseline", "real_base": "nogil-gil-on",
     "figures": ["overhead", "inflation:2", "speedup:2"]},
]

# The report's "Ranking vs the real interpreters" (tools/per_workload.py): these
# model configurations ranked by wall time beside the real interpreters
# CALIBRATION pairs them with (gil-ticks/cpython-2.7 models another
# interpreter generation and is left out).
RANKING = ["gil", "gilectomy-2016-10", "nogil"]


def ranking_pairs():
    """[(model, real)] of RANKING, in RANKING's order, from CALIBRATION."""
    real = {pair["model"]: pair["real"] for pair in CALIBRATION}
    return [(m, real[m]) for m in RANKING]
