"""What the tests share: export writers, the oracle, a fake Slack, sample digests, paths."""
