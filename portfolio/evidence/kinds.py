"""What each kind of evidence asks for: guided reflections and WBA forms.

The structured answers live in ``Evidence.form``. Each kind lists its fields here
once; the web form, the API validation and the PDF all read this.
"""

from dataclasses import dataclass

from portfolio.evidence import types as evidence_types

KIND_LABELS = evidence_types.LABELS
WBA_KINDS = evidence_types.WBA_KINDS
RATINGS = {
    "below": "Below the expected level",
    "meets": "At the expected level",
    "above": "Above the expected level",
    "not_observed": "Not observed",
}
WBA_DOMAINS = {
    "dops": {
        "preparation": "Preparation and consent",
        "technical_skill": "Technical skill",
        "safety": "Safety and infection control",
        "communication": "Communication with patient and team",
        "documentation": "Documentation and follow-up",
    },
    "oce": {
        "assessment": "Clinical assessment",
        "communication": "Communication",
        "decision_making": "Clinical judgement and decisions",
        "professionalism": "Professionalism",
        "organisation": "Organisation and efficiency",
    },
    "cbd": {
        "knowledge": "Scientific knowledge applied to the case",
        "reasoning": "Reasoning and decision making",
        "record_keeping": "Record keeping",
        "professionalism": "Professionalism and ethics",
        "reflection": "Reflection and learning",
    },
}


@dataclass(frozen=True)
class TextField:
    name: str
    label: str
    hint: str = ""
    required: bool = True
    long: bool = True
    max_length: int = 10_000


# A reflection follows one of two models; answer every question of the one you use.
# 1. What / so what / now what.
WHAT_SO_WHAT_FIELDS = (
    TextField(
        "what_happened",
        "What happened?",
        "What / so what / now what: describe the event or activity, facts first.",
        required=False,
    ),
    TextField(
        "so_what",
        "So what?",
        "What did it mean? What did you learn, and how did it feel?",
        required=False,
    ),
    TextField(
        "now_what",
        "Now what?",
        "What will you do differently, and what do you need to learn next?",
        required=False,
    ),
)
# 2. The NSHCS model: reflection before, in, on and beyond action, the time points of
# the reflective practice guidance on Curriculum Library training activities (e.g.
# https://curriculumlibrary.nshcs.org.uk/stp/competency/S-CSC-S1-1/9 shows "Before
# action" and "In action"); the four dimensions are Edwards's (2017),
# https://doi.org/10.19043/ipdj.71.002. When NSHCS added the guidance (2026) is not
# confirmed.
NSHCS_REFLECTION_FIELDS = (
    TextField(
        "before_action",
        "Before action",
        "NSHCS model: before the activity, what did you expect, what did you know "
        "already and what did you want to learn?",
        required=False,
    ),
    TextField(
        "in_action",
        "In action",
        "During the activity: what did you notice and decide, and why?",
        required=False,
    ),
    TextField(
        "on_action",
        "On action",
        "Afterwards: what happened, what went well and what would you change?",
        required=False,
    ),
    TextField(
        "beyond_action",
        "Beyond action",
        "Looking ahead: how will this shape your practice, and what will you do next?",
        required=False,
    ),
)
REFLECTION_FIELDS = WHAT_SO_WHAT_FIELDS + NSHCS_REFLECTION_FIELDS
REFLECTION_MODELS = {
    "what / so what / now what": WHAT_SO_WHAT_FIELDS,
    "the NSHCS model (before, in, on and beyond action)": NSHCS_REFLECTION_FIELDS,
}


def _reflection_model_errors(clean: dict, errors) -> None:
    """A submitted reflection answers every question of one model: the one the
    trainee has answered most of (what / so what / now what when none)."""
    groups = list(REFLECTION_MODELS.values())
    if any(all(clean.get(f.name) for f in group) for group in groups):
        return
    chosen = max(groups, key=lambda g: sum(1 for f in g if clean.get(f.name)))
    for spec in chosen:
        if not clean.get(spec.name):
            errors.add(f"form.{spec.name}", f"Answer '{spec.label}'")


