"""Theme names, marked for translation: the framework itself lives in pcref.analytics.text.themes.

A test fails when a theme of the framework is missing here: add its label by hand.
"""

from django.utils.translation import gettext_lazy as _

THEME_LABELS = {
    "not_assigned": _("Not assigned"),
    "organisation_and_efficiency": _("Organisation & efficiency"),
    "funding_and_use_of_financial_resources": _("Funding & use of financial resources"),
    "staff_manner_and_personal_attributes": _("Staff manner & personal attributes"),
    "number_and_deployment_of_staff": _("Number & deployment of staff"),
    "staff_responsiveness": _("Staff responsiveness"),
    "staff_continuity": _("Staff continuity"),
    "competence_and_training": _("Competence & training"),
    "unspecified_communication": _("Unspecified communication"),
    "staff_listening_understanding_and_involving_patients": _(
        "Staff listening, understanding & involving patients"
    ),
    "information_directly_from_staff_during_care": _("Information directly from staff during care"),
    "information_provision_and_guidance": _("Information provision & guidance"),
    "being_kept_informed_clarity_and_consistency_of_information": _(
        "Being kept informed, clarity & consistency of information"
    ),
    "contacting_services": _("Contacting services"),
    "appointment_arrangements": _("Appointment arrangements"),
    "appointment_method": _("Appointment method"),
    "timeliness_of_care": _("Timeliness of care"),
    "pain_management": _("Pain management"),
    "diagnosis_and_triage": _("Diagnosis & triage"),
    "referrals_and_continuity_of_care": _("Referrals & continuity of care"),
    "discharge": _("Discharge"),
    "care_plans": _("Care plans"),
    "patient_records": _("Patient records"),
    "cleanliness_tidiness_and_infection_control": _("Cleanliness, tidiness & infection control"),
    "provision_of_medical_equipment": _("Provision of medical equipment"),
    "service_location": _("Service location"),
    "transport_to_from_services": _("Transport to/ from services"),
    "parking": _("Parking"),
    "electronic_entertainment": _("Electronic entertainment"),
    "feeling_safe": _("Feeling safe"),
    "patient_appearance_and_grooming": _("Patient appearance & grooming"),
    "mental_health_act": _("Mental Health Act"),
    "equality_diversity_and_inclusion": _("Equality, Diversity & Inclusion"),
    "admission": _("Admission"),
    "safeguarding_concerns": _("Safeguarding concerns?"),
    "labelling_not_possible": _("Labelling not possible"),
    "environment_and_facilities": _("Environment & Facilities"),
    "supplying_and_understanding_medication": _("Supplying & understanding medication"),
    "activities_and_access_to_fresh_air": _("Activities & access to fresh air"),
    "food_and_drink_provision_and_facilities": _("Food & drink provision & facilities"),
    "sensory_experience": _("Sensory experience"),
    "impact_of_treatment_care": _("Impact of treatment/ care"),
    "psychological_therapy_arrangements": _("Psychological therapy arrangements"),
    "existence_of_services": _("Existence of services"),
    "choice_of_services": _("Choice of services"),
    "out_of_hours_support_community_services": _("Out of hours support (community services)"),
    "learning_organisation": _("Learning organisation"),
    "interaction_with_family_carers": _("Interaction with family/ carers"),
    "negative_experience_and_dissatisfaction": _("Negative experience & dissatisfaction"),
    "positive_experience_and_gratitude": _("Positive experience & gratitude"),
    "racism_or_discrimination": _("Racism or discrimination"),
    "cultural_and_religious_needs": _("Cultural and religious needs"),
    "language_and_interpreters": _("Language and interpreters"),
    "family_and_carer_involvement": _("Family and carer involvement"),
    "sharing_personal_information": _("Sharing personal information"),
    "restrictive_practice": _("Restrictive practice"),
}
