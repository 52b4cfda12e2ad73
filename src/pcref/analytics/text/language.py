"""Which language a piece of feedback is written in, to route it and to count languages.

`detect_language(text)` returns a `Detection(code, confidence, method)`:

- code: a lower-case ISO 639-1 code ("en", "pl", "so", "ur", "pa", "gu", "ar"...), "ckb" for
  Central Kurdish, or "und" (undetermined) when the text is empty or too short to tell.
- confidence: 0 to 1. For a script rule it is the share of the letters in that script (lowered
  when an Arabic-script text has only one letter that tells its languages apart); for langdetect
  it is langdetect's probability; for the stop-word rule it is at most 0.7.
- method: "empty" (no letters), "script", "langdetect", "stopwords" or "too short".

Method, in order:

1. Script. The letters are counted by script and the largest wins. Gurmukhi is Punjabi ("pa"),
   Gujarati is "gu", Bengali "bn", Tamil "ta", Telugu "te", Kannada "kn", Malayalam "ml",
   Sinhala "si", Thai "th", Greek "el", Hebrew "he", Georgian "ka", Armenian "hy", Hangul "ko",
   kana "ja", Ethiopic "am" (Tigrinya uses it too). Arabic script is split by letters only some
   languages use: Urdu (ٹ ڈ ڑ ں ے ۓ ھ ہ) is "ur"; Pashto (ټ ډ ړ ږ ښ ځ څ ې ۍ ګ ڼ) "ps"; Central
   Kurdish (ڕ ڵ ۆ ێ ە) "ckb"; Persian (پ چ ژ ک گ ی with none of those) "fa"; otherwise "ar".
   Punjabi written in Shahmukhi (Arabic script) is read as Urdu: the letters are the same.
2. Latin and other scripts (Cyrillic, Devanagari, Han): langdetect (its profiles include Somali
   and Polish), with `DetectorFactory.seed = 0` so the same text always gives the same answer.
3. Short Latin text (fewer than 20 letters or 4 words), where langdetect guesses badly ("Staff
   were rude" comes back German): stop words of English, Polish and Somali (Polish letters such
   as ą ę ł ś ż count for Polish); one word alone, no stop word, or a tie gives "und".

A text with no letters, or only one, is "und" in any script.

Limits: a text mixing languages gets the language of most of its letters; romanised Urdu,
Punjabi or Gujarati ("bahut acha laga") has no profile and comes back as whatever langdetect
guesses, often with low confidence; a single word in a Latin script is "und".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

__all__ = ["UNDETERMINED", "Detection", "detect_language"]

DetectorFactory.seed = 0  # langdetect samples at random: a fixed seed makes it repeatable

UNDETERMINED = "und"
MIN_LETTERS = 2  # one letter alone is "und", in any script
MIN_LATIN_LETTERS = 20  # below this (or MIN_LATIN_WORDS) langdetect is not asked
MIN_LATIN_WORDS = 4


@dataclass(frozen=True, slots=True)
class Detection:
    """A language code (ISO 639-1, or "und"), a confidence from 0 to 1 and how it was found."""

    code: str
    confidence: float
    method: str


def detect_language(text: str) -> Detection:
    """The language of a text, from its script first, then langdetect or stop words.

    Args:
        text: a person's words; str. Digits, punctuation and emoji are ignored.

    Returns:
        A `Detection`; code "und" when there are no letters or too few to tell.

    Raises:
        TypeError: if text is not a str.

    >>> detect_language("ਸਟਾਫ਼ ਨੇ ਮੇਰੀ ਗੱਲ ਧਿਆਨ ਨਾਲ ਸੁਣੀ।")
    Detection(code='pa', confidence=0.99, method='script')
    >>> detect_language("").code
    'und'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {text!r} (a {type(text).__name__})")
    counts: dict[str, int] = {}
    for char in text:
        script = _script(char)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    letters = sum(counts.values())
    if letters == 0:
        return Detection(UNDETERMINED, 0.0, "empty")
    if letters < MIN_LETTERS:
        return Detection(UNDETERMINED, 0.1, "too short")
    script, count = max(counts.items(), key=lambda item: item[1])
    share = count / letters
    if script == "arabic":
        return _arabic_script(text, share)
    if script in _SCRIPT_LANGUAGE:
        return Detection(_SCRIPT_LANGUAGE[script], _rounded(min(share, 0.99)), "script")
    if script == "latin" and (count < MIN_LATIN_LETTERS or len(text.split()) < MIN_LATIN_WORDS):
        return _stop_words(text)
    return _langdetect(text)


def _rounded(value: float) -> float:
    return round(value, 2)


# --- Scripts -----------------------------------------------------------------------------------

