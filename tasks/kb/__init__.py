"""Knowledge-base candidates: clusters of solved tickets that share a resolution."""

from tasks.kb.clusters import Clustering, cluster_texts
from tasks.kb.drafts import write_drafts
from tasks.kb.readers import (
    STATES,
    candidates_for_digest,
    driver_by_cluster,
    list_candidates,
    set_state,
    show_candidate,
)
from tasks.kb.refresh import Candidate, refresh_candidates
from tasks.kb.text import clean_text, sentence_key
from tasks.kb.tickets import NUDGE_PATTERNS
from tasks.kb.vectors import ClusterParams

__all__ = [
    "NUDGE_PATTERNS",
    "STATES",
    "Candidate",
    "ClusterParams",
    "Clustering",
    "candidates_for_digest",
    "clean_text",
    "cluster_texts",
    "driver_by_cluster",
    "list_candidates",
    "refresh_candidates",
    "sentence_key",
    "set_state",
    "show_candidate",
    "write_drafts",
]
