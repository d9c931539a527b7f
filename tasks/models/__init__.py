"""Build the SQL models: discover and order them, plan full or incremental, check, comment."""

from tasks.models.discover import KEYS, LAYERS, REFERENCE, Model, discover_models
from tasks.models.invariants import failing_invariants
from tasks.models.manifest import Column, ModelSpec, check_model, load_manifest, write_comments
from tasks.models.plan import EARLIEST, VARIABLES, BuildPlan, plan_build, set_full_scope
from tasks.models.runner import build_models, rebuild_models

__all__ = [
    "EARLIEST",
    "KEYS",
    "LAYERS",
    "REFERENCE",
    "VARIABLES",
    "BuildPlan",
    "Column",
    "Model",
    "ModelSpec",
    "build_models",
    "check_model",
    "discover_models",
    "failing_invariants",
    "load_manifest",
    "plan_build",
    "rebuild_models",
    "set_full_scope",
    "write_comments",
]