WBA_TEXT_FIELDS = (
    TextField(
        "activity",
        "Activity assessed",
        "The procedure, event or case",
        long=False,
        max_length=300,
    ),
    TextField(
        "setting",
        "Setting",
        "Where it took place, for example 'linac 3, routine QA'",
        long=False,
        max_length=300,
    ),
)
# What the assessor completes when signing a DOPS, OCE or CBD off: the trainee
# records only the context above (what, where, when, the outcomes claimed).
ASSESSOR_TEXT_FIELDS = (
    TextField("strengths", "Strengths shown"),
    TextField("development", "Points for development"),
)
OVERALL = {
    "below": "Below the level expected at this stage of training",
    "meets": "At the level expected at this stage of training",
    "above": "Above the level expected at this stage of training",
}
# The assessor's part, each with the words the trainee gets when they try to set it.
ASSESSOR_FIELDS = {
    "ratings": "The assessor completes the ratings",
    "overall": "The assessor completes the overall judgement",
    "strengths": "The assessor completes the strengths shown",
    "development": "The assessor completes the points for development",
    "declaration": "The assessor makes the declaration when signing off",
    "assessor_declaration": "The assessor makes the declaration when signing off",
}
# Answers a trainee gave under the previous flow (when trainees rated themselves):
# kept as they were on items recorded then, never asked for again.
PREVIOUS_FLOW_KEYS = ("ratings", "strengths", "development", "assessor_declaration")
PREVIOUS_FLOW_LABEL = "Recorded under the previous flow (ratings by the trainee)"


def previous_flow_answers(form: dict | None) -> dict:
    """The trainee's own ratings and comments on a WBA recorded under the old flow."""
    return {k: v for k, v in (form or {}).items() if k in PREVIOUS_FLOW_KEYS}


def context_answers(form: dict | None) -> dict:
    """The trainee's answers without anything recorded under the previous flow."""
    return {k: v for k, v in (form or {}).items() if k not in PREVIOUS_FLOW_KEYS}


OTJ_TEXT_FIELDS = (
    TextField(
        "activity",
        "Off-the-job activity",
        "For example 'shadowing the MRI safety officer'",
        long=False,
        max_length=300,
    ),
)
MSF_TEXT_FIELDS = (
    TextField("summary", "Summary of the feedback", "Themes from the raters' comments"),
    TextField("plan", "Development plan agreed with your training officer"),
)
MAX_OTJ_HOURS_PER_ITEM = 60


def text_fields(kind: str) -> tuple[TextField, ...]:
    if kind == "reflection":
        return REFLECTION_FIELDS
    if kind in WBA_KINDS:
        return WBA_TEXT_FIELDS
    if kind == "otj":
        return OTJ_TEXT_FIELDS
    if kind == "msf":
        return MSF_TEXT_FIELDS
    return ()


def validate_form(
    kind: str, form: dict | None, errors, for_submission: bool = False
) -> dict:
    """Check the structured answers for ``kind``; return them cleaned.

    Drafts may be incomplete; ``for_submission`` requires every required answer.
    """
    form = form or {}
    if not isinstance(form, dict):
        errors.add("form", "form must be an object of answers")
        return {}
    allowed = {f.name for f in text_fields(kind)}
    if kind == "otj":
        allowed.add("hours")
    if kind == "msf":
        # raters: the previous flow's count; msf_round and responses: a released round.
        allowed |= {"raters", "msf_round", "responses"}
    clean: dict = {}
    for key in form:
        if kind in WBA_KINDS and key in ASSESSOR_FIELDS:
            errors.add(f"form.{key}", ASSESSOR_FIELDS[key])
        elif key not in allowed:
            errors.add(
                f"form.{key}",
                f"{key!r} is not a question for {KIND_LABELS[kind].split(':')[0]} evidence",
            )
    for spec in text_fields(kind):
        value = form.get(spec.name)
        if value is None or value == "":
            if for_submission and spec.required:
                errors.add(f"form.{spec.name}", f"Answer '{spec.label}'")
            continue
        if not isinstance(value, str):
            errors.add(f"form.{spec.name}", f"'{spec.label}' must be text")
            continue
        if len(value) > spec.max_length:
            errors.add(
                f"form.{spec.name}",
                f"'{spec.label}' must be {spec.max_length} characters or fewer",
            )
        clean[spec.name] = value.strip()
    if kind == "reflection" and for_submission:
        _reflection_model_errors(clean, errors)
    if kind == "otj":
        hours = form.get("hours")
        if hours in (None, ""):
            if for_submission:
                errors.add("form.hours", "Enter the hours spent")
        elif isinstance(hours, bool) or not isinstance(hours, int | float | str):
            errors.add("form.hours", "Hours must be a number")
        else:
            try:
                value = float(hours)
            except ValueError:
                errors.add("form.hours", "Hours must be a number, like 3.5")
            else:
                if not 0 < value <= MAX_OTJ_HOURS_PER_ITEM:
                    errors.add(
                        "form.hours",
                        f"Hours must be more than 0 and at most {MAX_OTJ_HOURS_PER_ITEM}",
                    )
                else:
                    clean["hours"] = round(value, 2)
    if kind == "msf" and form.get("raters") not in (None, ""):
        try:
            raters = int(form["raters"])
        except (TypeError, ValueError):
            errors.add("form.raters", "The number of raters must be a whole number")
        else:
            if not 1 <= raters <= 100:
                errors.add(
                    "form.raters", "The number of raters must be between 1 and 100"
                )
            clean["raters"] = raters
    return clean


