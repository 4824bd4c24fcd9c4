"""Section bodies: plain paragraphs with a small Markdown subset, turned into safe HTML.

markdown-it-py's "zero" preset with only paragraphs, lists, emphasis and links switched on, and raw HTML off:
anything else a user types (tags, images, headings, code) comes out as escaped text. Links are shown as their
text followed by the address in brackets, because a printed page cannot be clicked and the renderer must not
fetch anything a user wrote.

Lists nest at most `MAX_LIST_DEPTH` levels. The parser stops building tokens past its nesting limit, so the text
of a deeper list would vanish from the page without a word: a deeper body is refused when it is saved (a 422
naming the section), and one stored before that rule is printed flattened, as plain lines, never cut short.
"""

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

# Deep enough for any real outline; the parser keeps lists up to 9 levels, so a 7th level is always seen.
MAX_LIST_DEPTH = 6
LIST_OPENS = ("bullet_list_open", "ordered_list_open")
LIST_CLOSES = ("bullet_list_close", "ordered_list_close")


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


def list_depth(text: str) -> int:
    """How many levels deep the body's lists nest (0 without a list)."""
    depth = deepest = 0
    for token in _PARSER.parse(text or ""):
        if token.type in LIST_OPENS:
            depth += 1
            deepest = max(deepest, depth)
        elif token.type in LIST_CLOSES:
            depth -= 1
    return deepest


def list_depth_problem(text: str) -> str | None:
    """Why a body cannot be saved as it is, or None: lists nested past the limit."""
    if list_depth(text) <= MAX_LIST_DEPTH:
        return None
    return (
        f"Lists may nest at most {MAX_LIST_DEPTH} levels deep; this one nests deeper, and the PDF could not show it. "
        "Move the deeper items up a level."
    )


def render_body(text: str) -> Markup:
    """Safe HTML for a section body; the only tags are p, ul, ol, li, em, strong and br."""
    if list_depth(text) > MAX_LIST_DEPTH:
        lines = [escape(line.strip()) for line in str(text).splitlines() if line.strip()]
        return Markup("<p>") + Markup("<br>\n").join(lines) + Markup("</p>\n")
    return Markup(_PARSER.render(text or "", {}))
