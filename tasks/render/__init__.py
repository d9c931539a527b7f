"""One way to show a figure: Markdown, Slack Block Kit, previews, charts and templates."""
