"""The HTML preview of a Block Kit message: Slack's markup drawn, unsafe links dropped."""

from __future__ import annotations

from tasks.render.preview import mrkdwn_to_html, render_preview_html


def test_mrkdwn_to_html_handles_slack_markup():
    html = mrkdwn_to_html("*bold* _it_ ~no~ `code` <https://x.y/a?b=1&amp;c=2|link> a &lt;b&gt;")
    assert "<b>bold</b>" in html
    assert "<i>it</i>" in html
    assert "<s>no</s>" in html
    assert "<code>code</code>" in html
    assert "<a href='https://x.y/a?b=1&amp;c=2'>link</a>" in html
    assert "a &lt;b&gt;" in html
    assert "href" not in mrkdwn_to_html("<javascript:alert(1)|x>")


def test_preview_draws_the_blocks_under_the_given_note():
    payload = {
        "text": "fallback <b>",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Support backlog"}},
            {"type": "divider"},
            {"type": "section", "text": {"type": "mrkdwn", "text": ":dart: *Work next*"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "_small_"}]},
        ],
    }
    html = render_preview_html(payload, "3/50 blocks")
    assert "<div class='note'>3/50 blocks</div>" in html
    assert "<div class='h'>Support backlog</div>" in html
    assert "🎯 <b>Work next</b>" in html
    assert "<hr>" in html
    assert "<div class='c'><i>small</i></div>" in html
    assert "Notification text: fallback &lt;b&gt;" in html
