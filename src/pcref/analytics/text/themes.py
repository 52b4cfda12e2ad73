"""The theme framework: NHS patient experience framework v6 categories plus the PCREF themes."""

# Keys are snake_case and permanent (suggestions and triage decisions store them). The NHS
# labels are the column names of the v6 coded data set, with one spelling fixed ("Referals");
# `source_column` keeps the exact column name so coded CSVs map onto keys without guessing.
# Keyword lists are hand-written for the zero-data fallback: they only have to be good enough
# to put a theme in front of a person, who confirms or changes it.

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

NHS_V6 = "nhs_v6"
PCREF = "pcref"


@dataclass(frozen=True)
class Theme:
    """One theme a piece of feedback can be about.

    Attributes:
        key: snake_case identifier stored with suggestions and decisions.
        label: the name a person sees.
        group: "nhs_v6" (NHS patient experience qualitative framework v6) or "pcref".
        description: one sentence on what belongs here.
        keywords: phrases for the keyword fallback. Lower case; a word ending in "*" matches
            any ending ("restrain*"), and "..." stands for up to three words in between
            ("family ... not told").
        source_column: the column name in NHS v6 coded data, when it differs from `label`.
    """

    key: str
    label: str
    group: str
    description: str
    keywords: tuple[str, ...] = ()
    source_column: str | None = None

    @property
    def column(self) -> str:
        """The column this theme has in coded data (the NHS v6 name, or the label)."""
        return self.source_column or self.label

    @cached_property
    def _patterns(self) -> tuple[tuple[str, re.Pattern], ...]:
        # "wasn't told" and "was not told" normalise alike: keep one, so one mention counts once.
        unique = {normalise_text(phrase): phrase for phrase in reversed(self.keywords)}
        return tuple((phrase, _phrase_pattern(phrase)) for phrase in reversed(unique.values()))

    def keyword_matches(self, text: str) -> list[str]:
        """The keyword phrases found in `text` (already normalised or not).

        >>> theme_by_key("language_and_interpreters").keyword_matches("No interpreter came.")
        ['interpreter*']
        """
        normalised = normalise_text(text)
        return [phrase for phrase, pattern in self._patterns if pattern.search(normalised)]


