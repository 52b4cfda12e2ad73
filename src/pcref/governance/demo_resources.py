"""The demo resources page: the links the trust's own PCREF page gives (reference/pcref.md,
section 6), added through the services as the demo's steering group member.

Idempotent: it adds the links only when the demo trust has no resources yet.
"""

from django.db import transaction

from pcref.core.demo import refuse_in_production
from pcref.core.models import Organisation, User
from pcref.governance import resources
from pcref.governance.models import Resource

Kind = Resource.Kind
DEMO_RESOURCES = [
    (
        Kind.NATIONAL_GUIDANCE,
        "Patient and carer race equality framework (NHS England)",
        "https://www.england.nhs.uk/mental-health/advancing-mental-health-equalities/pcref/",
        "What PCREF is, its three parts and what every mental health trust must do.",
    ),
    (
        Kind.NATIONAL_GUIDANCE,
        "The framework in full (NHS England publication)",
        "https://www.england.nhs.uk/publication/patient-and-carer-race-equality-framework/",
        "The framework document and its supporting documents.",
    ),
    (
        Kind.NATIONAL_GUIDANCE,
        "Care Quality Commission: how CQC looks at PCREF",
        "https://www.cqc.org.uk/guidance-providers/nhs-trusts/pcref",
        "How inspectors check the way a trust puts the framework into practice.",
    ),
    (
        Kind.NATIONAL_GUIDANCE,
        "Mental Health Act 1983: Code of Practice",
        "https://www.gov.uk/government/publications/code-of-practice-mental-health-act-1983",
        "The guidance on how the Mental Health Act must be used, on GOV.UK.",
    ),
    (
        Kind.EASY_READ,
        "The Mental Health Act (easy read)",
        "https://www.nhs.uk/mental-health/social-care-and-your-rights/mental-health-and-the-law/"
        "mental-health-act-easy-read/",
        "Easy read leaflets about your rights if you are detained in hospital, on the NHS website.",
    ),
    (
        Kind.RELATED_PROGRAMME,
        "Together Against Racism",
        "https://www.leicspart.nhs.uk/",
        "Our joint programme with Northamptonshire Healthcare NHS Foundation Trust, on three "
        "pillars: workforce; patients and service users; community.",
    ),
    (
        Kind.RELATED_PROGRAMME,
        "NHS Race and Health Observatory",
        "https://www.nhsrho.org/",
        "Research and advice on ethnic inequalities in health and care.",
    ),
    (
        Kind.OTHER,
        "Get involved with the trust",
        "https://www.leicspart.nhs.uk/involving-you/involving-you/",
        "Ways to take part in the trust's work, including PCREF.",
    ),
]


@transaction.atomic
def load_resources_demo(trust_ods_code: str = "RT5") -> int:
    """Load the demo links; returns how many were added."""
    refuse_in_production()
    trust = Organisation.objects.get(ods_code=trust_ods_code)
    if Resource.objects.filter(organisation=trust).exists():
        return 0
    lead = User.objects.get(username="steering")
    for kind, title, url, description in DEMO_RESOURCES:
        resources.add_resource(
            trust,
            {"kind": kind, "title": title, "url": url, "description": description},
            by=lead,
        )
    return len(DEMO_RESOURCES)
