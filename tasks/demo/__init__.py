"""The demo's synthetic support team: exports to try the product on (not on the runtime path)."""
