"""Find and remove personal details in feedback before staff publish "You said, we did" entries.

`find_personal_details(text)` lists what looks personal; `redact(text)` puts a bracketed label in
place of each: "[name]", "[NHS number]", "[phone number]", "[email address]", "[postcode]" and
"[date of birth]". The person's original words are never changed: redaction makes a new text for
publication, and a person still reads it before it goes out. No model is used: these are rules,
written for recall (a word too many redacted is a small loss; a name published is a harm).

What is found, and the rules
----------------------------
- NHS numbers: 10 digits, together or in 3-3-4 groups split by spaces or hyphens, whose check
  digit passes modulus 11 (`pcref.analytics.extract.nhs_number`). Ten digits that fail the
  check are left alone (they may be a reference number), unless they are also a phone number.
- Phone numbers (UK): 0 or +44 or 0044 (with an optional "(0)"), then a national number of 9
  or 10 digits starting 1, 2, 3, 5, 7, 8 or 9, with spaces, hyphens, dots or brackets between
  digits: landlines, mobiles, 03 and 08 numbers. Short service numbers (999, 111, 116 123,
  0800 1111) are kept: they are not anyone's details.
- Email addresses, including non-Latin letters in the address.
- Postcodes: full UK postcodes in any case, with or without the space ("LE1 5WW", "le15ww").
  A district alone ("LE1") is kept.
- Dates of birth: a full date (day, month and year: 01/02/1985, 1.2.85, 1985-02-01,
  1 February 1985, 1st of Feb, 1985, February 1 1985; English, Polish, Somali, Urdu, Arabic,
  Punjabi and Gujarati month names) that is the first date after a cue ("born", "DOB",
  "D.O.B.", "date of birth", "birth date", "birthday", Polish "ur.", "urodzony/a", "data
  urodzenia", Somali "dhalasho", Urdu "تاریخ پیدائش", Arabic "تاريخ الميلاد", Punjabi "ਜਨਮ",
  Gujarati "જન્મ"), within 8 words of it and in the same sentence. For languages that put the
  verb last, a date followed within 4 words by "پیدا" (Urdu), "ਪੈਦਾ" (Punjabi) or "જન્મ"
  (Gujarati), or by "(DOB)", also counts. Every other date (an appointment, an admission) is
  kept, and so are a month and year, or a year alone ("born in 1985").
- Names, by pattern (no model):
    * after a title: Mr, Mrs, Ms, Miss, Mx, Dr, Prof ("Dr A. Patel", "Mrs Kaur");
    * after a role: nurse, doctor, consultant, psychiatrist, therapist, care coordinator,
      social worker, support worker, matron, Polish "pani", "lekarz" and others ("nurse Tom");
    * after an introduction: "my name is", "her name was", "name:", "I'm called", "called",
      "named", "known as", Polish "nazywam się", "mam na imię", Somali "magacaygu waa"; after
      "my name is", "name:", "I'm called" and the Polish and Somali forms a lower-case name
      counts too ("my name is john smith");
    * after a greeting or sign-off: "Dear", "Hi", "Thanks", "Thank you", "Kind regards",
      "Best wishes", "Cheers", "Pozdrawiam", "Mahadsanid", and "Love," "Best," "From:" when
      followed by a comma, colon or new line ("Thanks, Jane");
    * after a verb of meeting: "spoke to", "talked to", "seen by", "saw", "met", "asked",
      "told", "helped by", "supported by", "looked after by", "thanks to" ("I spoke to Sarah");
    * after a relation: "my son Daniel", "her husband Piotr", Somali "hooyaday Hodan";
    * a first name or surname from a built-in list of common names in the communities we serve
      (English, South Asian, Polish, Somali, Arabic, African and Caribbean), anywhere;
    * the capitalised words straight after a name found by any rule (a surname), a name
      joined to a found name by "and" or "&" ("Kelly and Shauna"), and an initial just before
      one ("K. Nowak"); names next to each other are published as one "[name]";
    * in Urdu, Arabic, Punjabi and Gujarati: the one or two words after "my name is"
      ("میرا نام", "اسمي", "ਮੇਰਾ ਨਾਮ", "મારું નામ"), stopping at common small words ("ہے",
      "ਹੈ", "છે"); after doctor or nurse ("ڈاکٹر", "الدكتور", "ਡਾਕਟਰ", "ડૉક્ટર", "نرس", "ਨਰਸ",
      "નર્સ") a word that is a known name or is followed by an honorific ("صاحب", "ਜੀ",
      "સાહેબ", "ભાઈ"); and common names written in those scripts ("محمد", "علی", "ਸਿੰਘ",
      "ਕੌਰ", "પટેલ") anywhere.
  A title or role word stays in the text ("Dr [name]") and so does a possessive "'s".

Known limits of name detection
------------------------------
- A staff member's first name in the middle of a sentence with no cue ("Priyanka on reception
  was lovely") is found only if the name is in the built-in list. The list cannot hold every
  name: read each entry before publishing.
- Lower-case names are found only after "my name is", "name:", "I'm called" (and the Polish
  and Somali forms): "talked to joe" is kept.
- Names that are also common words are left out of the list (Will, Grace, Hope, Faith, Joy,
  Rose, May, June, April, Dawn, Amber, Bill, Pat, Jan, Max, Frank), so "Grace was kind" is
  kept unless a cue comes first ("nurse Grace").
- Capitalised words after a cue that are not names can be redacted: "I called Papyrus",
  "I saw Leicester Royal", "Thanks Leicester Partnership" each lose the place or service to
  "[name]". Common service, role, place-of-care, language and religion words (Samaritans,
  PALS, Crisis Team, Urdu, Muslim...) are excluded.
- Names in Urdu, Arabic, Punjabi and Gujarati script are found only after "my name is", or
  when they are in the short built-in list or carry an honorific; those scripts have no capital
  letters, so "الدكتور سامي" (Dr Sami) or a name alone in a sentence is not found. A word
  after "my name is" that is not a name is redacted.
- Nicknames, initials alone ("J.S."), user names, addresses other than the postcode (house
  number and street), ages, ward and bed numbers, and spelled-out numbers ("oh seven seven...")
  are not found. Written-out emails ("jane at example dot com") are not found.

Dates and numbers written in Arabic-Indic (٠-٩), Persian (۰-۹), Devanagari, Gurmukhi, Gujarati or
full-width digits are read as their values, and Unicode spaces, dashes and direction marks
between digits count as separators, so numbers inside right-to-left text are found; positions in
every finding are positions in the text as given.

Redaction is idempotent: labels already in a text are never matched, and detection runs again on
its own masked output until nothing new is found, so `redact(redact(t).text).text` is
`redact(t).text`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from pcref.analytics.extract.nhs_number import is_valid_nhs_number

__all__ = ["Finding", "Kind", "RedactionResult", "find_personal_details", "redact"]


class Kind(StrEnum):
    """What a finding is; `label` is the text that replaces it."""

    NAME = "name"
    NHS_NUMBER = "nhs_number"
    PHONE_NUMBER = "phone_number"
    EMAIL_ADDRESS = "email_address"
    POSTCODE = "postcode"
    DATE_OF_BIRTH = "date_of_birth"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Kind.NAME: "[name]",
    Kind.NHS_NUMBER: "[NHS number]",
    Kind.PHONE_NUMBER: "[phone number]",
    Kind.EMAIL_ADDRESS: "[email address]",
    Kind.POSTCODE: "[postcode]",
    Kind.DATE_OF_BIRTH: "[date of birth]",
}
# When two findings overlap they become one, covering both, of the kind ranked higher here.
_PRIORITY = {
    Kind.EMAIL_ADDRESS: 6,
    Kind.NHS_NUMBER: 5,
    Kind.DATE_OF_BIRTH: 4,
    Kind.PHONE_NUMBER: 3,
    Kind.POSTCODE: 2,
    Kind.NAME: 1,
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One personal detail: its kind, where it is (text[start:end]) and the text found."""

    kind: Kind
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """The text with each finding replaced by its label, and the findings, in text order."""

    text: str
    findings: tuple[Finding, ...]


