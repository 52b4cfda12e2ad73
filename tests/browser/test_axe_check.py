"""The axe check itself: it passes a sound page and names each violation of a broken one."""

import pytest

PAGE = """<!doctype html><html lang="en"><head><title>Check</title></head><body>
<main id="maincontent"><h1>Check</h1>{body}</main></body></html>"""


def test_a_sound_page_passes(new_page, check_page):
    page = new_page()
    page.set_content(PAGE.format(body='<label for="name">Name</label><input id="name">'))
    check_page(page)


def test_a_broken_page_fails_naming_each_violation(new_page, check_page):
    page = new_page()
    page.set_content(PAGE.format(body='<img src="chart.png"><input id="name">'))
    with pytest.raises(AssertionError) as failed:
        check_page(page)
    assert "image-alt (critical)" in str(failed.value)
    assert "label (critical)" in str(failed.value)
    assert "img" in str(failed.value) and "#name" in str(failed.value)
