"""The mart readers shared by the digest and the review pack: figures, lists, alerts, registry."""