def normalise_text(text: str) -> str:
    """Lower case, straight apostrophes, "n't" as " not", "&" as "and", single spaces.

    >>> normalise_text("My family  WEREN’T told & nobody asked")
    'my family were not told and nobody asked'
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = re.sub(r"n't\b", " not", text)
    text = text.replace("&", " and ")
    return re.sub(r"\s+", " ", text).strip()


def _phrase_pattern(phrase: str) -> re.Pattern:
    parts = []
    for word in normalise_text(phrase).split(" "):
        if word == "...":
            parts.append(r"(?:\S+\s+){0,3}?")
        elif word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*\s+")
        else:
            parts.append(re.escape(word) + r"\s+")
    body = "".join(parts)
    body = body[: -len(r"\s+")] if body.endswith(r"\s+") else body
    return re.compile(r"(?<!\w)" + body + r"(?!\w)")


def column_key(column: str) -> str:
    """The snake_case key for a column name: "&" reads "and", other punctuation goes.

    >>> column_key("Transport to/ from services")
    'transport_to_from_services'
    >>> column_key("Cleanliness, tidiness & infection control")
    'cleanliness_tidiness_and_infection_control'
    """
    text = unicodedata.normalize("NFKC", column).lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _nhs(label, description, keywords=(), source_column=None):
    return Theme(
        key=column_key(label),
        label=label,
        group=NHS_V6,
        description=description,
        keywords=tuple(keywords),
        source_column=source_column,
    )


def _pcref(key, label, description, keywords):
    return Theme(key=key, label=label, group=PCREF, description=description, keywords=keywords)


# In the column order of the v6 coded data.
NHS_V6_THEMES: tuple[Theme, ...] = (
    _nhs(
        "Not assigned",
        "The comment says nothing that fits a category, such as 'nothing to improve'.",
        [
            "nothing to improve",
            "nothing really",
            "no improvement*",
            "can't think of anything",
            "nothing i can think of",
            "nothing comes to mind",
        ],
    ),
    _nhs(
        "Organisation & efficiency",
        "How well the service is organised and run: systems, processes, admin and mix-ups.",
        [
            "disorganised",
            "badly organised",
            "well organised",
            "organisation",
            "efficient*",
            "inefficien*",
            "paperwork",
            "admin*",
            "bureaucra*",
            "mix up",
            "mix-up",
            "lost my",
        ],
    ),
    _nhs(
        "Funding & use of financial resources",
        "Money: funding, cuts, costs, and how resources are spent.",
        [
            "funding",
            "underfunded",
            "cuts",
            "budget*",
            "more money",
            "cost*",
            "waste of money",
            "resources",
        ],
    ),
    _nhs(
        "Staff manner & personal attributes",
        "How staff come across: kind, caring, polite, friendly, or rude and dismissive.",
        [
            "kind",
            "kindness",
            "caring",
            "friendly",
            "polite",
            "helpful",
            "compassion*",
            "respectful",
            "lovely staff",
            "rude",
            "rudeness",
            "dismissive",
            "unfriendly",
            "patient and",
            "attitude",
            "nice staff",
            "courteous",
            "professional",
        ],
    ),
    _nhs(
        "Number & deployment of staff",
        "Staffing levels: too few staff, agency staff, staff stretched or moved around.",
        [
            "short staffed",
            "short-staffed",
            "understaffed",
            "more staff",
            "not enough staff",
            "staffing",
            "agency staff",
            "bank staff",
            "overstretched",
            "stretched",
            "busy staff",
        ],
    ),
    _nhs(
        "Staff responsiveness",
        "How quickly and readily staff respond to requests, calls and needs.",
        [
            "no one came",
            "nobody came",
            "ignored",
            "waited for staff",
            "buzzer",
            "call bell",
            "responded quickly",
            "came straight away",
            "didn't respond",
            "did not respond",
            "no response",
            "slow to respond",
        ],
    ),
    _nhs(
        "Staff continuity",
        "Seeing the same staff over time, or a change of worker, nurse or doctor.",
        [
            "same staff",
            "same nurse",
            "same doctor",
            "same worker",
            "different doctor",
            "different nurse",
            "different person each time",
            "keep changing",
            "changed my worker",
            "new care coordinator",
            "continuity",
        ],
    ),
    _nhs(
        "Competence & training",
        "Staff skills, knowledge and training; mistakes and how well care was delivered.",
        [
            "knowledgeable",
            "competent",
            "incompetent",
            "trained",
            "training",
            "skilled",
            "experienced",
            "inexperienced",
            "didn't know what",
            "did not know what",
            "mistake*",
            "expertise",
            "professional*",
        ],
    ),
    _nhs(
        "Unspecified communication",
        "Communication in general, without saying what kind.",
        ["communication", "communicate*", "poor communication", "good communication"],
    ),
    _nhs(
        "Staff listening, understanding & involving patients",
        "Being listened to, understood, taken seriously and involved in decisions.",
        [
            "listen*",
            "listened to",
            "not listened",
            "understanding",
            "understood",
            "took me seriously",
            "taken seriously",
            "involved me",
            "involve me",
            "heard",
            "empathy",
            "empathetic",
            "my views",
            "my opinion",
            "my choice*",
        ],
    ),
    _nhs(
        "Information directly from staff during care",
        "What staff explained during care: treatment, what would happen next, answers.",
        [
            "explained",
            "explain*",
            "explanation",
            "answered my questions",
            "told me what",
            "nobody told me",
            "no one told me",
            "kept me informed",
            "what was happening",
        ],
    ),
    _nhs(
        "Information provision & guidance",
        "Leaflets, websites, advice and guidance about services and conditions.",
        [
            "leaflet*",
            "information",
            "advice",
            "guidance",
            "website",
            "signpost*",
            "booklet",
            "more info",
            "where to go",
        ],
    ),
    _nhs(
        "Being kept informed, clarity & consistency of information",
        "Updates, clear and consistent messages, conflicting information.",
        [
            "kept informed",
            "keep me informed",
            "kept up to date",
            "updates",
            "update me",
            "conflicting",
            "mixed messages",
            "unclear",
            "clear information",
            "informed",
            "not told",
        ],
    ),
    _nhs(
        "Contacting services",
        "Getting through: phone lines, being on hold, calls returned, how to reach a team.",
        [
            "phone",
            "telephone",
            "on hold",
            "get through",
            "getting through",
            "called back",
            "call back",
            "ring back",
            "rang",
            "answer the phone",
            "contact the team",
            "email",
            "switchboard",
            "voicemail",
        ],
    ),
    _nhs(
        "Appointment arrangements",
        "Booking, cancelling, rescheduling and the timing of appointments.",
        [
            "appointment*",
            "booking",
            "booked",
            "cancelled",
            "rescheduled",
            "rearrange*",
            "reschedul*",
            "letter",
            "time slot",
            "clinic",
        ],
    ),
    _nhs(
        "Appointment method",
        "How appointments happen: face to face, phone, video, home visit.",
        [
            "face to face",
            "face-to-face",
            "video call",
            "video appointment",
            "phone appointment",
            "telephone appointment",
            "online appointment",
            "zoom",
            "teams call",
            "in person",
            "home visit*",
        ],
    ),
    _nhs(
        "Timeliness of care",
        "Waiting: waiting lists, delays, being seen quickly or late.",
        [
            "wait*",
            "waiting list",
            "waiting time*",
            "delay*",
            "late",
            "quick*",
            "prompt*",
            "on time",
            "hours",
            "weeks",
            "months",
            "took ages",
            "too long",
            "straight away",
        ],
    ),
    _nhs(
        "Pain management",
        "Pain relief and how pain was managed.",
        ["pain", "painkiller*", "pain relief", "in agony", "paracetamol", "morphine", "hurting"],
    ),
    _nhs(
        "Diagnosis & triage",
        "Assessment, diagnosis and being directed to the right care.",
        [
            "diagnos*",
            "assessment",
            "assessed",
            "triage",
            "misdiagnos*",
            "questions asked",
            "sent to a&e",
            "referred to a&e",
            "right place",
        ],
    ),
    _nhs(
        "Referrals & continuity of care",
        "Referrals between services and joined-up care across teams.",
        [
            "referral*",
            "referred",
            "refer me",
            "passed around",
            "passed from",
            "joined up",
            "handover",
            "transfer*",
            "between services",
            "between teams",
        ],
        source_column="Referals & continuity of care",
    ),
    _nhs(
        "Discharge",
        "Leaving a ward or service: planning, timing and support after discharge.",
        ["discharge*", "sent home", "left hospital", "after i left", "follow up after"],
    ),
    _nhs(
        "Care plans",
        "Care plans and care planning.",
        ["care plan*", "care planning", "crisis plan", "safety plan", "my plan"],
    ),
    _nhs(
        "Patient records",
        "Notes and records: accuracy, access and shared records.",
        ["records", "notes", "my file", "on the system", "wrong details", "medical history"],
    ),
    _nhs(
        "Cleanliness, tidiness & infection control",
        "How clean and tidy places are, hygiene and infection control.",
        [
            "clean*",
            "dirty",
            "filthy",
            "tidy",
            "untidy",
            "hygien*",
            "smell*",
            "infection",
            "hand gel",
            "mask*",
            "covid",
        ],
    ),
    _nhs(
        "Provision of medical equipment",
        "Equipment and aids: wheelchairs, beds, hoists and their upkeep.",
        [
            "equipment",
            "wheelchair",
            "hoist",
            "oxygen",
            "walking frame",
            "commode",
            "stretcher",
            "mobility aid*",
        ],
    ),
    _nhs(
        "Service location",
        "Where services are: distance, closeness to home, finding the building.",
        [
            "location",
            "close to home",
            "near home",
            "far away",
            "too far",
            "miles away",
            "local service",
            "hard to find",
            "out of area",
        ],
    ),
    _nhs(
        "Transport to/ from services",
        "Getting to and from services: transport, taxis, ambulances, drivers.",
        [
            "transport",
            "taxi*",
            "ambulance*",
            "driver*",
            "bus",
            "journey",
            "picked up",
            "pick up",
            "lift home",
            "travel*",
            "drove",
            "minibus",
        ],
    ),
    _nhs(
        "Parking",
        "Car parking: spaces and charges.",
        ["parking", "car park", "park the car", "parking space*", "parking charges"],
    ),
    _nhs(
        "Electronic entertainment",
        "Television, radio, wifi, games and phones on the ward.",
        [
            "tv",
            "television",
            "wifi",
            "wi-fi",
            "internet",
            "radio",
            "games console",
            "playstation",
            "xbox",
            "films",
            "music",
        ],
    ),
    _nhs(
        "Feeling safe",
        "Feeling safe or unsafe, including with other patients.",
        [
            "safe",
            "unsafe",
            "felt safe",
            "not safe",
            "scared",
            "frightened",
            "threatened",
            "afraid",
            "vulnerable",
            "secure",
        ],
    ),
    _nhs(
        "Patient appearance & grooming",
        "Personal care and appearance: washing, clothes, hair, shaving.",
        [
            "shower*",
            "washed",
            "wash my",
            "clothes",
            "clean clothes",
            "hair",
            "shave",
            "haircut",
            "toiletries",
            "personal care",
            "laundry",
        ],
    ),
    _nhs(
        "Mental Health Act",
        "Detention and rights under the Mental Health Act: sections, tribunals, leave.",
        [
            "mental health act",
            "sectioned",
            "section 2",
            "section 3",
            "section 136",
            "detained",
            "tribunal",
            "section 17",
            "leave was",
            "community treatment order",
            "cto",
            "my rights",
        ],
    ),
    _nhs(
        "Equality, Diversity & Inclusion",
        "Fair treatment, diversity, inclusion and accessibility for everyone.",
        [
            "equality",
            "diversity",
            "inclusion",
            "inclusive",
            "discriminat*",
            "disabilit*",
            "accessible",
            "wheelchair access",
            "lgbt*",
            "gender",
            "race",
            "racism",
            "treated fairly",
            "treated differently",
        ],
    ),
    _nhs(
        "Admission",
        "Coming into a ward or service: the admission process and waiting for a bed.",
        ["admission", "admitted", "admit", "a bed", "bed became available", "no beds"],
    ),
    _nhs(
        "Safeguarding concerns?",
        "The comment may raise a safeguarding concern that needs action now.",
        [
            "abuse*",
            "abusive",
            "neglect*",
            "assault*",
            "hit me",
            "harm",
            "self harm",
            "self-harm",
            "suicid*",
            "kill myself",
            "end my life",
            "unsafe at home",
        ],
    ),
    _nhs(
        "Labelling not possible",
        "There is no usable text: no answer, or words that cannot be understood.",
        ["did not answer", "no answer", "no comment*", "n/a", "not applicable", "no response"],
    ),
    _nhs(
        "Environment & Facilities",
        "Buildings and rooms: comfort, space, furniture, toilets, noise, temperature.",
        [
            "ward",
            "building",
            "room",
            "bedroom",
            "furniture",
            "toilet*",
            "bathroom",
            "lounge",
            "garden",
            "facilities",
            "environment",
            "comfortable",
            "uncomfortable",
            "heating",
            "too hot",
            "too cold",
        ],
    ),
    _nhs(
        "Supplying & understanding medication",
        "Medication: getting it on time, side effects, and understanding what it is for.",
        [
            "medication",
            "medicine*",
            "tablet*",
            "prescription*",
            "prescribed",
            "side effect*",
            "dose",
            "injection",
            "depot",
            "pharmacy",
            "pills",
        ],
    ),
    _nhs(
        "Activities & access to fresh air",
        "Things to do and getting outside: activities, groups, exercise, fresh air.",
        [
            "activities",
            "activity",
            "bored",
            "boring",
            "nothing to do",
            "fresh air",
            "outside",
            "garden",
            "gym",
            "exercise",
            "walk*",
            "groups",
            "art",
            "cooking",
            "occupational",
        ],
    ),
    _nhs(
        "Food & drink provision & facilities",
        "Meals, snacks and drinks, and the facilities to make them.",
        [
            "food",
            "meal*",
            "breakfast",
            "lunch",
            "dinner",
            "tea",
            "coffee",
            "drink*",
            "snack*",
            "menu",
            "hungry",
            "kitchen",
            "portion*",
        ],
    ),
    _nhs(
        "Sensory experience",
        "Noise, light, smells and other sensory aspects of a place.",
        ["noise", "noisy", "loud", "quiet", "lighting", "bright light*", "smell*", "too dark"],
    ),
    _nhs(
        "Impact of treatment/ care",
        "What the care did for the person: feeling better, worse, recovery, life changed.",
        [
            "feel better",
            "feeling better",
            "helped me",
            "saved my life",
            "recovery",
            "made a difference",
            "improved",
            "worse",
            "turned my life",
            "back on track",
            "changed my life",
            "coping",
        ],
    ),
    _nhs(
        "Psychological therapy arrangements",
        "Talking therapies: access, number of sessions and the kind of therapy.",
        [
            "therapy",
            "therapist",
            "counselling",
            "counsellor",
            "cbt",
            "psychologist",
            "talking therap*",
            "sessions",
            "dbt",
            "emdr",
        ],
    ),
    _nhs(
        "Existence of services",
        "Whether a service exists at all, or is needed where there is none.",
        [
            "no service",
            "there is no",
            "should be a service",
            "no support available",
            "doesn't exist",
            "does not exist",
            "gap in services",
        ],
    ),
    _nhs(
        "Choice of services",
        "Choice between services, treatments or staff.",
        [
            "choice",
            "choose",
            "option*",
            "alternative*",
            "female doctor",
            "male doctor",
            "female staff",
            "male staff",
        ],
    ),
    _nhs(
        "Out of hours support (community services)",
        "Help evenings, nights and weekends from community services.",
        [
            "out of hours",
            "out-of-hours",
            "weekend*",
            "evening*",
            "night time",
            "at night",
            "after 5",
            "24 hour",
            "24/7",
            "crisis line",
        ],
    ),
    _nhs(
        "Learning organisation",
        "Learning from feedback, complaints and incidents, and changing as a result.",
        [
            "learn from",
            "lessons learned",
            "lessons learnt",
            "feedback",
            "complaint*",
            "nothing changed",
            "listen to feedback",
            "improve the service",
        ],
    ),
    _nhs(
        "Interaction with family/ carers",
        "How the service dealt with family and carers, and patients' contact with them.",
        [
            "family",
            "carer*",
            "my mum",
            "my dad",
            "my wife",
            "my husband",
            "my partner",
            "my son",
            "my daughter",
            "relatives",
            "visiting",
            "visitors",
            "next of kin",
        ],
    ),
    _nhs(
        "Negative experience & dissatisfaction",
        "General dissatisfaction, without a specific aspect.",
        [
            "terrible",
            "awful",
            "appalling",
            "disgusting",
            "disgraceful",
            "very poor",
            "disappointed",
            "disappointing",
            "unacceptable",
            "worst",
            "shocking",
            "horrible",
            "not happy",
            "let down",
            "useless",
        ],
    ),
    _nhs(
        "Positive experience & gratitude",
        "General praise and thanks, without a specific aspect.",
        [
            "thank you",
            "thanks",
            "grateful",
            "excellent",
            "brilliant",
            "fantastic",
            "amazing",
            "wonderful",
            "very good",
            "great service",
            "well done",
            "outstanding",
            "superb",
            "couldn't fault",
            "could not fault",
            "happy with",
        ],
    ),
)

PCREF_THEMES: tuple[Theme, ...] = (
    _pcref(
        "racism_or_discrimination",
        "Racism or discrimination",
        "Racism, racial abuse, or being treated differently because of ethnicity, colour, "
        "religion, culture or nationality.",
        (
            "racis*",
            "racial*",
            "race",
            "discriminat*",
            "prejudice*",
            "because of my colour",
            "because of my skin",
            "colour of my skin",
            "because i am black",
            "because i'm black",
            "because i am asian",
            "because i'm asian",
            "because of my race",
            "because of where i'm from",
            "because of my accent",
            "because of my religion",
            "stereotyp*",
            "treated differently",
            "treated me differently",
            "bias*",
            "unconscious bias",
            "islamophob*",
            "antisemit*",
            "xenophob*",
            "go back to your country",
            "go back to where you came from",
            "racial slur*",
            "n word",
            "profiled",
            "angry black",
            "because of my ethnicity",
        ),
    ),
    _pcref(
        "cultural_and_religious_needs",
        "Cultural and religious needs",
        "Faith, culture and customs: prayer, diet, dress, chaplaincy, festivals, gender of "
        "staff for personal care.",
        (
            "halal",
            "kosher",
            "vegetarian",
            "prayer*",
            "pray",
            "praying",
            "prayer room",
            "prayer mat",
            "quiet room",
            "chaplain*",
            "imam",
            "priest",
            "rabbi",
            "faith",
            "religio*",
            "spiritual*",
            "ramadan",
            "fasting",
            "eid",
            "diwali",
            "christmas",
            "mosque",
            "church",
            "temple",
            "gurdwara",
            "synagogue",
            "hijab",
            "headscarf",
            "turban",
            "my culture",
            "cultur*",
            "afro hair",
            "hair products",
            "skin care",
            "same-sex staff",
            "female staff",
            "male staff",
            "customs",
            "traditional",
        ),
    ),
    _pcref(
        "language_and_interpreters",
        "Language and interpreters",
        "Interpreters, translation and communication in the person's own language, including "
        "British Sign Language.",
        (
            "interpreter*",
            "interpreting",
            "translator*",
            "translat*",
            "my language",
            "my own language",
            "first language",
            "speak english",
            "speaks english",
            "spoke english",
            "no english",
            "little english",
            "english is not",
            "english isn't",
            "understand english",
            "language barrier",
            "language line",
            "languageline",
            "sign language",
            "bsl",
            "in urdu",
            "in punjabi",
            "in polish",
            "in bengali",
            "in arabic",
            "in somali",
            "in gujarati",
            "in romanian",
            "in portuguese",
            "in tigrinya",
            "in farsi",
            "in kurdish",
            "in cantonese",
            "in mandarin",
            "in tamil",
            "in pashto",
            "in turkish",
            "easy read",
            "my son had to translate",
            "my daughter had to translate",
            "had to translate",
        ),
    ),
    _pcref(
        "family_and_carer_involvement",
        "Family and carer involvement",
        "Whether family and carers were told, listened to and involved in care and decisions.",
        (
            "my family wasn't told",
            "my family was not told",
            "family ... not told",
            "family ... not informed",
            "family ... not involved",
            "family ... not contacted",
            "carer ... not told",
            "carer ... not involved",
            "carer ... not listened",
            "nobody told my",
            "no one told my",
            "nobody contacted my",
            "no one contacted my",
            "told my family",
            "involved my family",
            "involve my family",
            "involve the family",
            "involving the family",
            "my family",
            "as a carer",
            "i am a carer",
            "i'm a carer",
            "carer's assessment",
            "carers assessment",
            "next of kin",
            "family meeting*",
            "family therapy",
            "listened to my family",
            "ignored my family",
            "my mum was",
            "my mother was",
            "my wife was",
            "my husband was",
            "my partner was",
        ),
    ),
    _pcref(
        "sharing_personal_information",
        "Sharing personal information",
        "Consent and confidentiality: what personal information was shared, with whom, and "
        "whether people were asked.",
        (
            "confidential*",
            "privacy",
            "private information",
            "personal information",
            "personal details",
            "my details",
            "my information",
            "shared my",
            "share my",
            "sharing my",
            "without my consent",
            "without consent",
            "without asking me",
            "without permission",
            "consent",
            "data protection",
            "gdpr",
            "my records",
            "told my employer",
            "told my family without",
            "told the police",
            "passed on",
            "who can see",
            "access my notes",
            "wrong person",
        ),
    ),
    _pcref(
        "restrictive_practice",
        "Restrictive practice",
        "Restraint, seclusion, rapid tranquillisation, and other restrictions on freedom.",
        (
            "restrain*",
            "restraint",
            "held down",
            "held me down",
            "held him down",
            "held her down",
            "pinned down",
            "pinned me",
            "prone",
            "face down",
            "seclusion",
            "secluded",
            "locked in",
            "locked up",
            "locked door*",
            "locked ward",
            "rapid tranquil*",
            "forced medication",
            "forcibly",
            "injected me",
            "injection against my will",
            "against my will",
            "handcuff*",
            "police",
            "restriction*",
            "not allowed out",
            "no leave",
            "leave cancelled",
            "leave was cancelled",
            "searched",
            "strip search*",
            "observation*",
            "obs",
            "blanket rules",
            "confiscated",
            "phone taken",
        ),
    ),
)

THEMES: tuple[Theme, ...] = NHS_V6_THEMES + PCREF_THEMES

_BY_KEY = {theme.key: theme for theme in THEMES}
_BY_COLUMN = {name: theme for theme in THEMES for name in {theme.label, theme.column, theme.key}}

if len(_BY_KEY) != len(THEMES):  # pragma: no cover - guards hand edits above
    raise RuntimeError("two themes share a key")


def theme_by_key(key: str) -> Theme:
    """The framework theme with this key; KeyError naming the key if there is none."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"no theme has the key {key!r}") from None


