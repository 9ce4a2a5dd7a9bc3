"""The registration routes: what each register asks for, as data.

Each route names the standards an applicant maps evidence to (sections), the
statements they write, who confirms the application (proposers or referees, by an
emailed single-use link), and what the register's process looks like. Sources are
cited on each route; what could not be confirmed says so.
"""

from dataclasses import dataclass
from dataclasses import field

RCT_ENGINEERING_SCOPES = ("RCT1", "RCT2", "RCT3", "RCT4", "RCT8")
RCT_PHYSICS_SCOPES = ("RCT5", "RCT6", "RCT7")


@dataclass(frozen=True)
class Statement:
    key: str
    title: str
    hint: str
    # A limit the register states (words); None when it states none or it is not confirmed.
    max_words: int | None = None


@dataclass(frozen=True)
class Section:
    """A set of standards in the pack: a curriculum and, optionally, one heading in it."""

    slug: str
    # The outcome whose children are listed (None: the whole curriculum's top level).
    root: str | None = None
    title: str = ""
    # Outcome types listed (headings and their numbered items).
    types: tuple[str, ...] = ("domain", "standard", "scope", "statement", "group")


@dataclass(frozen=True)
class Route:
    key: str
    register: str
    title: str
    summary: str
    # "scope": an RCT scope code; "curriculum": an STP curriculum slug; None.
    choice: str | None
    nominee_role: str
    nominees_required: int
    nominee_note: str
    statements: tuple[Statement, ...]
    stages: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    not_confirmed: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


