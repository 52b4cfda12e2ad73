"""Script sent as feedback never runs in a staff member's browser (issue #8, item 4): the case
page and the inbox show the payloads as words, no dialog opens and no flag is set."""

import pytest

from pcref.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '"><img src=x onerror="window.__xss=2;alert(2)">',
    '\'><svg onload="window.__xss=3;alert(3)"></svg>',
    '<a href="javascript:window.__xss=4">click me</a>',
    "</textarea><script>window.__xss=5</script>",
    '<iframe srcdoc="<script>parent.__xss=6</script>"></iframe>',
]


def test_script_in_feedback_never_runs_on_staff_pages(
    live_server, new_page, trust, make_staff, give_feedback
):
    text = "\n".join(PAYLOADS)
    submission = give_feedback(trust, "black-african", "poor", text=text)
    officer = make_staff(trust, Role.PATIENT_EXPERIENCE_OFFICER, username="officer")
    page = new_page(base_url=live_server.url, user=officer)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for address in (f"/staff/feedback/{submission.pk}/", "/staff/feedback/"):
        page.goto(address)
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # let any handler (onerror, onload) run if one got in
        assert page.evaluate("typeof window.__xss") == "undefined", address
        assert page.locator("img[src=x], iframe, svg[onload]").count() == 0, address
        if "/staff/feedback/" + str(submission.pk) in address:
            shown = page.locator("main").inner_text()
            assert "<script>window.__xss=1;alert(1)</script>" in shown
    page.locator("a", has_text=submission.reference).first.click()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert dialogs == []