def theme_for_column(column: str) -> Theme | None:
    """The framework theme a coded-data column stands for (by label, column name or key).

    >>> theme_for_column("Referals & continuity of care").key
    'referrals_and_continuity_of_care'
    >>> theme_for_column("Ward parties") is None
    True
    """
    stripped = column.strip()
    return _BY_COLUMN.get(stripped) or _BY_KEY.get(column_key(stripped))


def key_for_column(column: str) -> str:
    """The theme key for a column: the framework theme's key, else the column in snake_case."""
    theme = theme_for_column(column)
    return theme.key if theme else column_key(column)


def label_for_key(key: str) -> str:
    """A theme's label, or the key made readable for a trust's own theme."""
    theme = _BY_KEY.get(key)
    return theme.label if theme else key.replace("_", " ").capitalize()


@dataclass(frozen=True)
class KeywordHit:
    """A theme the keyword lists found in a text, with the phrases that matched."""

    theme_key: str
    phrases: tuple[str, ...] = field(default=())


def keyword_hits(text: str, themes: tuple[Theme, ...] = THEMES) -> list[KeywordHit]:
    """Every theme whose keywords appear in `text`: most phrases first, then PCREF themes
    (the more specific), then framework order.

    >>> [hit.theme_key for hit in keyword_hits("They held me down and no interpreter came")]
    ['language_and_interpreters', 'restrictive_practice']
    """
    normalised = normalise_text(text)
    hits = []
    for theme in themes:
        found = tuple(p for p, pattern in theme._patterns if pattern.search(normalised))
        if found:
            hits.append(KeywordHit(theme.key, found))
    group = {theme.key: theme.group for theme in themes}
    hits.sort(key=lambda hit: (-len(hit.phrases), group[hit.theme_key] != PCREF))
    return hits