ROUTES: dict[str, Route] = {
    "rct_primary": Route(
        key="rct_primary",
        register="Register of Clinical Technologists",
        title="RCT: primary route (approved training scheme and degree)",
        summary=(
            "For clinical technologists who completed an approved training scheme with "
            "an approved degree. The application shows the chosen scope of practice's "
            "tasks and the degree's knowledge, with two proposers who confirm it."
        ),
        choice="scope",
        nominee_role="proposer",
        nominees_required=2,
        nominee_note=(
            "Two proposers who know your work confirm your application by an emailed "
            "link (the RCT asks for the certificates to be initialled by both "
            "proposers). Whether a proposer must themselves be registered is not "
            "confirmed here: check the RCT's application form."
        ),
        statements=(
            Statement(
                "training",
                "Your approved training scheme and degree",
                "Name the scheme and the degree, where and when you completed them, "
                "and the workplace training they included.",
            ),
            Statement(
                "scope",
                "Your scope of practice",
                "Describe the work you do in the scope you are applying for, and how "
                "the evidence listed shows each task.",
            ),
        ),
        sources=(
            (
                "RCT: entry through an agreed training scheme or equivalence",
                "http://therct.org.uk/info-for-public/",
            ),
            (
                "RCT: scope of practice",
                "http://therct.org.uk/how-to-join-the-register/standards/scope-of-practice/",
            ),
            (
                "RCT: How to join the register (primary route; both proposers)",
                "http://therct.org.uk/how-to-join-the-register/",
            ),
        ),
        not_confirmed=(
            "The RCT's own task list for each scope (the tasks here are our summary).",
            "Who may propose (for example, whether a proposer must be registered).",
        ),
    ),
    "rct_equivalence": Route(
        key="rct_equivalence",
        register="Register of Clinical Technologists",
        title="RCT: equivalence route (engineering or physics)",
        summary=(
            "For experienced technologists without an approved scheme: one portfolio, "
            "with an index and page numbers, and a report of your role, against the "
            "scope of practice, the RCT equivalence standards (engineering or physics) "
            "and Good Scientific Practice."
        ),
        choice="scope",
        nominee_role="proposer",
        nominees_required=2,
        nominee_note=(
            "Two proposers confirm your application by an emailed link (the number is "
            "not confirmed for this route: check the RCT's application form)."
        ),
        statements=(
            Statement(
                "role",
                "Report of your role and responsibilities",
                "Describe your post, your department and what you are responsible for; "
                "the RCT asks for this report with the portfolio.",
            ),
            Statement(
                "equivalence",
                "How you meet the equivalence standards",
                "For each area of the equivalence standards, say what you did, when, "
                "and which evidence item shows it (the RCT asks for an evidence matrix "
                "giving the portfolio page for each criterion). First-hand evidence is "
                "preferred to writing about theory.",
            ),
        ),
        sources=(
            (
                "RCT: Equivalence for engineering",
                "http://therct.org.uk/how-to-join-the-register/equivalence-for-engineering/",
            ),
            (
                "RCT: How to join the register (equivalence standards and GSP)",
                "http://therct.org.uk/how-to-join-the-register/",
            ),
            (
                "RCT: Application guidelines (portfolio and evidence matrix)",
                "https://therct.org.uk/how-to-join-the-register/application-guidelines",
            ),
            (
                "Health Estate Journal: The RCT equivalence route to registration",
                "https://healthestatejournal.com/story/18195/the-rct-equivalence-route-to-registration",
            ),
            (
                "Health Estate Journal, September 2016, p. 67: the criteria's categories",
                "http://content.yudu.com/web/1u0jl/0A1umgt/HEJsept16/flash/resources/67.htm",
            ),
        ),
        not_confirmed=(
            "The individual statements of the equivalence standards (held as headings), "
            "and the names of their four categories.",
            "The number of proposers for this route.",
        ),
    ),
    "ahcs_stp_equivalence": Route(
        key="ahcs_stp_equivalence",
        register="Academy for Healthcare Science (leading to HCPC registration)",
        title="AHCS: certificate of equivalence to the Scientist Training Programme",
        summary=(
            "For people working at clinical scientist level for at least three years. "
            "Four stages: application, portfolio (within six months, against Good "
            "Scientific Practice and the STP learning outcomes), interview, and "
            "ratification and certification; the certificate makes you eligible to "
            "apply to the HCPC as a clinical scientist."
        ),
        choice="curriculum",
        nominee_role="referee",
        nominees_required=2,
        nominee_note=(
            "Two references: one from your line manager and one from someone on the "
            "HCPC or GMC register. Each referee confirms by an emailed link."
        ),
        statements=(
            Statement(
                "personal",
                "Personal statement (stage 1)",
                "Your professional experience and responsibilities, and your research, "
                "service development and audit work.",
                1000,
            ),
            Statement(
                "gsp",
                "How you meet Good Scientific Practice (portfolio)",
                "Domain by domain, how your work meets Good Scientific Practice, citing "
                "the evidence items listed.",
            ),
        ),
        stages=(
            "Application",
            "Portfolio",
            "Interview",
            "Ratification and certification",
        ),
        sources=(
            (
                "AHCS: Which equivalence route?",
                "https://www.ahcs.ac.uk/2022/03/16/which-equivalence-route/",
            ),
            (
                "AHCS Applicants guide: Certificate of Equivalence, STP (four stages)",
                "https://dokumen.tips/documents/applicants-guide-for-scientist-training-programme-the-equivalence-process-provides.html",
            ),
            (
                "The Clinical Scientist: STP equivalence stages and references",
                "https://theclinsci.com/equivalence/",
            ),
        ),
        not_confirmed=(
            "GSP's numbered standards other than 1.6 (held by domain).",
            "The current application fee and document list (check the AHCS site).",
        ),
    ),
    "hcpc_international": Route(
        key="hcpc_international",
        register="Health and Care Professions Council",
        title="HCPC: international application (clinical scientist)",
        summary=(
            "For people who trained outside the UK: the application maps training and "
            "experience to the profession-specific standards of proficiency for "
            "clinical scientists. Registrants also keep the standards of conduct, "
            "performance and ethics and the standards for CPD."
        ),
        choice=None,
        nominee_role="referee",
        nominees_required=1,
        nominee_note=(
            "A referee who knows your professional practice confirms by an emailed "
            "link. The HCPC's exact reference requirements are not confirmed here."
        ),
        statements=(
            Statement(
                "training",
                "Your training and qualifications",
                "Your degree and professional training, where and when, and what each "
                "covered.",
            ),
            Statement(
                "experience",
                "Your professional experience",
                "Your posts since qualifying and how they meet the standards of "
                "proficiency.",
            ),
        ),
        sources=(
            (
                "HCPC: Standards of proficiency, clinical scientists",
                "https://www.hcpc-uk.org/standards/standards-of-proficiency/clinical-scientists/",
            ),
        ),
        not_confirmed=(
            "The numbering of the sub-standards, and the clinical-scientist-specific "
            "sub-standards (not reproduced).",
            "The HCPC's reference requirements for international applicants.",
        ),
    ),
}

ROUTE_LABELS = {key: route.title for key, route in ROUTES.items()}


def sections(route: Route, choice: str | None) -> list[Section]:
    """The standards this application is mapped to, in the order the pack lists them."""
    if route.key == "rct_primary":
        return [
            Section("rct-scopes", choice, "Scope of practice: the tasks"),
            Section("rct-scopes", "P-RCTK", "Degree Programme in Clinical Technology"),
        ]
    if route.key == "rct_equivalence":
        equivalence = "RCT-EQ-PHYS" if choice in RCT_PHYSICS_SCOPES else "RCT-EQ-ENG"
        return [
            Section("rct-scopes", choice, "Scope of practice: the tasks"),
            Section(
                "rct-scopes", equivalence, "RCT equivalence standards", ("standard",)
            ),
            Section("gsp", None, "Good Scientific Practice"),
        ]
    if route.key == "ahcs_stp_equivalence":
        return [
            Section("gsp", None, "Good Scientific Practice"),
            Section(choice or "", None, "STP learning outcomes", ("learning_outcome",)),
        ]
    return [
        Section("hcpc-sop-cs", None, "HCPC standards of proficiency"),
        Section("hcpc-scpe", None, "HCPC standards of conduct, performance and ethics"),
    ]
