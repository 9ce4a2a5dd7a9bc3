"""The MSF questionnaire: fixed, the same for every rater and every round.

Its five areas follow the domains of the Academy for Healthcare Science's Good
Scientific Practice (https://www.ahcs.ac.uk/standards/):
professional, scientific and clinical practice, research and innovation, and
clinical leadership. The wording of each question and the rating scale are this
installation's proposal, shown to raters and readers as such.
"""

PROVENANCE = "proposal"
PROPOSAL_NOTE = (
    "Questions proposed by this installation, grouped by the domains of Good "
    "Scientific Practice; not a published NSHCS questionnaire."
)
DOMAINS = {
    "professional": "Professional practice: acts with integrity, respects patients "
    "and colleagues, and works within the limits of their competence",
    "communication": "Communication: listens, explains clearly, and keeps patients "
    "and colleagues informed",
    "scientific": "Scientific and technical practice: careful, safe and reliable work "
    "that follows procedures and checks results",
    "teamwork": "Team working: cooperates, shares the load and asks for help when "
    "needed",
    "leadership": "Leadership and initiative: organises their work, takes "
    "responsibility and suggests improvements",
}
SCALE = {
    "concern": "A concern",
    "below": "Below what I would expect at this stage",
    "meets": "What I would expect at this stage",
    "above": "Better than I would expect at this stage",
    "unable": "I cannot comment",
}
# Only these count towards the average; "unable" is left out.
SCORES = {"concern": 1, "below": 2, "meets": 3, "above": 4}
FREE_TEXT = (
    ("well", "Something they do well", "A specific example helps them most."),
    ("better", "Something they could do better", "Say what they could try."),
)
TEXT_MAX = 3000
ROLES = {
    "clinical_scientist": "Clinical scientist",
    "technologist": "Clinical technologist or engineer",
    "doctor": "Doctor",
    "health_professional": "Nurse, radiographer or other health professional",
    "admin": "Administrative or clerical staff",
    "trainee": "Another trainee",
    "other": "Other",
}
