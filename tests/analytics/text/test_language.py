"""The language of feedback: by script first, then langdetect, then stop words for short text."""

import pytest

from pcref.analytics.text.language import Detection, detect_language

# Short, natural sentences of the kind people write in feedback, two per language.
SENTENCES = {
    "en": [
        "The nurse on the ward listened to me and explained my medication clearly.",
        "Nobody called me back after my appointment was cancelled.",
    ],
    "pl": [
        "Pielęgniarka na oddziale była bardzo miła i cierpliwie mnie wysłuchała.",
        "Nikt do mnie nie oddzwonił po odwołanej wizycie.",
    ],
    "so": [
        "Kalkaaliyaha qaybta ayaa si fiican ii dhageystay oo ii sharxay daawadayda.",
        "Qofna dib iima soo wicin markii ballantayda la joojiyay.",
    ],
    "ur": [
        "وارڈ کی نرس نے میری بات غور سے سنی اور دوائی کے بارے میں سمجھایا۔",
        "اپوائنٹمنٹ منسوخ ہونے کے بعد کسی نے مجھے واپس فون نہیں کیا۔",
    ],
    "pa": [
        "ਵਾਰਡ ਦੀ ਨਰਸ ਨੇ ਮੇਰੀ ਗੱਲ ਧਿਆਨ ਨਾਲ ਸੁਣੀ ਅਤੇ ਦਵਾਈ ਬਾਰੇ ਸਮਝਾਇਆ।",
        "ਮੁਲਾਕਾਤ ਰੱਦ ਹੋਣ ਤੋਂ ਬਾਅਦ ਕਿਸੇ ਨੇ ਮੈਨੂੰ ਫ਼ੋਨ ਨਹੀਂ ਕੀਤਾ।",
    ],
    "gu": [
        "વોર્ડની નર્સે મારી વાત ધ્યાનથી સાંભળી અને દવા વિશે સમજાવ્યું.",
        "એપોઇન્ટમેન્ટ રદ થયા પછી કોઈએ મને પાછો ફોન કર્યો નહીં.",
    ],
    "ar": [
        "استمعت الممرضة في الجناح إلي باهتمام وشرحت لي الدواء.",
        "لم يتصل بي أحد بعد إلغاء موعدي.",
    ],
    "fa": [
        "پرستار بخش با دقت به حرفهایم گوش داد و داروهایم را توضیح داد.",
        "بعد از لغو شدن نوبتم هیچ کس با من تماس نگرفت.",
    ],
    "ro": [
        "Asistenta de pe secție m-a ascultat cu răbdare și mi-a explicat tratamentul.",
        "Nimeni nu m-a sunat înapoi după ce mi s-a anulat programarea.",
    ],
    "bn": ["ওয়ার্ডের নার্স আমার কথা মন দিয়ে শুনেছেন।"],
}
CASES = [(code, sentence) for code, sentences in SENTENCES.items() for sentence in sentences]


@pytest.mark.parametrize(("code", "sentence"), CASES)
def test_sentences_in_each_language(code, sentence):
    detection = detect_language(sentence)
    assert detection.code == code
    assert detection.confidence >= 0.8


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        (SENTENCES["pa"][0], "pa"),
        (SENTENCES["gu"][0], "gu"),
        (SENTENCES["ur"][0], "ur"),
        (SENTENCES["ar"][0], "ar"),
        (SENTENCES["fa"][0], "fa"),
    ],
)
def test_non_latin_scripts_are_decided_by_script(sentence, code):
    assert detect_language(sentence) == Detection(code, 0.99, "script")


@pytest.mark.parametrize("code", ["en", "pl", "so", "ro"])
def test_latin_script_sentences_go_to_langdetect(code):
    assert detect_language(SENTENCES[code][0]).method == "langdetect"


def test_urdu_letters_tell_urdu_from_arabic():
    assert detect_language("ٹھیک ہے").code == "ur"  # ٹ ھ ہ ے are Urdu's, not Arabic's
    assert detect_language("شكرا جزيلا").code == "ar"


def test_one_telling_letter_gives_lower_confidence():
    detection = detect_language("شکریہ")  # "thank you": one Urdu-only letter (ہ)
    assert detection.code == "ur"
    assert detection.confidence < 0.8


def test_mixed_text_takes_the_language_of_most_letters():
    assert detect_language("میں ward پر بہت دیر انتظار کرتا رہا").code == "ur"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Staff were rude", "en"),  # langdetect says German
        ("Thank you", "en"),
        ("Dziękuję za pomoc", "pl"),
        ("Bardzo dobrze", "pl"),
        ("Waad mahadsantahay", "so"),
        ("Haa, waa fiican", "so"),
    ],
)
def test_short_latin_text_uses_stop_words(text, code):
    detection = detect_language(text)
    assert detection.code == code
    assert detection.method == "stopwords"
    assert detection.confidence <= 0.7


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("", "empty"),
        ("   \n\t", "empty"),
        ("123 456 !!!", "empty"),
        ("😀👍", "empty"),
        ("ok", "too short"),
        ("Hello", "too short"),
        ("a", "too short"),
        ("ਕ", "too short"),
        ("xyz qwv", "too short"),  # no stop word
    ],
)
def test_empty_or_very_short_text_is_undetermined(text, method):
    detection = detect_language(text)
    assert detection.code == "und"
    assert detection.method == method
    assert detection.confidence <= 0.1


def test_a_single_word_in_a_script_of_one_language_is_enough():
    assert detect_language("ਧੰਨਵਾਦ").code == "pa"
    assert detect_language("આભાર").code == "gu"


def test_detection_is_repeatable():
    text = "I waited a long time but the staff were kind and the room was clean."
    first = detect_language(text)
    assert all(detect_language(text) == first for _ in range(20))


def test_confidence_is_between_zero_and_one():
    for _, sentence in CASES:
        assert 0 <= detect_language(sentence).confidence <= 1


def test_refuses_what_is_not_text():
    with pytest.raises(TypeError, match=r"text must be a str; got 3 \(a int\)"):
        detect_language(3)
