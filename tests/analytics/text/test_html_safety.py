"""The single wrapper that turns someone's HTML into HTML we show, and plain excerpts."""

import pytest
from markupsafe import Markup

from pcref.analytics.text.html_safety import ALLOWED_TAGS, clean_html, plain_text_excerpt

# --- clean_html ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<script>alert(1)</script>Hi", "Hi"),
        ("<style>body{display:none}</style>Hi", "Hi"),
        ('<img src="x" onerror="alert(1)">Hi', "Hi"),
        ('<p onclick="steal()">Hi</p>', "<p>Hi</p>"),
        ('<p style="color:red" class="x" id="y">Hi</p>', "<p>Hi</p>"),
        ('<iframe src="https://evil.example"></iframe>Hi', "Hi"),
        ("<svg><script>alert(1)</script></svg>Hi", "Hi"),
        ('<form action="/x"><input name="a"></form>Hi', "Hi"),
        ("<!-- hidden -->Hi", "Hi"),
        ("<div><span>Hi</span></div>", "Hi"),
        ('<p dir="rtl" lang="ur">سلام</p>', '<p dir="rtl" lang="ur">سلام</p>'),
        ('<p dir="sideways">Hi</p>', "<p>Hi</p>"),
        ("Plain text & 5 < 6", "Plain text &amp; 5 &lt; 6"),
    ],
)
def test_only_the_allow_list_survives(html, expected):
    assert clean_html(html) == expected


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "http://plain.example",
        "/relative/path",
        "//evil.example",
        "tel:07700900123",
    ],
)
def test_links_other_than_https_and_mailto_lose_their_address(href):
    assert clean_html(f'<a href="{href}">link</a>') == (
        '<a rel="noopener noreferrer nofollow">link</a>'
    )


@pytest.mark.parametrize("href", ["https://www.nhs.uk/", "mailto:px@example.nhs.uk"])
def test_https_and_mailto_links_are_kept_with_a_safe_rel(href):
    assert clean_html(f'<a href="{href}" target="_blank">link</a>') == (
        f'<a href="{href}" rel="noopener noreferrer nofollow">link</a>'
    )


def test_allowed_formatting_is_kept():
    html = (
        "<p>We <strong>listened</strong> and <em>changed</em>:</p>"
        "<ul><li>one</li><li>two<br>lines</li></ul><ol><li>three</li></ol>"
        "<blockquote>You said</blockquote><b>b</b><i>i</i>"
    )
    assert clean_html(html) == html


def test_the_allow_list_is_small():
    assert ALLOWED_TAGS == {
        "p",
        "br",
        "strong",
        "em",
        "b",
        "i",
        "ul",
        "ol",
        "li",
        "blockquote",
        "a",
    }


def test_result_is_markup_and_is_not_escaped_again():
    cleaned = clean_html("<p>Hi</p>")
    assert isinstance(cleaned, Markup)
    assert Markup("{}").format(cleaned) == "<p>Hi</p>"


def test_cleaning_twice_changes_nothing():
    once = clean_html('<p onclick="x">Hi <a href="https://x.example">y</a><script>z</script></p>')
    assert clean_html(once) == once


def test_clean_html_refuses_what_is_not_text():
    with pytest.raises(TypeError, match=r"text must be a str; got None \(a NoneType\)"):
        clean_html(None)


# --- plain_text_excerpt -------------------------------------------------------------------------


def test_excerpt_keeps_the_first_words_and_marks_the_cut():
    text = " ".join(f"word{n}" for n in range(100))
    assert plain_text_excerpt(text) == " ".join(f"word{n}" for n in range(40)) + "…"
    assert plain_text_excerpt(text, words=3) == "word0 word1 word2…"


def test_short_text_is_not_marked_as_cut():
    assert plain_text_excerpt("The staff were kind.") == "The staff were kind."


def test_excerpt_collapses_new_lines_and_spaces():
    assert plain_text_excerpt("line one\r\n\r\n  line\ttwo ") == "line one line two"


def test_plain_text_that_looks_like_html_is_kept_as_text():
    assert plain_text_excerpt("I <3 the team, <ward A> was calm") == (
        "I <3 the team, <ward A> was calm"
    )


def test_html_excerpt_drops_tags_and_scripts_and_decodes_entities():
    html = "<p>Thank <b>you</b>&nbsp;&amp; well done</p><script>alert(1)</script><p>team</p>"
    assert plain_text_excerpt(html, is_html=True) == "Thank you & well done team"


def test_excerpt_of_right_to_left_text():
    text = "وارڈ کی نرس نے میری بات غور سے سنی اور دوائی کے بارے میں سمجھایا۔"
    assert plain_text_excerpt(text, words=4) == "وارڈ کی نرس نے…"


def test_excerpt_of_text_without_spaces_is_capped_without_splitting_a_letter():
    text = "ਹਰਪ੍ਰੀਤ" * 20  # Gurmukhi with a virama and vowel signs
    excerpt = plain_text_excerpt(text, words=1)
    assert excerpt.endswith("…")
    assert len(excerpt) <= 13
    body = excerpt[:-1]
    assert text.startswith(body)
    assert body[-1] not in "\u0a4d\u0a40"  # never ends on a virama; the next char is not a mark
    assert text[len(body)] not in "\u0a4d\u0a40\u0a3e"


@pytest.mark.parametrize("words", [0, -1, 2.5, True, "40"])
def test_excerpt_refuses_a_bad_word_count(words):
    with pytest.raises(ValueError, match="words must be a whole number, 1 or more; got"):
        plain_text_excerpt("text", words=words)


def test_excerpt_refuses_what_is_not_text():
    with pytest.raises(TypeError, match="text must be a str"):
        plain_text_excerpt(3)
