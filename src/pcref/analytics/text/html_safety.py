"""The one place where text that may hold HTML becomes HTML we show, and short plain excerpts.

Feedback is plain text, stored exactly as written, and Jinja's autoescape shows it safely: use
nothing here for that. `clean_html` is for the few places that accept HTML on purpose (for
example text pasted from a partner's newsletter into a "You said, we did" entry). It is the
single wrapper around nh3 (the Ammonia sanitiser); nothing else in the project calls nh3.

The allow-list is small: paragraphs, line breaks, emphasis, lists, quotations and links.
Scripts and styles are removed with their content; every other tag is removed and its text
kept; comments go; `dir` (ltr, rtl, auto) and `lang` are the only attributes besides a link's
`href`, which must be an absolute https: or mailto: address; every link gets
rel="noopener noreferrer nofollow".
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3
from markupsafe import Markup

__all__ = ["ALLOWED_TAGS", "clean_html", "plain_text_excerpt"]

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "a"})
_DIRECTION = {"dir": {"ltr", "rtl", "auto"}}
_LINK_RE = re.compile(r"(?:https://|mailto:)", re.IGNORECASE)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Links only to absolute https: or mailto: addresses; nh3 has already checked schemes."""
    if tag == "a" and attribute == "href" and not _LINK_RE.match(value.strip()):
        return None
    return value


def clean_html(text: str) -> Markup:
    """HTML from someone's text, reduced to a strict allow-list, ready to put in a page.

    Args:
        text: HTML (or plain text) written by a person; str.

    Returns:
        Markup (a str that Jinja will not escape again) holding only the allowed tags and
        attributes (see the module notes). Plain text comes back escaped.

    Raises:
        TypeError: if text is not a str.

    >>> clean_html('<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x">me</a></p>')
    Markup('<p>Hi <a rel="noopener noreferrer nofollow">me</a></p>')
    >>> clean_html("5 < 6 & 7")
    Markup('5 &lt; 6 &amp; 7')
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {text!r} (a {type(text).__name__})")
    cleaned = nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={"*": {"lang"}, "a": {"href"}},
        attribute_filter=_keep_attribute,
        tag_attribute_values={tag: _DIRECTION for tag in ALLOWED_TAGS},
        url_schemes={"https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(cleaned)


_BLOCK_END_RE = re.compile(r"<(?:br|/p|/li|/div|/h[1-6]|/blockquote|/tr|/td|/th)\b[^>]*>", re.I)
_CHARACTERS_PER_WORD = 12  # a cap for scripts that do not put spaces between words


def plain_text_excerpt(text: str, words: int = 40, *, is_html: bool = False) -> str:
    """The first `words` words of a text as one line of plain text, with "…" if cut.

    Args:
        text: a person's words; str.
        words: how many words to keep; a whole number, 1 or more; default 40.
        is_html: True if text is HTML (from `clean_html`'s sources): tags are removed and
            entities decoded. Default False: the text is the person's own words, and
            anything that looks like a tag ("<3", "<ward A>") is kept.

    Returns:
        Plain text, whitespace and new lines collapsed to single spaces, at most `words`
        words and 12 characters per word (for text without spaces), never cut inside a
        character's combining marks. It is text, not HTML: let autoescape show it.

    Raises:
        TypeError, ValueError: for text that is not a str or words that is not 1 or more.

    >>> plain_text_excerpt("The staff on the ward   listened\\nto me", words=4)
    'The staff on the…'
    >>> plain_text_excerpt("<p>Thank <b>you</b></p><p>team</p>", is_html=True)
    'Thank you team'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {text!r} (a {type(text).__name__})")
    if isinstance(words, bool) or not isinstance(words, int) or words < 1:
        raise ValueError(f"words must be a whole number, 1 or more; got {words!r}")
    if is_html:
        spaced = _BLOCK_END_RE.sub(lambda match: match.group() + " ", text)
        text = html.unescape(nh3.clean(spaced, tags=set(), clean_content_tags={"script", "style"}))
    parts = text.split()
    excerpt = " ".join(parts[:words])
    cut = len(parts) > words
    limit = words * _CHARACTERS_PER_WORD
    if len(excerpt) > limit:
        end = limit
        while end > 0 and _inside_character(excerpt, end):
            end -= 1
        excerpt, cut = excerpt[:end].rstrip(), True
    return excerpt + "…" if cut else excerpt


def _inside_character(text: str, position: int) -> bool:
    """True if cutting before text[position] would split a letter from its marks or a conjunct
    (a mark, a zero-width joiner, or a virama just before)."""
    return (
        unicodedata.category(text[position]).startswith("M")
        or text[position] in "\u200c\u200d"
        or unicodedata.combining(text[position - 1]) == 9  # virama: the next letter joins it
    )
