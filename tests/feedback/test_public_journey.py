"""The public feedback journey: every step, in English and Urdu, with answers kept and stored exactly."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from pcref.core.models import AuditEntry
from pcref.feedback.models import ContactDetails, FeedbackSubmission

from .conftest import check_url, step_url

pytestmark = pytest.mark.django_db

HOSTILE = (
    "<script>alert('x')</script> <b>bold</b> 😀 مجھے ترجمان چاہیے "
    '=HYPERLINK("http://evil.example","click") ' + "x" * 10_000
)


def test_the_start_page_shows_other_ways_in_and_crisis_numbers(client, trust):
    text = client.get(reverse("feedback:start")).content.decode()
    assert 'href="mailto:px@example.nhs.uk"' in text
    assert 'href="tel:999"' in text and "interpreter" in text
    assert 'href="/feedback/who/"' in text


def test_a_carer_sends_feedback_and_gets_a_reference(client, trust, ward, walk_journey):
    response = walk_journey(client, text="The staff were kind but nobody asked about his diet.")
    assert response.status_code == 302 and response["Location"] == reverse("feedback:sent")
    submission = FeedbackSubmission.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert submission.reference in page and "Feedback sent" in page
    assert submission.text == "The staff were kind but nobody asked about his diet."
    assert submission.respondent_type == "carer" and submission.channel == "online"
    assert submission.easy_read is False
    assert (
        submission.ethnicity_as_given == "black-african" and submission.ethnic_category_code == "N"
    )
    assert submission.ethnicity_mapping_version
    assert submission.interface_language == "en" and submission.text_language == "en"
    assert not ContactDetails.objects.exists()  # no reply wanted, no details asked or kept
    assert AuditEntry.objects.filter(
        action="feedback.received", target_id=str(submission.pk)
    ).exists()


def test_contact_details_are_kept_only_when_a_reply_is_wanted(client, trust, walk_journey):
    walk_journey(client, wants_reply=True)
    contact = ContactDetails.objects.get()
    assert contact.email == "sam@example.com" and contact.consent is True


def test_urdu_journey_is_right_to_left_and_stores_the_words_exactly(client, trust, walk_journey):
    first = client.get(
        reverse("feedback:step", args=["who"]).replace("/feedback/", "/ur/feedback/")
    )
    assert '<html lang="ur" dir="rtl">' in first.content.decode()
    words = "مجھے ترجمان کی ضرورت تھی لیکن کوئی نہیں ملا۔"
    response = walk_journey(client, text=words, language="ur")
    assert response["Location"] == "/ur/feedback/sent/"
    submission = FeedbackSubmission.objects.get()
    assert submission.text == words
    assert submission.interface_language == "ur" and submission.text_language == "ur"


def test_a_step_that_fails_validation_keeps_the_answers(client, trust):
    client.post(reverse("feedback:step", args=["who"]), {"respondent_type": "patient"})
    blank = client.post(reverse("feedback:step", args=["what-happened"]), {"text": "   \n  "})
    assert blank.status_code == 200
    text = blank.content.decode()
    assert (
        "Tell us what happened" in text and text.count("Tell us what happened") >= 2
    )  # summary + field
    assert "<title>Error:" in text
    back = client.get(reverse("feedback:step", args=["who"])).content.decode()
    assert re.search(r'value="patient"[^>]*checked', back)


def test_hostile_text_is_stored_exactly_and_shown_safely(
    client, trust, walk_journey, officer, signed_in
):
    walk_journey(client, text=HOSTILE)
    submission = FeedbackSubmission.objects.get()
    assert submission.text == HOSTILE
    page = (
        signed_in(officer)
        .get(reverse("feedback_staff:case", args=[submission.pk]))
        .content.decode()
    )
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page
    assert "<b>bold</b>" not in page and "😀" in page


def test_too_long_text_is_refused_with_a_clear_message(client, trust):
    response = client.post(reverse("feedback:step", args=["what-happened"]), {"text": "x" * 20_001})
    assert "Write 20000 characters or fewer (you wrote 20001)" in response.content.decode()


def test_sending_twice_stores_one_submission(client, trust, walk_journey):
    walk_journey(client, send=False)
    check = reverse("feedback:check")
    # The same journey posted twice (a double click): the session still holds it for the second.
    session_state = dict(client.session)
    first = client.post(check, {"website": ""})
    session = client.session
    session.update(session_state)
    session.save()
    second = client.post(check, {"website": ""})
    assert first.status_code == second.status_code == 302
    assert FeedbackSubmission.objects.count() == 1


def test_a_click_on_send_after_the_feedback_was_stored_shows_the_confirmation_again(
    client, trust, walk_journey
):
    walk_journey(client)
    reference = FeedbackSubmission.objects.get().reference
    # The browser sends "Send" again (a double click whose first answer was already stored):
    # the confirmation again, not the first question, which reads as if nothing was sent.
    again = client.post(reverse("feedback:check"), {"website": ""}, follow=True)
    assert again.redirect_chain[-1][0] == reverse("feedback:sent")
    assert reference in again.content.decode()
    assert FeedbackSubmission.objects.count() == 1


def test_the_honeypot_stores_nothing_but_looks_the_same(client, trust, walk_journey):
    response = walk_journey(client, website="http://spam.example")
    assert response["Location"] == reverse("feedback:sent")
    assert not FeedbackSubmission.objects.exists()
    # the reference shown is like a real one (FB-XXXX-XXXX): a program cannot tell it was caught
    shown = client.get(reverse("feedback:sent")).content.decode()
    assert re.search(r"FB-[A-Z2-9]{4}-[A-Z2-9]{4}", shown)


def test_too_many_submissions_from_one_address_are_refused(trust, walk_journey, settings):
    settings.FEEDBACK_SUBMISSIONS_PER_HOUR = 3
    for _ in range(3):
        assert walk_journey(Client(REMOTE_ADDR="203.0.113.9")).status_code == 302
    refused = walk_journey(Client(REMOTE_ADDR="203.0.113.9"))
    assert refused.status_code == 429 and "try again" in refused.content.decode().lower()
    assert FeedbackSubmission.objects.count() == 3
    assert walk_journey(Client(REMOTE_ADDR="198.51.100.7")).status_code == 302


def test_check_page_sends_people_back_to_what_is_missing(client, trust):
    response = client.get(reverse("feedback:check"))
    assert response["Location"] == reverse("feedback:step", args=["who"])


def test_changing_an_answer_returns_to_the_check_page(client, trust, walk_journey):
    walk_journey(client, send=False)
    response = client.post(
        reverse("feedback:step", args=["overall"]) + "?change=1", {"overall_experience": "poor"}
    )
    assert response["Location"] == reverse("feedback:check")
    # Asking for a reply while changing answers leads to the contact step first.
    response = client.post(
        reverse("feedback:step", args=["reply"]) + "?change=1", {"wants_reply": "yes"}
    )
    assert response["Location"] == reverse("feedback:step", args=["contact"]) + "?change=1"
    assert client.get(reverse("feedback:check"))["Location"] == reverse(
        "feedback:step", args=["contact"]
    )


def test_only_the_chosen_way_of_contact_is_kept(client, trust, walk_journey):
    # the contact page shows every box at once: a phone typed before choosing email is dropped
    walk_journey(client, send=False)
    client.post(step_url("reply"), {"wants_reply": "yes"})
    details = {"email": "sam@example.com", "phone": "0116 111 1111", "consent": "on"}
    client.post(step_url("contact"), {"preferred_method": "email", **details})
    assert "0116 111 1111" not in client.get(check_url()).content.decode()
    client.post(check_url(), {"website": ""})
    contact = ContactDetails.objects.get()
    assert (contact.email, contact.phone) == ("sam@example.com", "")
    assert contact.partner_organisation is None


@pytest.mark.parametrize("step", ["contact", "sign-up"])
def test_an_email_address_too_long_to_store_is_refused_on_its_field(client, trust, step):
    # 312 characters pass Django's form default (320) but not the column (254): it was a 500
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"
    if step == "contact":
        client.post(step_url("reply"), {"wants_reply": "yes"})
        url = step_url("contact")
        data = {"preferred_method": "email", "email": email, "consent": "on"}
    else:
        url = reverse("involvement:sign_up")
        data = {"name": "Sam", "email": email, "interests": "events", "consent": "on"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Enter an email address like name@example.com" in response.content.decode()


def test_contact_step_names_the_missing_detail(client, trust):
    client.post(reverse("feedback:step", args=["reply"]), {"wants_reply": "yes"})
    response = client.post(
        reverse("feedback:step", args=["contact"]), {"preferred_method": "email", "consent": "on"}
    )
    assert (
        "Enter your email address, or choose another way to contact you"
        in response.content.decode()
    )


def test_any_other_details_need_an_any_other_choice(client, trust):
    response = client.post(
        reverse("feedback:step", args=["about-you"]),
        {"ethnic_group": "asian-indian", "ethnic_group_details": "x"},
    )
    assert "ethnic group to describe it, or leave this empty" in response.content.decode()


def test_a_head_request_is_answered_like_get(client, trust):
    # link checkers and proxies ask with HEAD; the form pages refused it with 405
    for url in (step_url("who"), check_url(), reverse("involvement:sign_up")):
        response = client.head(url)
        assert response.status_code in (200, 302), (url, response.status_code)


def test_the_phone_box_says_its_inputmode_once(client, trust):
    client.post(step_url("reply"), {"wants_reply": "yes"})
    page = client.get(step_url("contact")).content.decode()
    (phone,) = re.findall(r"<input[^>]*id=\"id_phone\"[^>]*>", page)
    assert phone.count("inputmode=") == 1, phone  # twice is invalid HTML


def test_a_form_sent_without_its_security_token_gets_the_page_in_the_persons_language(trust):
    checking = Client(enforce_csrf_checks=True)
    response = checking.post(step_url("who", "ur"), {"respondent_type": "carer"})
    page = response.content.decode()
    assert response.status_code == 403
    assert 'lang="ur"' in page and 'dir="rtl"' in page and "nhsuk-header" in page
    assert "CSRF verification failed" not in page
