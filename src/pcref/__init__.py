"""PCREF Hub: the Patient and Carer Race Equality Framework in NHS mental health services."""