def find_personal_details(text: str) -> list[Finding]:
    """The personal details in a text, in order, none overlapping (see the module notes).

    Args:
        text: a person's words, any language and script; str.

    Returns:
        A list of `Finding`s; positions index the text as given.

    Raises:
        TypeError: if text is not a str.

    >>> [(f.kind.value, f.text) for f in find_personal_details("Thanks, Jane. Call 07700 900123")]
    [('name', 'Jane'), ('phone_number', '07700 900123')]
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {text!r} (a {type(text).__name__})")
    masked = list(_LABEL_RE.sub(lambda m: _MASK[_LABEL_KIND[m.group()]] * len(m.group()), text))
    found: list[tuple[int, int, Kind]] = []
    for _ in range(_MAX_PASSES):
        new = _merge(_detect("".join(masked)))
        if not new:
            break
        for start, end, kind in new:
            masked[start:end] = _MASK[kind] * (end - start)
        found.extend(new)
    spans = _joined(found, text)
    return [Finding(kind, start, end, text[start:end]) for start, end, kind in spans]


def redact(text: str) -> RedactionResult:
    """The text with each personal detail replaced by a label such as "[name]".

    Args:
        text: a person's words, any language and script; str.

    Returns:
        A `RedactionResult`: the redacted text and the findings (positions in the input).

    Raises:
        TypeError: if text is not a str.

    >>> redact("My name is Amina, NHS number 943 476 5919, DOB 01/02/1985.").text
    'My name is [name], NHS number [NHS number], DOB [date of birth].'
    >>> redact("Call 999 or 111; my appointment is on 03/04/2025.").text
    'Call 999 or 111; my appointment is on 03/04/2025.'
    """
    findings = find_personal_details(text)
    parts, position = [], 0
    for finding in findings:
        parts += [text[position : finding.start], finding.kind.label]
        position = finding.end
    parts.append(text[position:])
    return RedactionResult("".join(parts), tuple(findings))


# --- Masks: found spans and labels become characters no rule can match ------------------------

_MAX_PASSES = 20
_MASK = {kind: chr(0xE000 + index) for index, kind in enumerate(Kind)}  # private-use characters
_MASK_KIND = {mask: kind for kind, mask in _MASK.items()}
_LABEL_KIND = {label: kind for kind, label in _LABELS.items()}
_LABEL_RE = re.compile("|".join(re.escape(label) for label in _LABELS.values()))


def _merge(spans: list[tuple[int, int, Kind]]) -> list[tuple[int, int, Kind]]:
    """Overlapping spans joined into one, of the higher-priority kind; touching spans kept apart."""
    merged: list[tuple[int, int, Kind]] = []
    for start, end, kind in sorted(spans, key=lambda span: (span[0], -span[1])):
        if merged and start < merged[-1][1]:
            first_start, first_end, first_kind = merged[-1]
            keep = first_kind if _PRIORITY[first_kind] >= _PRIORITY[kind] else kind
            merged[-1] = (first_start, max(first_end, end), keep)
        else:
            merged.append((start, end, kind))
    return merged


def _joined(spans: list[tuple[int, int, Kind]], text: str) -> list[tuple[int, int, Kind]]:
    """Spans in order; names separated only by spaces become one ("K. Nowak" is found as "K."
    and "Nowak" but published as one "[name]")."""
    joined: list[tuple[int, int, Kind]] = []
    for start, end, kind in sorted(spans):
        if (
            joined
            and kind == Kind.NAME == joined[-1][2]
            and _SPACES_RE.fullmatch(text, joined[-1][1], start)
        ):
            joined[-1] = (joined[-1][0], end, kind)
        else:
            joined.append((start, end, kind))
    return joined


_SPACES_RE = re.compile(r"[ \t]+")


def _detect(masked: str) -> list[tuple[int, int, Kind]]:
    numbers = _for_numbers(masked)
    spans = [(start, end, Kind.NAME) for start, end in _names(masked)]
    spans += [(m.start(), m.end(), Kind.EMAIL_ADDRESS) for m in _EMAIL_RE.finditer(masked)]
    spans += [(m.start(), m.end(), Kind.POSTCODE) for m in _POSTCODE_RE.finditer(numbers)]
    spans += [(m.start(), m.end(), Kind.PHONE_NUMBER) for m in _PHONE_RE.finditer(numbers)]
    spans += [
        (m.start(), m.end(), Kind.NHS_NUMBER)
        for m in _NHS_RE.finditer(numbers)
        if is_valid_nhs_number("".join(m.groups()))
    ]
    spans += [(start, end, Kind.DATE_OF_BIRTH) for start, end in _dates_of_birth(masked, numbers)]
    return spans


# --- Numbers: NHS numbers, phone numbers, postcodes --------------------------------------------


def _for_numbers(text: str) -> str:
    """Same length as text: every decimal digit as ASCII, Unicode spaces, direction marks and
    other format characters as a space, Unicode dashes as a hyphen."""
    if text.isascii():
        return text
    out = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        elif char == "\u2212" or unicodedata.category(char) == "Pd":
            out.append("-")
        elif unicodedata.category(char) in ("Zs", "Cf"):
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


_GROUP_GAP = r"(?: {0,2}-? {0,2})"
_NHS_RE = re.compile(
    rf"(?<![0-9])([0-9]{{3}}){_GROUP_GAP}([0-9]{{3}}){_GROUP_GAP}([0-9]{{4}})(?![0-9])"
)
_PHONE_RE = re.compile(
    r"(?<![0-9+])"
    r"(?:(?:\+|00) ?44[ \-]?(?:\(0\) ?)?|\(?0)"  # +44, 0044, +44 (0), 0, (0
    r"[1235789](?:[ \-.)]{0,3}[0-9]){8,9}"  # national number: 9 or 10 digits
    r"(?![0-9])"
)
_POSTCODE_RE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?:GIR {0,2}0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]? {0,2}[0-9][ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_EMAIL_SAFE = r"\w!#$%&*+/=?^`{|}~\-"
_EMAIL_RE = re.compile(
    rf"(?<![{_EMAIL_SAFE}.'])[{_EMAIL_SAFE}](?:[{_EMAIL_SAFE}.']*[{_EMAIL_SAFE}])?"
    r"@(?:\w(?:[\w\-]*\w)?\.)+[^\W\d_]{2,}(?![\w\-])"
)


# --- Dates of birth ----------------------------------------------------------------------------

_MONTHS = (
    "january february march april may june july august september october november december "
    "sept jan feb mar apr jun jul aug sep oct nov dec "
    # Polish, genitive (as in dates) and nominative
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada "
    "grudnia styczeń luty marzec kwiecień maj czerwiec lipiec sierpień wrzesień październik "
    "listopad grudzień "
    # Somali
    "janaayo febraayo maarso abriil maajo juun luulyo agoosto sebtembar oktoobar nofembar "
    "desembar "
    # Urdu
    "جنوری فروری مارچ اپریل مئی جون جولائی اگست ستمبر اکتوبر نومبر دسمبر "
    # Arabic
    "يناير فبراير مارس أبريل ابريل مايو يونيو يوليو أغسطس اغسطس سبتمبر أكتوبر اكتوبر نوفمبر "
    "ديسمبر "
    # Punjabi (Gurmukhi; ਫ਼ composed and decomposed)
    "ਜਨਵਰੀ ਫ਼ਰਵਰੀ ਫ਼ਰਵਰੀ ਫਰਵਰੀ ਮਾਰਚ ਅਪ੍ਰੈਲ ਮਈ ਜੂਨ ਜੁਲਾਈ ਅਗਸਤ ਸਤੰਬਰ ਅਕਤੂਬਰ ਨਵੰਬਰ ਦਸੰਬਰ "
    # Gujarati
    "જાન્યુઆરી ફેબ્રુઆરી માર્ચ એપ્રિલ મે જૂન જુલાઈ ઑગસ્ટ ઓગસ્ટ સપ્ટેમ્બર ઑક્ટોબર ઓક્ટોબર "
    "નવેમ્બર ડિસેમ્બર"
).split()
_MONTH = "(?:" + "|".join(re.escape(m) for m in sorted(_MONTHS, key=len, reverse=True)) + ")"
_DAY = r"(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th|-?(?:go|ego))?"
_YEAR = r"(?:1[89][0-9]{2}|20[0-9]{2})"
_NUMERIC_DATE_RE = re.compile(
    r"(?<![0-9])(?:"
    r"(?P<d1>[0-9]{1,2})(?P<s1>[/.\-])(?P<m1>[0-9]{1,2})(?P=s1)(?P<y1>[0-9]{4}|[0-9]{2})"
    r"|(?P<y2>[0-9]{4})(?P<s2>[/.\-])(?P<m2>[0-9]{1,2})(?P=s2)(?P<d2>[0-9]{1,2})"
    r")(?![0-9])"
)
_WORDY_DATE_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    rf"{_DAY}(?: of)?[ \-/]+{_MONTH}\.?,?[ \-/]+{_YEAR}"
    rf"|{_MONTH}\.?[ \-]+{_DAY},?[ \-]+{_YEAR}"
    r")(?![0-9])",
    re.IGNORECASE,
)
_DOB_BEFORE_RE = re.compile(
    r"(?<![^\W_])(?:date of birth|birth ?date|birthday|b-?day|born|d\.? ?o\.? ?b\.?"
    r"|data urodzenia|urodzon[aey]|urodzin\w*|ur\.|taariikhda dhalashada|dhalasho\w*|dhashay)"
    r"(?![^\W_])"
    r"|تاریخ پیدائش|تاریخِ پیدائش|پیدائش|تاريخ الميلاد|تاريخ ميلاد|ميلاد|مواليد|ولدت"
    r"|ਜਨਮ ਤਾਰੀਖ|ਜਨਮ|જન્મ તારીખ|જન્મ",
    re.IGNORECASE,
)
_DOB_AFTER_RE = re.compile(
    r"پیدا|ਪੈਦਾ|ਜੰਮ|જન્મ|\(\s*(?:dob|d\.o\.b\.?|date of birth|born)\s*\)", re.IGNORECASE
)
_SENTENCE_BREAK_RE = re.compile(r"[.!?;](?:\s|$)|[۔؟।॥]")
_DOB_WORDS_BEFORE = 8
_DOB_WORDS_AFTER = 4
_NOT_A_BARRIER = {_MASK[Kind.NAME]}
_MASK_RUNS_RE = re.compile(r"[\ue000-\ue0ff]+(?:[ \t]+[\ue000-\ue0ff]+)*")


def _full_dates(numbers: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in _WORDY_DATE_RE.finditer(numbers)]
    for m in _NUMERIC_DATE_RE.finditer(numbers):
        if m.group("d1"):
            first, second = int(m.group("d1")), int(m.group("m1"))
            plausible = 1 <= first <= 31 and 1 <= second <= 31 and min(first, second) <= 12
        else:
            plausible = 1 <= int(m.group("m2")) <= 12 and 1 <= int(m.group("d2")) <= 31
        if plausible:
            spans.append((m.start(), m.end()))
    return sorted(spans)


def _close_enough(gap: str, words: int) -> bool:
    """Cue and date are in one sentence, within `words` words, with no other finding between
    them except a name (see the module notes)."""
    if any(char in _MASK_KIND and char not in _NOT_A_BARRIER for char in gap):
        return False
    if _SENTENCE_BREAK_RE.search(gap):
        return False
    if "\n" in gap and any(char.isalpha() for char in gap):
        return False  # a new line ends the sentence, unless only "DOB:\n" separates them
    # Findings next to each other count as one word, as they may be published as one label.
    return len(_MASK_RUNS_RE.sub("\ue000", gap).split()) <= words


def _dates_of_birth(masked: str, numbers: str) -> list[tuple[int, int]]:
    dates = _full_dates(numbers)
    found = []
    for cue in _DOB_BEFORE_RE.finditer(masked):
        after = [date for date in dates if date[0] >= cue.end()]
        if after and _close_enough(masked[cue.end() : after[0][0]], _DOB_WORDS_BEFORE):
            found.append(after[0])
    for cue in _DOB_AFTER_RE.finditer(masked):
        before = [date for date in dates if date[1] <= cue.start()]
        if before and _close_enough(masked[before[-1][1] : cue.start()], _DOB_WORDS_AFTER):
            found.append(before[-1])
    return found


# --- Names -------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*")
# A word in any script, combining marks included; no digits, punctuation or masks.
_ANY_WORD_RE = re.compile(
    r"[^\s\d!-/:-@\[-`{-~\u00a0-\u00bf\u2000-\u206f\u060c\u061b\u061f\u066a-\u066d\u06d4"
    r"\u0964\u0965\u3000-\u303f\ue000-\uf8ff\ufeff]+"
)
_SPACE_RE = re.compile(r"[ \t]*")
_DIGIT_NEXT = re.compile(r"\d")  # "LE1", "B12": a word running into digits is not a name
_CUE_END = r"(?![^\W_])[ \t]*[:,\-–—]?[ \t]*(?:\r?\n[ \t]*)?"


def _words_re(words: str) -> str:
    """An alternation of space-separated phrases ("|" between them), longest first."""
    phrases = sorted((p.strip() for p in words.split("|") if p.strip()), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases) + ")"


_TITLE_RE = re.compile(
    r"(?<![^\W_])(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|MR|MRS|MS|MISS|DR|PROF)\.?[ \t]+(?=[^\W\d_])"
)
_ROLES = (
    "nurse|staff nurse|charge nurse|doctor|dr|consultant|psychiatrist|psychologist|therapist|"
    "counsellor|counselor|social worker|care coordinator|care co-ordinator|coordinator|"
    "key worker|keyworker|support worker|peer support worker|healthcare assistant|hca|cpn|"
    "matron|sister|ward manager|manager|receptionist|pharmacist|occupational therapist|ot|"
    "gp|midwife|health visitor|paramedic|advocate|chaplain|practitioner|officer|worker|"
    "pan|pani|panią|panem|panu|pana|lekarz|lekarka|pielęgniarka|pielęgniarz|doktor|"
    "dhakhtar|dhakhtarka|kalkaaliye|kalkaaliyaha"
)
_INTRO_LOWER_OK = (
    "my name is|my name's|my names|name:|surname:|name -|i am called|i'm called|im called|"
    "nazywam się|nazywam sie|mam na imię|mam na imie|magacaygu waa|"
    "magacayga waa|magacaygu|magacayga|magacaa"
)
_INTRO = "name is|name was|name's|called|named|known as|call me|signed|aka"
_SIGN_OFFS = (
    "thanks|thank you|thankyou|thank u|thx|many thanks|thanks again|thanks so much|"
    "thank you so much|thank you very much|kind regards|best regards|warm regards|regards|"
    "best wishes|all the best|yours sincerely|yours faithfully|yours truly|sincerely|cheers|"
    "dear|hi|hello|hey|hiya|good morning|good afternoon|pozdrawiam|z poważaniem|dziękuję|"
    "dziekuje|mahadsanid|salaan"
)
_WEAK_SIGN_OFFS = "love|best|from|signed|regards|x|xx|xxx"
_MEETING = (
    "spoke to|spoke with|speak to|speak with|speaking to|speaking with|spoken to|talked to|"
    "talked with|talk to|talking to|seen by|saw|see|met|met with|meet|told|asked|asked for|"
    "ask for|helped by|supported by|looked after by|cared for by|treated by|visited by|"
    "called by|phoned by|thanks to|thank|thanked|praise for|shout out to|shoutout to|rang|"
    "phoned|emailed|messaged|contacted"
)
_RELATIONS = (
    "son|daughter|husband|wife|partner|mum|mom|mother|dad|father|brother|sister|child|kid|"
    "friend|carer|grandson|granddaughter|grandmother|grandfather|grandma|grandad|granddad|"
    "nan|nana|boyfriend|girlfriend|fiance|fiancé|fiancee|fiancée|nephew|niece|aunt|auntie|"
    "uncle|cousin|neighbour|neighbor|relative|stepson|stepdaughter|son-in-law|"
    "daughter-in-law|mother-in-law|father-in-law"
)
_RELATION_WORDS = (
    "wiilkayga|wiilkaygii|gabadhayda|inantayda|ninkayga|xaaskayga|hooyaday|hooyadey|aabahay|"
    "walaalkay|walaashay|mój syn|moja córka|mój mąż|moja żona|mój brat|moja siostra|"
    "moja mama|mój tata|mojej córki|mojego syna"
)

_CUES_CAPITALISED = re.compile(
    r"(?<![^\W_])(?:"
    + "|".join(
        [
            r"(?:my|our|his|her|their|your)\s+(?:(?:late|little|older|younger|eldest|youngest|"
            r"elder|baby|big|twin|step|grand)[ \-]?)?" + _words_re(_RELATIONS),
            _words_re("|".join([_ROLES, _INTRO, _SIGN_OFFS, _MEETING, _RELATION_WORDS])),
        ]
    )
    + ")"
    + _CUE_END,
    re.IGNORECASE,
)
_CUES_LOWER_OK = re.compile(
    r"(?<![^\W_])" + _words_re(_INTRO_LOWER_OK) + _CUE_END,
    re.IGNORECASE,
)
_WEAK_SIGN_OFF_RE = re.compile(
    r"(?<![^\W_])"
    + _words_re(_WEAK_SIGN_OFFS)
    + r"(?:[ \t]*[,:][ \t]*(?:\r?\n[ \t]*)?|[ \t]*\r?\n[ \t]*)",
    re.IGNORECASE,
)
# Urdu, Arabic, Punjabi and Gujarati: "my name is" (strong: the next words are taken) and
# doctor or nurse (weak: the next word is taken only if it is a known name or an honorific
# follows it, as adjectives often follow these words: "الممرضة لطيفة", the nurse is kind).
_NON_LATIN_INTROS = (
    "میرا نام|میرا ناں|مرا نام|میرا اسم|اسمي|اسمي هو|اسمي هي|إسمي|إسمي هو|إسمي هي|اسمی|نام|"
    "ਮੇਰਾ ਨਾਮ|ਮੇਰਾ ਨਾਂ|ਨਾਮ|મારું નામ|મારુ નામ|નામ"
)
_NON_LATIN_ROLES = (
    "ڈاکٹر|ڈاکٹرز|نرس|الدكتورة|الدكتور|دكتورة|دكتور|الممرضة|الممرض|ممرضة|"
    "ਡਾਕਟਰ|ਡਾ.|ਨਰਸ|ડૉક્ટર|ડોક્ટર|ડૉ.|ડો.|નર્સ"
)
_NON_LATIN_CUE_END = r"(?![^\W\d_])[ \t]*[:،,\-]?[ \t]*"
_NON_LATIN_INTRO_RE = re.compile(
    r"(?<![^\W\d_])" + _words_re(_NON_LATIN_INTROS) + _NON_LATIN_CUE_END
)
_NON_LATIN_ROLE_RE = re.compile(r"(?<![^\W\d_])" + _words_re(_NON_LATIN_ROLES) + _NON_LATIN_CUE_END)
_ARABIC_CUES = frozenset(
    ["اسمي", "إسمي", "اسمي هو", "اسمي هي", "إسمي هو", "إسمي هي", "الدكتورة", "الدكتور", "دكتورة"]
    + ["دكتور", "الممرضة", "الممرض", "ممرضة"]
)
_HONORIFICS = frozenset("صاحب صاحبہ جی ਜੀ ਸਾਹਿਬ જી સાહેબ ભાઈ બેન".split())
# Common names written in these scripts, found anywhere (words that are also everyday words,
# such as حسن "good", نور "light", علي "on me", are left out).
_KNOWN_NON_LATIN_NAMES = frozenset(
    """
    محمد محمّد احمد أحمد علی عمر عثمان ابراہیم إبراهيم یوسف يوسف خان فاطمہ فاطمة عائشہ عائشة
    زینب زينب مریم مريم آمنہ عمران بلال طارق آصف خالد شاہد وسیم فیصل عدنان رضوان صائمہ سعدیہ
    نادیہ شازیہ یاسمین پروین نسرین حفصہ خدیجہ خديجة مصطفى مصطفیٰ محمود حامد ليلى سلمى ريم رانيا
    سمير سارہ سارة بیگم حسین حسين
    ਸਿੰਘ ਕੌਰ ਹਰਪ੍ਰੀਤ ਗੁਰਪ੍ਰੀਤ ਜਸਪ੍ਰੀਤ ਮਨਪ੍ਰੀਤ ਸਿਮਰਨ ਅਮਨਦੀਪ ਨਵਦੀਪ ਸੁਖਦੀਪ ਗੁਰਦੀਪ ਕੁਲਦੀਪ ਜਸਵਿੰਦਰ
    ਪਰਮਿੰਦਰ ਰੁਪਿੰਦਰ ਬਲਵਿੰਦਰ ਮਨਜੀਤ ਰਣਜੀਤ ਸੁਰਜੀਤ ਹਰਜੀਤ ਇੰਦਰਜੀਤ ਗੁਰਮੀਤ ਸਤਨਾਮ ਰਵਿੰਦਰ ਰਾਜਿੰਦਰ
    પટેલ શાહ મિસ્ત્રી રમેશ સુરેશ મહેશ દિનેશ મુકેશ પ્રિયા પૂજા અંજલિ સુનિતા અનિતા મીના નેહા નિશા
    રેખા ઉષા ભાવના હેતલ જ્યોતિ અમિત અનિલ સુનિલ વિજય રાજેશ દીપક નિલેશ હિતેશ જયેશ કલ્પેશ ભાવેશ
    કેતન
    """.split()
)
_NAME_MASK = re.escape(_MASK[Kind.NAME])
_AFTER_NAME_RE = re.compile(_NAME_MASK + r"+(?:, and | and | & | )(?=[^\W\d_])")
_BEFORE_NAME_RE = re.compile(
    r"(?<![^\W_])(?P<word>[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*) (?:and|&) (?="
    + _NAME_MASK
    + ")"
)
_INITIAL_BEFORE_NAME_RE = re.compile(r"(?<![^\W_])[^\W\d_]\. (?=" + _NAME_MASK + ")")

# Capitalised words that follow cues but are not names (compared in lower case).
_NOT_NAMES = frozenset(
    """
    i i'm im i've ive i'll i'd me my mine myself you your yours he him his she her hers it its we
    us our they them their this that these those a an the and or but so if because as at by for
    from in into of on onto to with without about after before again also all any some every each
    no not nor yes ok okay is are was were be been being am do does did done have has had will
    would can could should shall may might must there here then than when what which who whom whose
    why how where while very just only too still even really please thanks thank sorry hello hi
    dear regards best kind many much more most less well good great excellent lovely amazing
    brilliant nice poor bad terrible awful rude helpful everyone everybody someone somebody anyone
    nobody none team staff sir madam concern today yesterday tomorrow tonight morning afternoon
    evening night week weekend month year everything nothing something anything xx xxx love
    wishes sincerely faithfully truly again
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri
    sat sun january february march april june july august september october november december jan
    feb mar apr jun jul aug sep sept oct nov dec
    mr mrs ms miss mx dr prof sister nurse nurses doctor doctors consultant psychiatrist
    psychologist therapist counsellor counselor social worker care coordinator co-ordinator key
    support healthcare assistant matron manager receptionist reception pharmacist occupational gp
    gps cpn ot hca rmn sho registrar junior senior practitioner advocate chaplain paramedic police
    officer security student volunteer midwife health visitor clinician lead head ward wards unit
    hospital clinic centre center service services crisis home treatment community mental trust
    nhs pals camhs cmht crht htt picu iapt a&e ae er icu uk dept department surgery practice
    pharmacy ambulance emergency samaritans mind council court line helpline talking therapies
    therapy inpatient outpatient admission discharge appointment letter phone email number
    address postcode date birth dob born name names called named subject re fw fwd ps note
    feedback complaint compliment comment question answer
    english british urdu punjabi gujarati hindi bengali polish somali arabic farsi kurdish pashto
    tamil romanian portuguese black white asian african caribbean muslim hindu sikh christian
    jewish islam god allah jesus ramadan eid diwali christmas easter vaisakhi
    pan pani panią panu pana panem na w z że nie tak jest był była bardzo dziękuję dziekuje
    dzień dobry proszę oraz lub ale od do po przez dla który która mój moja moje mi mnie jego jej
    szpital lekarz lekarka pielęgniarka doktor pozdrawiam
    waa iyo oo ee ka ku u la aan ay uu waxaan waxay wuxuu mahadsanid haa maya dhakhtar dhakhtarka
    kalkaaliye isbitaalka
    """.split()
)
_NON_LATIN_NOT_NAMES = frozenset(
    """
    ہے ہیں ہوں تھا تھی تھے اور نے کو سے کا کی کے میں پر بھی بہت صاحب صاحبہ جی یہ وہ ہم آپ نہیں ہو
    کہ نام ڈاکٹر نرس
    هو هي في من على إلى الى عن و كان كانت جدا انا أنا
    ਹੈ ਹਨ ਸੀ ਨੇ ਨੂੰ ਤੋਂ ਦਾ ਦੀ ਦੇ ਵਿੱਚ ਅਤੇ ਜੀ ਬਹੁਤ ਸਾਹਿਬ ਮੈਂ ਮੇਰਾ ਮੇਰੀ ਨਾਮ
    છે હતા હતી હતો એ ને થી નો ની નું ના માં અને જી સાહેબ બહુ ખૂબ હું મારું મારી મારો નામ
    """.split()
    + _NON_LATIN_ROLES.split("|")
    + list(_HONORIFICS)
)

# Common first names and surnames in the communities the trusts serve, left out when they are
# also everyday words (see the module notes). Matched only when capitalised or in capitals.
_KNOWN_NAMES = frozenset(
    """
    james john robert michael david william richard thomas tom daniel dan matthew matt andrew andy
    christopher chris paul peter steven stephen steve simon mark jonathan jon adam ben benjamin sam
    samuel joe joseph jack harry george charlie oliver jake luke ryan gary kevin ian neil nick
    nicholas alex alexander tony anthony martin jason lee scott craig darren dean carl phil philip
    graham keith colin alan gareth sean liam kieran callum connor jamie josh joshua ashley lewis
    nathan aaron bob
    mary sarah sara emma emily jessica jess hannah laura lauren rachel rebecca becky claire clare
    karen helen julie susan sue lisa michelle nicola nicky kelly louise lucy amy charlotte sophie
    sophia olivia ella chloe megan katie kate catherine katherine victoria vicky jennifer jenny
    elizabeth liz beth anne ann angela alison amanda joanne jo gemma natalie zoe leanne stacey
    samantha tracey tracy donna janet jane margaret linda patricia deborah debbie carol sharon
    diane wendy jackie jacqueline paula sandra denise caroline fiona heather jill kim maria marie
    natasha tasha abigail abbie holly jade georgia lily mia ruby freya isla poppy evie esther ruth
    naomi eleanor ellie harriet alice molly shannon danielle kirsty kayleigh bethany toni
    kwame kofi ama abena chidi chinedu ngozi adebayo oluwaseun tunde femi funmi tendai tatenda nia
    shanice tyrone jermaine marcus andre leroy delroy winston errol desmond marlon kemi yemi segun
    emeka obi chioma
    mohammed mohammad muhammad mohamed ahmed ahmad ali hassan hussain hussein imran irfan bilal
    usman omar umar tariq asif arif khalid zahid shahid sajid wasim naveed faisal adnan yasir zain
    ayaan ibrahim ismail yusuf yousef abdul abdullah rashid rizwan saima sadia ayesha aisha fatima
    fatma zainab maryam mariam amina aminah nadia noor nazia shabana rubina farah hina sana samina
    shazia yasmin yasmeen rukhsana parveen nasreen bushra iqra hafsa khadija
    raj rajesh ramesh suresh mahesh dinesh mukesh sanjay sanjeev amit anil sunil vijay vikram
    arjun rohan rahul ravi deepak ashok pradeep nilesh hitesh jayesh kalpesh bhavesh ketan manoj
    nitin pankaj prakash hemant kishore dilip priya pooja puja anjali sunita anita sita gita geeta
    meena neha nisha rekha asha usha hema kavita kiran bhavna hetal jyoti mina nita rita shilpa
    smita sonal trupti komal payal
    harpreet gurpreet jaspreet manpreet simranjit simran amandeep amanpreet navdeep sukhdeep
    gurdeep kuldeep jasvinder jaswinder parminder rupinder harjinder balwinder sukhwinder
    kulwinder manjit ranjit surjit harjit inderjit baljit gurmeet harvinder satnam jagdeep
    ravinder rajinder rajvinder tejinder gurinder hardeep mandeep kamaljit sukhjit davinder
    jatinder arvinder
    anna katarzyna kasia agnieszka małgorzata gosia magdalena magda joanna ewa monika krystyna
    barbara dorota beata aleksandra ola natalia karolina paulina justyna marta zofia piotr
    krzysztof tomasz paweł michał marcin marek łukasz jakub kuba andrzej stanisław wojciech
    grzegorz mateusz kamil bartosz bartek dariusz mariusz rafał sebastian przemysław artur
    zbigniew jerzy tadeusz janusz maciej
    abdi abdirahman abdullahi abdiaziz abdikarim abdiqani mohamud mahamed hodan hawa sahra saynab
    faadumo fadumo filsan ifrah ubah khadra ladan ayan asad jama warsame hamza idil deeqa nimco
    sagal hibo hamdi kaltun suad ismahan yasin liban guled mukhtar farhan bashir osman
    mustafa mahmoud youssef hamid layla leila salma huda reem rania samir karim kareem nour
    patel khan singh kaur shah begum bibi mistry parmar chauhan sharma sandhu sidhu dhillon bains
    kumar mehta desai joshi smith jones williams brown taylor davies evans wilson johnson roberts
    robinson thompson wright walker clarke jackson hughes edwards harris kowalski kowalska nowak
    wiśniewski wiśniewska wójcik kowalczyk kamiński kamińska lewandowski lewandowska zieliński
    zielińska szymański woźniak dąbrowski
    """.split()
)


def _looks_like_name(word: str, *, lower_ok: bool) -> bool:
    lower = word.lower()
    if lower in _NOT_NAMES:
        return False
    if word.isupper() and len(word) <= 3:
        return lower in _KNOWN_NAMES  # "ALI" and "JO", not "CPN" or "LE"
    if word[0].isupper():
        return True
    return lower_ok and word.islower()


def _name_after(
    text: str, position: int, *, lower_ok: bool = False, initials: bool = False, most: int = 4
) -> tuple[int, int] | None:
    """The span of up to `most` name words starting at position (after spaces), or None."""
    position = _SPACE_RE.match(text, position).end()
    start = end = None
    for _ in range(most):
        match = _WORD_RE.match(text, position)
        if match is None or _DIGIT_NEXT.match(text, match.end()):
            break
        word, word_end = match.group(), match.end()
        possessive = len(word) > 2 and word[-2:] in ("'s", "’s")
        if possessive:
            word, word_end = word[:-2], word_end - 2
        if len(word) == 1 and word.isupper():
            if not initials:
                break
            if text.startswith(".", word_end):
                word_end += 1
        elif not _looks_like_name(word, lower_ok=lower_ok):
            break
        start = match.start() if start is None else start
        end = word_end
        if possessive or not text.startswith(" ", end):
            break
        position = end + 1
    return None if start is None else (start, end)


def _words_after(
    text: str, position: int, *, arabic: bool = False, most: int = 2
) -> tuple[int, int] | None:
    """Up to `most` words in any script (Urdu, Arabic, Punjabi, Gujarati), stopping at small
    words ("ہے", "ਹੈ", "છે", "هو"...). After an Arabic cue a second word starting with the
    joined "و" (and) or "ال" (the) is not taken."""
    position = _SPACE_RE.match(text, position).end()
    start = end = None
    for count in range(most):
        match = _ANY_WORD_RE.match(text, position)
        if match is None or _DIGIT_NEXT.match(text, match.end()):
            break
        word = match.group()
        if word in _NON_LATIN_NOT_NAMES or word.lower() in _NOT_NAMES:
            break
        if word[0] < "\u0250" and not _looks_like_name(word, lower_ok=False):
            break  # a Latin-script word here must be capitalised, like any other name
        if arabic and count > 0 and word.startswith(("و", "ال")):
            break
        start = match.start() if start is None else start
        end = match.end()
        if not text.startswith(" ", end):
            break
        position = end + 1
    return None if start is None else (start, end)


def _known_or_honoured(text: str, start: int, end: int) -> bool:
    """The words are, or start with, a known name, or an honorific follows them."""
    if text[start:end].split()[0] in _KNOWN_NON_LATIN_NAMES:
        return True
    following = _ANY_WORD_RE.match(text, end + 1)
    return following is not None and following.group() in _HONORIFICS


def _names(text: str) -> list[tuple[int, int]]:
    spans = []
    for cue in _TITLE_RE.finditer(text):
        spans.append(_name_after(text, cue.end(), initials=True))
    for pattern in (_CUES_CAPITALISED, _WEAK_SIGN_OFF_RE):
        for cue in pattern.finditer(text):
            spans.append(_name_after(text, cue.end()))
    for cue in _CUES_LOWER_OK.finditer(text):
        spans.append(_name_after(text, cue.end(), lower_ok=True, most=3))
    for cue in _NON_LATIN_INTRO_RE.finditer(text):
        arabic = cue.group().strip(" \t:،,-") in _ARABIC_CUES
        spans.append(_words_after(text, cue.end(), arabic=arabic))
    for cue in _NON_LATIN_ROLE_RE.finditer(text):
        arabic = cue.group().strip(" \t:،,-") in _ARABIC_CUES
        span = _words_after(text, cue.end(), arabic=arabic)
        if span and _known_or_honoured(text, *span):
            spans.append(span)
    for match in _ANY_WORD_RE.finditer(text):
        if match.group() in _KNOWN_NON_LATIN_NAMES:
            spans.append(match.span())
    for cue in _AFTER_NAME_RE.finditer(text):
        spans.append(_name_after(text, cue.end(), most=2))
    for match in _BEFORE_NAME_RE.finditer(text):
        if _looks_like_name(match.group("word"), lower_ok=False):
            spans.append(match.span("word"))
    for match in _INITIAL_BEFORE_NAME_RE.finditer(text):
        if match.group()[0].isupper() and match.group()[0] != "I":  # "so did I. Sarah..."
            spans.append((match.start(), match.start() + 2))
    for match in _WORD_RE.finditer(text):
        word, end = match.group(), match.end()
        if word[-2:] in ("'s", "’s"):
            word, end = word[:-2], end - 2
        if word.lower() in _KNOWN_NAMES and (word.istitle() or word.isupper()):
            surname = _name_after(text, end + 1, most=2) if text.startswith(" ", end) else None
            spans.append((match.start(), surname[1] if surname else end))
    return [span for span in spans if span is not None]