def validate_assessment(kind: str, data: dict | None, errors) -> dict:
    """The assessor's part of a DOPS, OCE or CBD, all required to sign it off:
    a rating per domain, the overall judgement, strengths, points for development
    and the declaration. Errors name ``form.<field>``; returns the cleaned answers.
    """
    data = data if data is not None else {}
    if not isinstance(data, dict):
        errors.add("form", "form must be an object of the assessor's answers")
        return {}
    allowed = {"ratings", "overall", "declaration"} | {
        f.name for f in ASSESSOR_TEXT_FIELDS
    }
    for key in data:
        if key not in allowed:
            errors.add(
                f"form.{key}",
                f"{key!r} is not part of the assessor's form: use {', '.join(sorted(allowed))}",
            )
    clean: dict = {"ratings": _ratings(kind, data.get("ratings"), errors, True)}
    overall = data.get("overall")
    if overall in (None, ""):
        errors.add("form.overall", "Choose the overall judgement")
    elif not isinstance(overall, str) or overall not in OVERALL:
        errors.add("form.overall", f"Overall must be one of {', '.join(OVERALL)}")
    else:
        clean["overall"] = overall
    for spec in ASSESSOR_TEXT_FIELDS:
        value = data.get(spec.name)
        if not isinstance(value, str) or not value.strip():
            errors.add(
                f"form.{spec.name}",
                f"Write the '{spec.label.lower()}'"
                if value in (None, "") or isinstance(value, str)
                else f"'{spec.label}' must be text",
            )
        elif len(value) > spec.max_length:
            errors.add(
                f"form.{spec.name}",
                f"'{spec.label}' must be {spec.max_length} characters or fewer",
            )
        else:
            clean[spec.name] = value.strip()
    declaration = data.get("declaration")
    if declaration not in (True, "y", "true", "on"):
        errors.add(
            "form.declaration",
            "Confirm the assessor declaration to sign off a work-based assessment",
        )
    return clean


def _ratings(kind, ratings, errors, for_submission) -> dict:
    domains = WBA_DOMAINS[kind]
    if ratings in (None, ""):
        ratings = {}
    if not isinstance(ratings, dict):
        errors.add("form.ratings", "ratings must map each domain to a rating")
        return {}
    clean = {}
    for domain, rating in ratings.items():
        if domain not in domains:
            errors.add(
                f"form.ratings.{domain}",
                f"Unknown domain {domain!r}: use {', '.join(domains)}",
            )
        elif rating in (None, ""):
            continue
        elif not isinstance(rating, str) or rating not in RATINGS:
            errors.add(
                f"form.ratings.{domain}", f"Rating must be one of {', '.join(RATINGS)}"
            )
        else:
            clean[domain] = rating
    if for_submission:
        for domain, label in domains.items():
            if domain not in clean:
                errors.add(
                    f"form.ratings.{domain}",
                    f"Rate '{label}' (or choose 'Not observed')",
                )
    return clean