_SCRIPT_RANGES = (  # (first, last, script): Unicode blocks, marks included
    (0x0041, 0x024F, "latin"),
    (0x1E00, 0x1EFF, "latin"),
    (0x0370, 0x03FF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "armenian"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x08A0, 0x08FF, "arabic"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0A00, 0x0A7F, "gurmukhi"),
    (0x0A80, 0x0AFF, "gujarati"),
    (0x0B80, 0x0BFF, "tamil"),
    (0x0C00, 0x0C7F, "telugu"),
    (0x0C80, 0x0CFF, "kannada"),
    (0x0D00, 0x0D7F, "malayalam"),
    (0x0D80, 0x0DFF, "sinhala"),
    (0x0E00, 0x0E7F, "thai"),
    (0x10A0, 0x10FF, "georgian"),
    (0x1100, 0x11FF, "hangul"),
    (0xAC00, 0xD7AF, "hangul"),
    (0x1200, 0x139F, "ethiopic"),
    (0x3040, 0x30FF, "kana"),
    (0x4E00, 0x9FFF, "han"),
)
_SCRIPT_LANGUAGE = {
    "gurmukhi": "pa",
    "gujarati": "gu",
    "bengali": "bn",
    "tamil": "ta",
    "telugu": "te",
    "kannada": "kn",
    "malayalam": "ml",
    "sinhala": "si",
    "thai": "th",
    "greek": "el",
    "hebrew": "he",
    "georgian": "ka",
    "armenian": "hy",
    "hangul": "ko",
    "kana": "ja",
    "ethiopic": "am",
}


def _script(char: str) -> str | None:
    """The script of a letter or combining mark, or None for anything else."""
    if not (char.isalpha() or unicodedata.category(char) in ("Mn", "Mc")):
        return None
    code = ord(char)
    for first, last, script in _SCRIPT_RANGES:
        if first <= code <= last:
            return script
    return "other"


_URDU_LETTERS = frozenset("ٹڈڑںےۓھہۂ")
_PASHTO_LETTERS = frozenset("ټډړږښځڅېۍګڼ")
_KURDISH_LETTERS = frozenset("ڕڵۆێە")
_PERSIAN_LETTERS = frozenset("پچژکگی")  # shared with Urdu, never in Arabic


def _arabic_script(text: str, share: float) -> Detection:
    letters = {
        "ur": sum(char in _URDU_LETTERS for char in text),
        "ps": sum(char in _PASHTO_LETTERS for char in text),
        "ckb": sum(char in _KURDISH_LETTERS for char in text),
    }
    code, evidence = max(letters.items(), key=lambda item: item[1])
    if evidence == 0:
        evidence = sum(char in _PERSIAN_LETTERS for char in text)
        code = "fa" if evidence else "ar"
    confidence = min(share, 0.99) * (0.7 if code != "ar" and evidence < 2 else 1.0)
    return Detection(code, _rounded(confidence), "script")


# --- Latin script: langdetect, and stop words for short text -----------------------------------


def _langdetect(text: str) -> Detection:
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return Detection(UNDETERMINED, 0.0, "langdetect")
    return Detection(best.lang.split("-")[0], _rounded(best.prob), "langdetect")


_STOP_WORDS = {
    "en": frozenset(
        """the and a an to of in on at for with was were is are be been not no my me i we you he
        she they it this that staff nurse doctor ward thank thanks you help helped very kind rude
        good bad please why when did didn't don't nobody called back""".split()
    ),
    "pl": frozenset(
        """i w z na nie się jest był była było są to że do za od po jak ale czy mnie mi mój moja
        bardzo dziękuję dziekuje pomoc lekarz lekarza pielęgniarka personel nikt szpital proszę
        dzień dobry""".split()
    ),
    "so": frozenset(
        """waa iyo ka ku u la oo ee aan ay uu ma waxaan waxay wuxuu waxa ayaa ah aad si in haa
        maya mahadsanid mahadsantahay dhakhtarka dhakhtar isbitaalka kalkaaliye caawimaad
        caawimaadda qof ii iima igu soo aniga anigu""".split()
    ),
}
_POLISH_LETTERS = frozenset("ąćęłńśźżĄĆĘŁŃŚŹŻ")
_WORDS_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _stop_words(text: str) -> Detection:
    words = [word.lower() for word in _WORDS_RE.findall(text)]
    if len(words) < 2:
        return Detection(UNDETERMINED, 0.1, "too short")
    hits = {code: sum(word in stop for word in words) for code, stop in _STOP_WORDS.items()}
    hits["pl"] += sum(char in _POLISH_LETTERS for char in text)
    ranked = sorted(hits.items(), key=lambda item: item[1], reverse=True)
    (code, best), (_, second) = ranked[0], ranked[1]
    if best == 0 or best == second:
        return Detection(UNDETERMINED, 0.1, "too short")
    confidence = min(0.7, 0.3 + 0.4 * (best - second) / len(words))
    return Detection(code, _rounded(confidence), "stopwords")
