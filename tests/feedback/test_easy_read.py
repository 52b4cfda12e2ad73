"""The Easy Read version of the public journey: same steps and service, plain words, pictures."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from pcref.feedback.models import ContactDetails, FeedbackSubmission

from .conftest import check_url, step_url

pytestmark = pytest.mark.django_db

# Each step's Easy Read page, with words only the Easy Read version uses.
EASY_READ_WORDS = {
    "who": "I use mental health services",
    "service": "Which service was it?",
    "what-happened": "Tell us in your own words.",
    "topics": "3 more questions",
    "overall": "How was your care?",
    "reply": "Do you want us to reply to you?",
    "contact": "It is OK for the team to contact me about this feedback.",
    "about-you": "What is your ethnic group?",
}


def easy_read_start(language="en"):
    with translation.override(language):
        return reverse("feedback:easy_read_start")


def test_the_start_pages_link_to_each_other(client, trust):
    standard = client.get(reverse("feedback:start")).content.decode()
    assert 'href="/feedback/easy-read/">Easy Read version</a>' in standard
    easy = client.get("/feedback/easy-read/")
    text = easy.content.decode()
    assert easy.status_code == 200
    assert 'href="/feedback/">Standard version</a>' in text
    assert 'href="/feedback/who/"' in text  # the same journey
    assert "You do not have to answer every question." in text
    assert 'class="nhsuk-body-l"' in text and 'aria-hidden="true" focusable="false"' in text
    # Not for emergencies, in Easy Read words, with numbers to call.
    assert (
        'call <a href="tel:999">999</a> or NHS <a href="tel:111">111</a> and choose the mental health option'
        in text
    )


def test_the_easy_read_start_page_is_in_every_language(client, trust):
    response = client.get("/ur/feedback/easy-read/")
    text = response.content.decode()
    assert '<html lang="ur" dir="rtl">' in text
    with translation.override("ur"):
        assert gettext("We want to hear from you.") in text
        assert gettext("We want to hear from you.") != "We want to hear from you."
    assert 'href="/ur/feedback/">' in text


def test_every_step_has_easy_read_words(client, trust):
    client.get("/feedback/easy-read/")
    client.post(step_url("reply"), {"wants_reply": "yes"})  # so the contact step applies
    for slug, words in EASY_READ_WORDS.items():
        text = client.get(step_url(slug)).content.decode()
        assert words in text, slug
        assert "pcref-easy-read__picture" in text, slug
    about_you = client.get(step_url("about-you")).content.decode()
    assert "What is your religion?" not in about_you  # fewer questions in Easy Read
    assert "You do not have to answer these questions." in about_you
    first = client.get(step_url("who")).content.decode()
    assert 'href="/feedback/easy-read/"' in first  # Back goes to the Easy Read start


def test_the_standard_start_page_switches_easy_read_off(client, trust):
    client.get("/feedback/easy-read/")
    client.get(reverse("feedback:start"))
    text = client.get(step_url("who")).content.decode()
    assert "A patient or service user" in text and "I use mental health services" not in text


def test_a_step_that_fails_validation_keeps_the_answers_and_the_easy_words(client, trust):
    client.get("/feedback/easy-read/")
    client.post(step_url("who"), {"respondent_type": "carer"})
    blank = client.post(step_url("what-happened"), {"text": "  ", "website": ""})
    text = blank.content.decode()
    assert blank.status_code == 200 and "<title>Error:" in text
    assert text.count("Tell us what happened") >= 2 and "Tell us in your own words." in text
    back = client.get(step_url("who")).content.decode()
    assert re.search(r'value="carer"[^>]*checked', back)
    assert "Choose yes or no" in client.post(step_url("reply"), {}).content.decode()
    client.post(step_url("reply"), {"wants_reply": "yes"})
    contact = client.post(
        step_url("contact"), {"name": "Sam", "preferred_method": "email", "email": "s@example.com"}
    ).content.decode()
    assert "Tick the box if it is OK to contact you" in contact
    assert 'value="Sam"' in contact and 'value="s@example.com"' in contact


def test_an_easy_read_submission_is_the_same_kind_of_feedback(client, trust, ward, walk_journey):
    client.get("/feedback/easy-read/")
    walk_journey(
        client,
        text="The nurse was kind.",
        wants_reply=True,
        send=False,
        extra={"disability": "yes", "religion": "sikh"},
    )
    check = client.get(check_url()).content.decode()
    assert "Check your answers" in check and "I care for someone" in check
    assert "sam@example.com" in check and ">Send<" in check.replace("\n", "").replace(" ", "")
    response = client.post(check_url(), {"website": ""})
    assert response["Location"] == reverse("feedback:sent")
    submission = FeedbackSubmission.objects.get()
    assert submission.text == "The nurse was kind."
    assert submission.respondent_type == "carer" and submission.channel == "online"
    assert submission.overall_experience == "good" and submission.wants_reply is True
    assert submission.ethnicity_as_given == "black-african" and submission.disability == "yes"
    assert submission.religion == ""  # not asked in Easy Read, so an answer sent anyway is ignored
    assert submission.interface_language == "en" and submission.easy_read is True
    assert ContactDetails.objects.get(submission=submission).email == "sam@example.com"
    sent = client.get(response["Location"]).content.decode()
    assert submission.reference in sent and "Thank you for telling us." in sent
    assert "If you need help now, call" in sent
    # The mode outlives the journey: the next one is Easy Read too, until the standard start page.
    assert "I use mental health services" in client.get(step_url("who")).content.decode()


def test_an_urdu_easy_read_submission(client, trust, walk_journey):
    client.get(easy_read_start("ur"))
    with translation.override("ur"):
        who = client.get(step_url("who", "ur")).content.decode()
        assert gettext("I use mental health services") in who
        response = walk_journey(client, text="سب نے اچھا سلوک کیا۔", language="ur")
        assert response["Location"] == "/ur/feedback/sent/"
        sent = client.get(response["Location"]).content.decode()
        assert gettext("Thank you for telling us.") in sent
    submission = FeedbackSubmission.objects.get()
    assert submission.text == "سب نے اچھا سلوک کیا۔" and submission.interface_language == "ur"
