"""Delivering what was built: the digest and the review pack to Slack, exactly once."""
