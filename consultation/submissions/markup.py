"""Section bodies: plain paragraphs with a small Markdown subset, turned into safe HTML.

markdown-it-py's "zero" preset with only paragraphs, lists, emphasis and links switched on, and raw HTML off:
anything else a user types (tags, images, headings, code) comes out as escaped text. Links are shown as their
text followed by the address in brackets, because a printed page cannot be clicked and the renderer must not
fetch anything a user wrote.
"""

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

MAX_WORD_FOR_BREAKING = 40


def _parser() -> MarkdownIt:
    parser = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["list", "emphasis", "link", "newline"])

    def link_open(renderer, tokens, index, options, env):
        env.setdefault("hrefs", []).append(tokens[index].attrGet("href") or "")
        return ""

    def link_close(renderer, tokens, index, options, env):
        href = env["hrefs"].pop()
        return f" ({escape(href)})" if href else ""

    parser.add_render_rule("link_open", link_open)
    parser.add_render_rule("link_close", link_close)
    return parser


_PARSER = _parser()


def render_body(text: str) -> Markup:
    """Safe HTML for a section body; the only tags are p, ul, ol, li, em, strong and br."""
    return Markup(_PARSER.render(text or "", {}))


def plain_text(text: str) -> str:
    """The body without Markdown, for text alternatives and CSV."""
    return " ".join(str(text or "").split())
