"""Generate the synthetic national-scale dataset the benchmarks run on (bench/README.md).

    .venv/bin/python bench/generate.py                 # full scale, about 2-4 minutes
    .venv/bin/python bench/generate.py --scale 0.1     # a tenth of it, for a quick run
    .venv/bin/python bench/generate.py --reuse         # keep a matching dataset

What it makes, at --scale 1 (see bench/README.md for the reasoning behind the numbers):
about 220 organisations (data/organisations.csv padded with small synthetic trusts),
10,000 trainees spread unevenly over them (big teaching trusts and cancer centres have
most), 3,000 supervisors, training leads, enrolments on the real STP, apprenticeship and
clinical-technologist curricula (some trainees also on the AI/digital or sustainability
extension), supervision assignments, progress reviews, breaks in learning, 1,000,000
evidence items (a long-tailed number per trainee; mostly signed off, some waiting,
returned or draft), 1-3 outcome claims per item on real outcomes of the trainee's
curricula, and a sign-off for every decision, over the last three years.

And the people the scenarios act as (bench/scenarios.py), whatever the scale:

- dashboard: a trainee on a synthetic curriculum of 300 countable outcomes (loaded
  through the real curriculum loader) with 2,000 evidence items;
- supervisor: a supervisor with 40 requests waiting in the sign-off queue;
- lead: the training lead of an organisation with 500 enrolled trainees;
- and a small twin of each (20 items, 3 waiting requests, 10 trainees), so the run can
  show that the number of SQL queries does not grow with the data.

Rows are written with PostgreSQL COPY (psycopg 3), not the ORM, in one transaction, after
`flask db upgrade` and `flask curricula load`. The same --seed and --today give the same
data. The dataset's description is stored as the database's comment (bench/common.py).
"""

import argparse
import base64
import csv
import hashlib
import io
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from bisect import bisect_right
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import common
import psycopg
import yaml
from psycopg import sql

# ---- sizes -------------------------------------------------------------------------

ORGANISATIONS = 220
TRAINEES = 10_000
SUPERVISORS = 3_000
EVIDENCE = 1_000_000
YEARS = 3
MAX_ITEMS_PER_TRAINEE = 1_200  # the dashboard trainee (2,000) is the outlier on purpose

DASHBOARD_OUTCOMES = 300
DASHBOARD_ITEMS = 2_000
QUEUE_ITEMS = 40
QUEUE_TRAINEES = 12
COHORT_TRAINEES = 500
SMALL_ITEMS = 20
SMALL_QUEUE_ITEMS = 3
SMALL_COHORT_TRAINEES = 10

BENCH_CURRICULUM = "bench-stp-300"
BENCH_MODULES = 12
EMAIL_DOMAIN = "bench.invalid"

# Programme mix. STP specialties in proportion to 2023 England direct-entry posts
# (RP 35, NM 16, DR 19, IN 7, MP non-defined 41 spread over the four
# Medical Physics specialties, CE 21, CSC 14); apprenticeships by level; clinical
# technologists (IPEM TTS). Shares of all trainees: STP 45%, apprenticeships 45%, CTTS 10%.
# Posts: https://nshcs.hee.nhs.uk/services/training-programme-data/scientist-training-programme-recruitment-statistics/scientist-training-programme-2023-recruitment-statistics/competition-ratios-per-post-for-each-specialty
PROGRAMMES = {
    "stp-rp": 0.45 * 53.6 / 174,
    "stp-nm": 0.45 * 24.5 / 174,
    "stp-dr": 0.45 * 29.1 / 174,
    "stp-in": 0.45 * 10.7 / 174,
    "stp-ce": 0.45 * 21 / 174,
    "stp-csc": 0.45 * 14 / 174,
    "app-hcsa-st0218": 0.45 * 0.25,
    "app-hcsas-st0220": 0.45 * 0.35,
    "app-hcsp-st0413": 0.45 * 0.30,
    "app-cs-st0893": 0.45 * 0.10,
    "ctts": 0.10,
}
EXTENSIONS = {"ai-dht": 0.08, "sustainability": 0.04}
DEFAULT_DURATION_MONTHS = {"apprenticeship": 48, "clinical-technologist": 24}

KIND_MIX = {
    "stp": {
        "reflection": 34,
        "training_activity": 20,
        "dops": 10,
        "oce": 8,
        "cbd": 10,
        "document": 12,
        "msf": 2,
        "certificate": 4,
    },
    "apprenticeship": {
        "otj": 30,
        "reflection": 24,
        "training_activity": 14,
        "document": 10,
        "dops": 6,
        "oce": 5,
        "cbd": 5,
        "certificate": 4,
        "msf": 2,
    },
}
KIND_MIX["clinical-technologist"] = KIND_MIX["stp"]

# Big teaching trusts, cancer centres and the largest boards train the most.
LARGE_HINTS = (
    "University",
    "Teaching",
    "Christie",
    "Marsden",
    "Clatterbridge",
    "Guy's",
    "Newcastle upon Tyne",
    "Velindre",
    "Lothian",
    "Greater Glasgow",
    "Belfast",
)
# Specialist, community, mental health and ambulance trusts have few MPCE trainees.
SMALL_HINTS = (
    "Ambulance",
    "Mental Health",
    "Partnership",
    "Community",
    "Orthopaedic",
    "Care ",
    "Children",
    "Women",
    "Special",
    "Public Health",
)
LEAD_ORG, QUEUE_ORG, DASHBOARD_ORG = "R0A", "RR8", "RBV"

FIRST = (
    "Aisha Oliver Amelia Jack Isla Harry Ava Noah Mia Leo Grace Arthur Sophie Oscar "
    "Freya George Lily Muhammad Emily Charlie Priya Tom Helen Gareth Sarah Rhys Niamh "
    "Callum Eilidh Dylan Ffion Ciaran Aoife Kwame Chloe Ravi Fatima Daniel Hannah Omar "
    "Zara Ethan Ruby Samuel Anjali Lucas Megan Joseph Ellie Adam Maryam Finn Sian Ewan "
    "Catrin Tariq Holly Jacob Bethan Yusuf"
).split()
LAST = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Wright Robinson Wood "
    "Thompson Evans Walker White Roberts Green Hall Thomas Clarke Jackson Wright Hughes "
    "Edwards Khan Lewis Hill Harris Martin Moore Turner Cooper Ward Morris King Watson "
    "Baker Harrison Morgan Young Allen Mitchell Anderson Campbell Kelly Shah Rahman Okafor "
    "Nguyen Murphy Begum Ali Price Bennett Lin Walsh MacDonald Reid Murray Doherty Byrne "
    "Quinn Ahmed Chowdhury Mensah Singh Kaur Fraser Stewart Owen Griffiths Lloyd"
).split()
TOPICS = (
    "morning QA run-up on linac 3",
    "CBCT image-quality QC",
    "independent MU check for a VMAT plan",
    "small-field output factors",
    "gamma camera uniformity test",
    "SPECT/CT registration check",
    "PET daily QC and normalisation",
    "radioiodine therapy dosimetry",
    "CT dose audit for head scans",
    "critical examination of a new X-ray room",
    "mammography AEC testing",
    "RPA advice on a fluoroscopy room",
    "MRI safety screening review",
    "ultrasound probe acceptance testing",
    "laser safety assessment in theatres",
    "infusion pump incident investigation",
    "ventilator planned preventive maintenance",
    "medical device risk assessment",
    "wheelchair seating assessment clinic",
    "procurement evaluation for patient monitors",
    "bespoke rehabilitation device design",
    "DICOM routing fault on the PACS",
    "validation of an in-house planning script",
    "AI auto-contouring commissioning test",
    "clinical software change control",
    "HL7 interface testing",
    "audit of brachytherapy source calibration",
    "radiation incident investigation",
    "patient dose estimate for a pregnant patient",
    "electron beam commissioning measurements",
    "treatment plan peer review",
    "outlining review with the oncologist",
    "teaching session for radiographers",
    "departmental audit presentation",
    "journal club: proton therapy outcomes",
    "equipment replacement business case",
    "quality management system internal audit",
    "research ethics application",
    "service improvement project update",
    "multidisciplinary team meeting",
)
KIND_TITLES = {
    "reflection": "Reflection",
    "dops": "DOPS",
    "oce": "OCE",
    "cbd": "CBD",
    "msf": "Multi-source feedback",
    "training_activity": "Training activity",
    "document": "Document",
    "certificate": "Certificate",
    "otj": "Off-the-job training",
}
SENTENCES = (
    "I carried out the measurements with my training officer observing.",
    "The results were within tolerance apart from one reading, which we repeated.",
    "We discussed the uncertainty budget and where the largest contributions came from.",
    "I recorded the results in the departmental QA database and flagged one trend.",
    "Next time I will prepare the equipment the day before to save time.",
    "The consultant clinical scientist explained why the action level is set where it is.",
    "I found the local procedure unclear on one point and suggested a change.",
    "This links to the learning outcome on working safely within regulations.",
    "Talking to the patient beforehand helped to reduce their anxiety.",
    "I read the relevant IPEM report and summarised the main recommendations.",
    "We compared our results with the manufacturer's acceptance figures.",
    "I presented the findings at the weekly physics meeting and answered questions.",
    "The incident was reported through the local system and reviewed the same week.",
    "My feedback was that I should explain the limits of the method more clearly.",
    "I will repeat this under indirect supervision next month.",
)
COMMENTS_APPROVE = (
    "Well observed, and a good habit to take forward.",
    "Clear write-up; this meets the activity.",
    "Good reflection on what you would change.",
    "Signed off: a solid piece of work.",
    "",
    "",
)
COMMENTS_RETURN = (
    "Please add what you learned and what you would do differently.",
    "Map this to the outcome it really shows, not the module heading.",
    "Add the date the activity took place and who observed it.",
    "The reflection describes what happened; say what it meant for your practice.",
)
RATINGS = ("meets", "meets", "meets", "above", "below", "not_observed")
WBA_DOMAINS = {
    "dops": (
        "preparation",
        "technical_skill",
        "safety",
        "communication",
        "documentation",
    ),
    "oce": (
        "assessment",
        "communication",
        "decision_making",
        "professionalism",
        "organisation",
    ),
    "cbd": (
        "knowledge",
        "reasoning",
        "record_keeping",
        "professionalism",
        "reflection",
    ),
}
COUNTABLE_TYPES = frozenset(
    "ETA DTA OTA assessment K S B statement competency standard scope".split()
)

# ---- COPY text format helpers ----------------------------------------------------------

NULL = "\\N"


def esc(text: str) -> str:
    """Escape a value for COPY's text format."""
    return (
        text.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def ts(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else NULL


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)


# ---- the pieces of the world --------------------------------------------------------


@dataclass
class Curriculum:
    id: str
    slug: str
    version: str
    kind: str
    programme: dict
    # countable leaf outcomes grouped by module (or "root"): [(outcome id, claim key)]
    groups: list[list[tuple[str, str]]] = field(default_factory=list)
    cumulative: list[int] = field(default_factory=list)

    @property
    def duration_months(self) -> int:
        months = self.programme.get("duration_months")
        if months:
            return int(months) + int(self.programme.get("epa_months") or 0)
        return DEFAULT_DURATION_MONTHS.get(self.kind, 36)


@dataclass
class Org:
    id: str
    code: str
    name: str
    kind: str
    nation: str
    region: str
    weight: float
    trainees: int = 0
    supervisors: list[str] = field(default_factory=list)
    supervisor_weights: list[float] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)


@dataclass
class Enrolment:
    id: str
    trainee_id: str
    curriculum: Curriculum
    org: Org
    start: date
    end: date
    status: str
    # evidence is recorded up to this day (withdrawal, break, completion or today)
    active_until: date
    supervisors: list[tuple[str, str]] = field(default_factory=list)  # (id, role)
    extension: "Enrolment | None" = None
    items: int = 0


class Generator:
    def __init__(self, scale: float, seed: int, today: date):
        self.rng = random.Random(seed)
        self.scale = scale
        self.today = today
        self.now = datetime.combine(today, datetime.min.time(), UTC) + timedelta(
            hours=7
        )
        self.trainees_total = max(60, round(TRAINEES * scale))
        self.supervisors_total = max(20, round(SUPERVISORS * scale))
        self.evidence_total = max(DASHBOARD_ITEMS * 2, round(EVIDENCE * scale))
        self.cohort = min(COHORT_TRAINEES, self.trainees_total // 2)
        self.counts: dict[str, int] = {}
        self.special: dict[str, dict] = {}
        self.users: list[tuple] = []
        self.roles: list[tuple] = []
        self.enrolments: list[Enrolment] = []
        self.user_serial = 0

    # -- ids and small helpers ----------------------------------------------------------

    def new_id(self) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(16)).decode()[:22]

    def moment(self, day: date) -> datetime:
        """A time during the working day of ``day`` (never after now)."""
        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
            seconds=self.rng.randint(8 * 3600, 18 * 3600)
        )
        return min(at, self.now - timedelta(minutes=5))

    def person(self, email: str, role: str, org: Org | None) -> str:
        uid = self.new_id()
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
        if role != "trainee":
            name = ("Dr " if self.rng.random() < 0.4 else "") + name
        created = self.moment(self.today - timedelta(days=self.rng.randint(30, 1400)))
        last_login = (
            self.moment(self.today - timedelta(days=self.rng.randint(0, 60)))
            if self.rng.random() < 0.8
            else None
        )
        token = base64.urlsafe_b64encode(self.rng.randbytes(24)).decode()
        self.users.append((uid, email, name, None, token, True, created, last_login))
        self.roles.append((self.new_id(), uid, role, org.id if org else None))
        return uid

    def email(self, prefix: str) -> str:
        self.user_serial += 1
        return f"{prefix}{self.user_serial:05d}@{EMAIL_DOMAIN}"

    # -- organisations --------------------------------------------------------------------

    def organisations(self) -> list[Org]:
        rng = self.rng
        with open(common.REPO / "data" / "organisations.csv", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        orgs = []
        for row in rows:
            if row["kind"] == "special_health_board":
                weight = 0.0
            elif any(hint in row["name"] for hint in SMALL_HINTS):
                weight = rng.lognormvariate(-0.5, 0.5)
            elif any(hint in row["name"] for hint in LARGE_HINTS):
                weight = rng.lognormvariate(2.6, 0.4)
            else:
                weight = rng.lognormvariate(1.1, 0.5)
            orgs.append(
                Org(
                    self.new_id(),
                    row["code"].upper(),
                    row["name"],
                    row["kind"],
                    row["nation"],
                    row.get("region") or "",
                    weight,
                )
            )
        regions = sorted({o.region for o in orgs if o.nation == "England"})
        places = sorted(
            {o.name.split(" ")[0] for o in orgs if o.nation == "England"} - {"The"}
        )
        codes = {o.code for o in orgs}
        serial = 0
        while len(orgs) < ORGANISATIONS:
            code = f"X{chr(65 + serial // 10)}{serial % 10}"
            serial += 1
            if code in codes:
                continue
            place = places[serial % len(places)]
            orgs.append(
                Org(
                    self.new_id(),
                    code,
                    f"{place} Community Health Services NHS Trust (synthetic)",
                    "trust",
                    "England",
                    regions[serial % len(regions)],
                    rng.lognormvariate(-0.5, 0.6),
                )
            )
        return orgs

    def allocate_trainees(self, orgs: list[Org]) -> tuple[Org, Org, Org, Org]:
        by_code = {o.code: o for o in orgs}
        ranked = sorted(orgs, key=lambda o: -o.weight)
        lead = by_code.get(LEAD_ORG) or ranked[0]
        queue = by_code.get(QUEUE_ORG) or ranked[1]
        dashboard = by_code.get(DASHBOARD_ORG) or ranked[2]
        small = next(o for o in reversed(orgs) if o.code.startswith("X"))
        lead.trainees = self.cohort
        small.trainees = SMALL_COHORT_TRAINEES
        others = [o for o in orgs if o is not lead and o is not small]
        # A floor for the organisations the scenarios need, so small scales work.
        floors = {queue.code: QUEUE_TRAINEES + 8, dashboard.code: 5}
        remaining = self.trainees_total - lead.trainees - small.trainees
        remaining -= sum(floors.values())
        cap = max(lead.trainees - 1, 1)
        total_weight = sum(o.weight for o in others)
        shares = [remaining * o.weight / total_weight for o in others]
        for o, share in zip(others, shares, strict=True):
            o.trainees = min(cap, math.floor(share))
        # Largest remainders first, never above the lead's organisation.
        short = remaining - sum(o.trainees for o in others)
        order = sorted(
            range(len(others)), key=lambda i: -(shares[i] - math.floor(shares[i]))
        )
        if short > sum(cap - o.trainees for o in others):
            raise SystemExit("--scale too large for the organisations")
        while short > 0:
            for i in order:
                if short and others[i].trainees < cap:
                    others[i].trainees += 1
                    short -= 1
        for o in others:
            o.trainees += floors.get(o.code, 0)
        return lead, queue, dashboard, small

    def staff(self, orgs: list[Org], small: Org) -> None:
        """Supervisors in proportion to trainees (at least one), and training leads."""
        rng = self.rng
        with_trainees = [o for o in orgs if o.trainees]
        total = sum(o.trainees for o in with_trainees)
        budget = self.supervisors_total
        counts = {
            o.code: max(1, round(budget * o.trainees / total)) for o in with_trainees
        }
        counts[small.code] = 2
        for org in with_trainees:
            for _ in range(counts[org.code]):
                org.supervisors.append(self.person(self.email("s"), "supervisor", org))
                org.supervisor_weights.append(rng.lognormvariate(0, 0.6))
            for _ in range(2 if org.trainees > 100 else 1):
                org.leads.append(self.person(self.email("l"), "training_lead", org))
        self.person(f"bench.admin@{EMAIL_DOMAIN}", "admin", None)

    # -- enrolments --------------------------------------------------------------------

    def start_date(self, curriculum: Curriculum) -> date:
        rng, today = self.rng, self.today
        earliest = today - timedelta(days=365 * YEARS)
        if curriculum.kind == "stp" and rng.random() < 0.8:
            intakes = [
                date(year, 9, 1) + timedelta(days=rng.randint(0, 25))
                for year in range(today.year - YEARS, today.year + 1)
            ]
            intakes = [d for d in intakes if earliest <= d <= today - timedelta(30)]
            if intakes:
                return rng.choice(intakes)
        return earliest + timedelta(days=rng.randint(0, (today - earliest).days - 14))

    def enrol(
        self,
        trainee_id: str,
        curriculum: Curriculum,
        org: Org,
        start: date | None = None,
        may_withdraw: bool = True,
    ) -> Enrolment:
        rng, today = self.rng, self.today
        start = start or self.start_date(curriculum)
        end = start + timedelta(days=round(curriculum.duration_months * 30.44))
        status, until = "active", today
        if end < today:
            if rng.random() < 0.85:
                status = "completed"
                until = end - timedelta(days=rng.randint(0, 30))
        roll = rng.random()
        if may_withdraw and roll < 0.03:
            status = "withdrawn"
            span = (min(end, today) - start).days
            until = start + timedelta(days=rng.randint(min(30, span), max(span, 30)))
            until = min(until, today)
        elif status == "active" and roll < 0.05:
            status = "break_in_learning"
            until = today - timedelta(days=rng.randint(14, 120))
            until = max(until, start + timedelta(days=7))
        enrolment = Enrolment(
            self.new_id(), trainee_id, curriculum, org, start, end, status, until
        )
        self.enrolments.append(enrolment)
        return enrolment

    def supervise(self, enrolment: Enrolment, officer: str | None = None) -> None:
        rng, org = self.rng, enrolment.org
        if officer is None:
            officer = rng.choices(org.supervisors, weights=org.supervisor_weights)[0]
        enrolment.supervisors.append((officer, "training_officer"))
        others = [s for s in org.supervisors if s != officer]
        n = rng.choices((0, 1, 2), weights=(40, 40, 20))[0]
        for supervisor in rng.sample(others, min(n, len(others))):
            enrolment.supervisors.append((supervisor, "assessor"))

    def enrol_everyone(self, orgs, curricula, lead, queue, dashboard, small) -> None:
        rng = self.rng
        programmes = [curricula[slug] for slug in PROGRAMMES]
        weights = list(PROGRAMMES.values())
        bench = curricula[BENCH_CURRICULUM]
        for org in orgs:
            for n in range(org.trainees):
                special = None
                if org is dashboard and n == 0:
                    special = "dashboard"
                elif org is small and n == 0:
                    special = "dashboard_small"
                email = (
                    f"bench.{special.replace('_', '.')}@{EMAIL_DOMAIN}"
                    if special
                    else self.email("t")
                )
                trainee = self.person(email, "trainee", org)
                if special:
                    start = self.today - timedelta(days=round(30 * 30.44))
                    enrolment = self.enrol(trainee, bench, org, start, False)
                    enrolment.status, enrolment.active_until = "active", self.today
                    enrolment.items = (
                        DASHBOARD_ITEMS if special == "dashboard" else SMALL_ITEMS
                    )
                    self.special[special] = {
                        "email": email,
                        "user_id": trainee,
                        "enrolment_id": enrolment.id,
                        "organisation": org.code,
                    }
                else:
                    curriculum = rng.choices(programmes, weights=weights)[0]
                    enrolment = self.enrol(
                        trainee, curriculum, org, may_withdraw=org is not lead
                    )
                self.supervise(enrolment)
                for slug, share in EXTENSIONS.items():
                    if special or rng.random() >= share:
                        continue
                    # Started alongside the programme, while it was still going on.
                    room = (enrolment.active_until - enrolment.start).days - 7
                    start = enrolment.start + timedelta(
                        days=rng.randint(0, max(0, min(180, room)))
                    )
                    start = min(start, self.today - timedelta(days=7))
                    extension = self.enrol(trainee, curricula[slug], org, start, False)
                    if enrolment.status == "withdrawn":
                        extension.status = "withdrawn"
                    extension.active_until = min(
                        extension.active_until, enrolment.active_until
                    )
                    extension.supervisors.append(
                        (enrolment.supervisors[0][0], "training_officer")
                    )
                    enrolment.extension = extension
                    break

    # -- the special supervisors and leads --------------------------------------------------

    def special_staff(self, lead: Org, queue: Org, small: Org) -> None:
        mains = [e for e in self.enrolments if e.curriculum.slug in PROGRAMMES]
        for key, org, trainees, items in (
            ("supervisor", queue, QUEUE_TRAINEES, QUEUE_ITEMS),
            ("supervisor_small", small, 2, SMALL_QUEUE_ITEMS),
        ):
            email = f"bench.{key.replace('_', '.')}@{EMAIL_DOMAIN}"
            supervisor = self.person(email, "supervisor", org)
            at_org = [e for e in mains if e.org is org]
            candidates = [e for e in at_org if e.status == "active" and not e.extension]
            if len(candidates) < trainees:
                candidates = at_org
            chosen = self.rng.sample(candidates, trainees)
            for n, enrolment in enumerate(chosen):
                enrolment.status, enrolment.active_until = "active", self.today
                # Training officer of half of them, assessor of the rest.
                if n % 2 == 0:
                    enrolment.supervisors[0] = (supervisor, "training_officer")
                else:
                    enrolment.supervisors.append((supervisor, "assessor"))
            self.special[key] = {
                "email": email,
                "user_id": supervisor,
                "organisation": org.code,
                "trainees": [e.trainee_id for e in chosen],
                "queue": items,
            }
        ids = [user[0] for user in self.users]
        for key, org in (("lead", lead), ("lead_small", small)):
            email = f"bench.{key.replace('_', '.')}@{EMAIL_DOMAIN}"
            index = ids.index(org.leads[0])
            self.users[index] = (self.users[index][0], email, *self.users[index][2:])
            self.special[key] = {
                "email": email,
                "user_id": org.leads[0],
                "organisation": org.code,
                "trainees": org.trainees,
            }

    # -- evidence counts -------------------------------------------------------------------

    def evidence_counts(self) -> None:
        rng = self.rng
        mains = [
            e
            for e in self.enrolments
            if e.curriculum.slug in PROGRAMMES and not e.items
        ]
        fixed = sum(e.items for e in self.enrolments)
        target = self.evidence_total - fixed
        weights = [
            max((e.active_until - e.start).days, 0) * rng.lognormvariate(0, 0.8)
            for e in mains
        ]
        factor = target / sum(weights)
        for enrolment, weight in zip(mains, weights, strict=True):
            enrolment.items = min(
                MAX_ITEMS_PER_TRAINEE, int(weight * factor + rng.random())
            )
        # What the cap cut off goes to the others, so the total is as asked.
        short = target - sum(e.items for e in mains)
        while short > 0:
            enrolment = rng.choices(mains, weights=weights)[0]
            if enrolment.items < MAX_ITEMS_PER_TRAINEE:
                enrolment.items += 1
                short -= 1
        # The queue supervisors' trainees need enough to fill a queue.
        for key in ("supervisor", "supervisor_small"):
            trainees = set(self.special[key]["trainees"])
            for enrolment in mains:
                if enrolment.trainee_id in trainees:
                    enrolment.items = max(enrolment.items, 15)


# ---- curricula -------------------------------------------------------------------------


def bench_curriculum_yaml() -> dict:
    """A synthetic STP-shaped curriculum: 12 modules, 36 learning outcomes, 300 activities."""
    per_module = [DASHBOARD_OUTCOMES // BENCH_MODULES] * BENCH_MODULES
    for i in range(DASHBOARD_OUTCOMES - sum(per_module)):
        per_module[i] += 1
    modules = []
    for m, count in enumerate(per_module, start=1):
        code = f"P-BENCH-M{m:02d}"  # a proposal of ours: local P- codes
        children = [
            {
                "code": f"{code}-LO{lo}",
                "type": "learning_outcome",
                "title": f"Learning outcome {lo} of synthetic module {m}.",
            }
            for lo in range(1, 4)
        ]
        for a in range(1, count + 1):
            kind = ("ETA", "DTA", "OTA")[a % 3]
            rules = {
                "ETA": {"min_items": 2, "distinct_dates": 2, "reflections": 2},
                "DTA": {"min_items": 1, "reflections": 1},
                "OTA": {"min_items": 1},
            }[kind]
            children.append(
                {
                    "code": f"{code}-TA{a:02d}",
                    "type": kind,
                    "title": f"Synthetic training activity {a} of module {m}.",
                    "links": [f"{code}-LO{1 + a % 3}"],
                    "evidence": rules,
                }
            )
        modules.append(
            {
                "code": code,
                "type": "module",
                "title": f"Synthetic specialist module {m}",
                "module_type": "specialist",
                "phase": 2,
                "credits": 10,
                "assessments": {"dops_or_oce": 3, "cbd": 2},
                "children": children,
            }
        )
    return {
        "id": BENCH_CURRICULUM,
        "kind": "stp",
        "title": "Synthetic STP curriculum with 300 training activities (benchmark)",
        "description": "Made by bench/generate.py; not a real curriculum.",
        "version": "bench.1",
        "effective_from": "2022-09-01",
        "source": {"title": "bench/generate.py"},
        "provenance": "proposal",
        "specialism": "BENCH",
        "programme": {"duration_months": 36},
        "outcomes": modules,
    }


def load_bench_curriculum(url: str) -> None:
    from portfolio import create_app
    from portfolio.curriculum.services import load_paths

    app = create_app(common.app_config(url))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{BENCH_CURRICULUM}.yaml"
        path.write_text(yaml.safe_dump(bench_curriculum_yaml(), sort_keys=False))
        with app.app_context():
            load_paths([path])


def read_curricula(conn: psycopg.Connection) -> dict[str, Curriculum]:
    rows = conn.execute(
        "SELECT c.id, c.slug, c.version, c.kind, c.programme, o.id, o.code, o.type, "
        "o.parent_code, o.retired FROM curriculum c JOIN outcome o "
        "ON o.curriculum_id = c.id WHERE c.is_current ORDER BY c.slug, o.position"
    ).fetchall()
    curricula: dict[str, Curriculum] = {}
    outcomes: dict[str, list] = {}
    for cid, slug, version, kind, programme, oid, code, otype, parent, retired in rows:
        if slug not in curricula:
            curricula[slug] = Curriculum(cid, slug, version, kind, programme or {})
            outcomes[slug] = []
        outcomes[slug].append((oid, code, otype, parent, retired))
    for slug, curriculum in curricula.items():
        nodes = outcomes[slug]
        parent_of = {code: parent for _, code, _, parent, _ in nodes}
        parents = {parent for parent in parent_of.values() if parent}
        groups: dict[str, list] = {}
        for oid, code, otype, _, retired in nodes:
            if retired or code in parents or otype not in COUNTABLE_TYPES:
                continue
            top = code
            while parent_of.get(top):
                top = parent_of[top]
            key = top if top != code else "root"
            groups.setdefault(key, []).append(
                (oid, f"{slug}:{curriculum.version}:{code}")
            )
        curriculum.groups = list(groups.values())
        total = 0
        for group in curriculum.groups:
            total += len(group)
            curriculum.cumulative.append(total)
    return curricula


# ---- writing ----------------------------------------------------------------------------

TABLES = {
    "organisation": ("id", "code", "name", "kind", "nation", "region"),
    "user_account": (
        "id",
        "email",
        "name",
        "password_hash",
        "session_token",
        "active",
        "created_at",
        "last_login_at",
    ),
    "role_assignment": ("id", "user_id", "role", "organisation_id"),
    "enrolment": (
        "id",
        "trainee_id",
        "curriculum_id",
        "organisation_id",
        "start_date",
        "expected_end_date",
        "status",
        "contracted_hours_per_week",
        "gateway_date",
        "employer_confirmed_by_id",
        "employer_confirmed_at",
        "provider_confirmed_by_id",
        "provider_confirmed_at",
        "created_by_id",
        "created_at",
    ),
    "supervision_assignment": (
        "id",
        "enrolment_id",
        "trainee_id",
        "supervisor_id",
        "role",
        "start_date",
        "end_date",
    ),
    "learning_break": ("id", "enrolment_id", "start_date", "end_date", "reason"),
    "progress_review": (
        "id",
        "enrolment_id",
        "kind",
        "due_on",
        "held_on",
        "summary",
        "actions",
        "trainee_signed_at",
        "employer_signed_by_id",
        "employer_signed_at",
        "provider_signed_by_id",
        "provider_signed_at",
        "created_by_id",
        "created_at",
    ),
    "evidence": (
        "id",
        "owner_id",
        "kind",
        "title",
        "occurred_on",
        "body",
        "form",
        "status",
        "version",
        "lock_version",
        "submitted_to_id",
        "submitted_at",
        "created_at",
        "updated_at",
    ),
    "outcome_claim": ("id", "evidence_id", "outcome_id"),
    "signoff": (
        "id",
        "evidence_id",
        "evidence_version",
        "assessor_id",
        "decision",
        "comment",
        "content_hash",
        "claims",
        "decided_at",
        "superseded_at",
        "superseded_reason",
        "superseded_by_id",
    ),
}


def check_columns(conn: psycopg.Connection) -> None:
    """Fail early, and clearly, if a migration added a required column we do not fill."""
    problems = []
    for table, columns in TABLES.items():
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema = current_schema() AND is_nullable = 'NO' "
            "AND column_default IS NULL",
            (table,),
        ).fetchall()
        problems += [
            f"{table}.{name}" for (name,) in rows if name not in columns
        ]  # pragma: no branch
    if problems:
        raise SystemExit(
            "The schema has required columns bench/generate.py does not fill: "
            + ", ".join(problems)
            + ". Add them to TABLES and the row builders."
        )


def copy_statement(table: str, freeze: bool) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c) for c in TABLES[table]),
        sql.SQL(" WITH (FREEZE)") if freeze else sql.SQL(""),
    )


def copy_rows(cur: psycopg.Cursor, table: str, rows, freeze: bool) -> int:
    n = 0
    with cur.copy(copy_statement(table, freeze)) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


class TextCopy:
    """Lines in COPY text format, sent in chunks as they are made."""

    def __init__(self, cur: psycopg.Cursor, table: str, freeze: bool):
        self.context = cur.copy(copy_statement(table, freeze))
        self.copy = self.context.__enter__()
        self.lines: list[str] = []
        self.rows = 0

    def add(self, line: str) -> None:
        self.lines.append(line)
        if len(self.lines) >= 20_000:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.copy.write("".join(self.lines))
            self.rows += len(self.lines)
            self.lines = []

    def close(self) -> int:
        self.flush()
        self.context.__exit__(None, None, None)
        return self.rows


class Buffer:
    """Lines for a table that is copied later (one COPY at a time per connection)."""

    def __init__(self):
        self.buffer = io.StringIO()
        self.rows = 0

    def add(self, line: str) -> None:
        self.buffer.write(line)
        self.rows += 1

    def copy_into(self, cur: psycopg.Cursor, table: str, freeze: bool) -> int:
        data = self.buffer.getvalue()
        self.buffer = io.StringIO()
        with cur.copy(copy_statement(table, freeze)) as copy:
            step = 8 << 20
            for start in range(0, len(data), step):
                copy.write(data[start : start + step])
        return self.rows


# ---- evidence ----------------------------------------------------------------------------


class EvidenceWriter:
    """Makes evidence items with their claims and sign-offs, in COPY text format."""

    def __init__(self, gen: Generator, evidence: TextCopy):
        from portfolio.signoff.services import DECLARATION

        self.gen = gen
        self.rng = gen.rng
        self.evidence = evidence
        self.claims = Buffer()
        self.signoffs = Buffer()
        self.declaration = DECLARATION
        self.paragraph = " ".join(
            self.rng.sample(SENTENCES, len(SENTENCES)) * 3
        ).replace("  ", " ")
        self.forms = {kind: self.form_pool(kind) for kind in KIND_TITLES}
        self.status_counts = {
            "draft": 0,
            "submitted": 0,
            "returned": 0,
            "signed_off": 0,
        }

    def text(self, low: int, high: int) -> str:
        length = self.rng.randint(low, high)
        start = self.rng.randrange(0, len(self.paragraph) - length)
        return self.paragraph[start : start + length].strip()

    def form_pool(self, kind: str) -> list[tuple[str, str, str]]:
        """(form for COPY, form for COPY once signed, signed form as canonical JSON)."""
        rng, pool = self.rng, []
        for _ in range(24):
            if kind == "reflection":
                form = {
                    "what_happened": self.text(80, 300),
                    "so_what": self.text(80, 300),
                    "now_what": self.text(60, 200),
                }
            elif kind in WBA_DOMAINS:
                form = {
                    "activity": rng.choice(TOPICS).capitalize(),
                    "setting": f"{rng.choice(('Linac', 'Room', 'Clinic', 'Ward'))} "
                    f"{rng.randint(1, 9)}, routine session",
                    "strengths": self.text(40, 200),
                    "development": self.text(40, 200),
                    "ratings": {d: rng.choice(RATINGS) for d in WBA_DOMAINS[kind]},
                }
            elif kind == "otj":
                form = {
                    "activity": rng.choice(TOPICS).capitalize(),
                    "hours": rng.choice((1, 1.5, 2, 3, 3.5, 4, 6, 7.5)),
                }
            elif kind == "msf":
                form = {
                    "summary": self.text(80, 300),
                    "plan": self.text(60, 200),
                    "raters": rng.randint(6, 14),
                }
            else:
                form = {}
            signed = (
                {**form, "assessor_declaration": self.declaration}
                if kind in WBA_DOMAINS
                else form
            )
            canonical = json.dumps(
                signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
            pool.append(
                (
                    esc(json.dumps(form, ensure_ascii=False)),
                    esc(json.dumps(signed, ensure_ascii=False)),
                    canonical,
                )
            )
        return pool

    @staticmethod
    def status_for(age: int, r: float) -> str:
        if age > 60:
            table = ((0.945, "signed_off"), (0.985, "draft"), (0.995, "returned"))
        elif age > 14:
            table = ((0.70, "signed_off"), (0.86, "draft"), (0.90, "returned"))
        else:
            table = ((0.25, "signed_off"), (0.65, "draft"), (0.70, "returned"))
        for limit, status in table:
            if r < limit:
                return status
        return "submitted"

    def plan(self, enrolment: Enrolment, n: int) -> list[list]:
        """[occurred_on, kind, status, submitted_to] for ``n`` items, oldest first."""
        rng, today = self.rng, self.gen.today
        first = enrolment.start
        span = max((enrolment.active_until - first).days, 0)
        mix = KIND_MIX.get(enrolment.curriculum.kind, KIND_MIX["stp"])
        kinds = rng.choices(list(mix), weights=list(mix.values()), k=n)
        days = sorted(first + timedelta(days=rng.randint(0, span)) for _ in range(n))
        officers = [
            s for s, role in enrolment.supervisors if role == "training_officer"
        ]
        assessors = [
            s for s, role in enrolment.supervisors if role != "training_officer"
        ]
        plans = []
        for day, kind in zip(days, kinds, strict=True):
            status = self.status_for((today - day).days, rng.random())
            who = None
            if status != "draft":
                who = (
                    rng.choice(assessors)
                    if assessors and rng.random() < 0.3
                    else officers[-1]
                )
            plans.append([day, kind, status, who])
        return plans

    def force_queue(self, plans: list[list], supervisor: str, size: int) -> None:
        """Exactly ``size`` requests waiting for ``supervisor``: the most recent items."""
        for p in plans:
            if p[2] == "submitted":
                p[2] = "signed_off"
        recent = sorted(plans, key=lambda p: p[0], reverse=True)
        if len(recent) < size:
            raise SystemExit("queue trainees have too little evidence for the queue")
        for p in recent[:size]:
            p[2], p[3] = "submitted", supervisor

    def write(self, enrolment: Enrolment, plans: list[list]) -> None:
        rng, gen = self.rng, self.gen
        now = gen.now
        curriculum = enrolment.curriculum
        groups, cumulative = curriculum.groups, curriculum.cumulative
        total = cumulative[-1]
        extension = enrolment.extension
        owner = enrolment.trainee_id
        forms = self.forms
        for day, kind, status, who in plans:
            eid = gen.new_id()
            self.status_counts[status] += 1
            group = groups[bisect_right(cumulative, rng.randrange(total))]
            k = min(rng.choices((1, 2, 3), weights=(50, 35, 15))[0], len(group))
            claims = rng.sample(group, k)
            if extension is not None and rng.random() < 0.25:
                ext_groups = extension.curriculum.groups
                claims[-1] = rng.choice(ext_groups[rng.randrange(len(ext_groups))])
                claims = list(dict.fromkeys(claims))
            for oid, _ in claims:
                self.claims.add(f"{gen.new_id()}\t{eid}\t{oid}\n")
            title = f"{KIND_TITLES[kind]}: {rng.choice(TOPICS)}"
            body = self.text(60, 900) if kind != "otj" else ""
            form, signed_form, canonical = rng.choice(forms[kind])
            created = gen.moment(day + timedelta(days=rng.randint(0, 3)))
            submitted = decided = None
            lock = 1
            if status != "draft":
                submitted = min(
                    created + timedelta(hours=rng.uniform(1, 120)),
                    now - timedelta(minutes=2),
                )
                lock = 2
            if status in ("signed_off", "returned"):
                keys = json.dumps(sorted(key for _, key in claims))
                if status == "signed_off" and rng.random() < 0.1:
                    returned_at = min(
                        submitted + timedelta(hours=rng.uniform(2, 200)), now
                    )
                    self.signoff(eid, who, "returned", "", keys, returned_at)
                    submitted = min(
                        returned_at + timedelta(hours=rng.uniform(2, 200)), now
                    )
                    lock += 2
                decided = min(
                    submitted + timedelta(hours=rng.lognormvariate(3.8, 1.0)), now
                )
                lock += 1
                content = None
                if status == "signed_off":
                    doc = "".join(
                        (
                            '{"attachments":[],"body":',
                            json.dumps(body, ensure_ascii=False),
                            ',"claims":',
                            keys.replace(", ", ","),
                            ',"form":',
                            canonical,
                            ',"id":"',
                            eid,
                            '","kind":"',
                            kind,
                            '","occurred_on":"',
                            day.isoformat(),
                            '","title":',
                            json.dumps(title, ensure_ascii=False),
                            ',"version":1}',
                        )
                    )
                    content = hashlib.sha256(doc.encode()).hexdigest()
                    form = signed_form
                self.signoff(eid, who, status, content, keys, decided)
            updated = decided or submitted or created
            self.evidence.add(
                f"{eid}\t{owner}\t{kind}\t{title}\t{day.isoformat()}\t{body}\t{form}\t"
                f"{status}\t1\t{lock}\t{who or NULL}\t{ts(submitted)}\t"
                f"{created.isoformat()}\t{updated.isoformat()}\n"
            )

    def signoff(self, eid, assessor, status, content, keys, decided) -> None:
        rng = self.rng
        if status == "signed_off":
            decision, comment = "approved", rng.choice(COMMENTS_APPROVE)
        else:
            decision, comment = "returned", rng.choice(COMMENTS_RETURN)
            content = hashlib.sha256(f"{eid}:returned".encode()).hexdigest()
        self.signoffs.add(
            f"{self.gen.new_id()}\t{eid}\t1\t{assessor}\t{decision}\t{comment}\t"
            f"{content}\t{esc(keys)}\t{decided.isoformat()}\t{NULL}\t{NULL}\t{NULL}\n"
        )


# ---- the other rows ---------------------------------------------------------------------


def enrolment_rows(gen: Generator, leads: dict[str, str]):
    rng = gen.rng
    for e in gen.enrolments:
        apprenticeship = e.curriculum.kind == "apprenticeship"
        hours = gateway = employer = employer_at = provider = provider_at = None
        if apprenticeship:
            hours = rng.choices((37.5, 30.0, 22.5), weights=(85, 10, 5))[0]
            if e.status == "completed":
                gateway = e.active_until
                employer, provider = leads[e.org.id], e.supervisors[0][0]
                employer_at = provider_at = gen.moment(gateway)
        created_by = leads[e.org.id]
        created = gen.moment(e.start - timedelta(days=rng.randint(1, 40)))
        yield (
            e.id,
            e.trainee_id,
            e.curriculum.id,
            e.org.id,
            e.start,
            e.end,
            e.status,
            hours,
            gateway,
            employer,
            employer_at,
            provider,
            provider_at,
            created_by,
            created,
        )


def assignment_rows(gen: Generator):
    rng = gen.rng
    for e in gen.enrolments:
        finished = e.status in ("completed", "withdrawn")
        end = e.active_until if finished else None
        for n, (supervisor, role) in enumerate(e.supervisors):
            # Assessors are agreed in advance by the training officer
            # (https://nshcs.hee.nhs.uk/publications/training-roles-on-the-scientist-training-programme-stp/html),
            # so every request
            # goes to someone supervising the trainee when it is sent.
            start = e.start
            if n == 0 and rng.random() < 0.15 and (e.active_until - e.start).days > 60:
                # A change of training officer part-way through.
                change = e.start + timedelta(
                    days=rng.randint(30, (e.active_until - e.start).days - 1)
                )
                previous = rng.choice(e.org.supervisors)
                if previous != supervisor:
                    yield (
                        gen.new_id(),
                        e.id,
                        e.trainee_id,
                        previous,
                        role,
                        e.start,
                        change,
                    )
                    start = change + timedelta(days=1)
            if end is not None and end < start:
                end = start
            yield (gen.new_id(), e.id, e.trainee_id, supervisor, role, start, end)


def break_rows(gen: Generator):
    rng = gen.rng
    for e in gen.enrolments:
        if e.status == "break_in_learning":
            yield (gen.new_id(), e.id, e.active_until, None, "Sickness absence")
        elif rng.random() < 0.03 and (e.active_until - e.start).days > 200:
            start = e.start + timedelta(days=rng.randint(60, 150))
            end = start + timedelta(days=rng.randint(14, 90))
            yield (gen.new_id(), e.id, start, end, "Parental leave")


def review_rows(gen: Generator, leads: dict[str, str]):
    rng = gen.rng
    empty = json.dumps([])
    for e in gen.enrolments:
        if e.curriculum.kind not in ("stp", "apprenticeship", "clinical-technologist"):
            continue
        officer, lead = e.supervisors[0][0], leads[e.org.id]
        if e.curriculum.kind == "apprenticeship":
            kind, dues = "apprenticeship", []
            due = e.start + timedelta(weeks=12)
            while due <= e.active_until:
                dues.append(due)
                due += timedelta(weeks=12)
        else:
            kind = "stp_end_of_year"
            dues = [
                date(year, 9, 30)
                for year in range(e.start.year, e.active_until.year + 1)
                if e.start + timedelta(days=335) <= date(year, 9, 30) <= e.active_until
            ]
        for n, due in enumerate(dues):
            if rng.random() < 0.08:
                continue  # missed: shows as overdue
            held = due - timedelta(days=rng.randint(0, 20))
            signed = gen.moment(held)
            incomplete = n == len(dues) - 1 and rng.random() < 0.1
            actions = (
                empty
                if rng.random() < 0.5
                else json.dumps(
                    [
                        {
                            "text": "Complete the outstanding DOPS",
                            "done": False,
                            "carried_from": None,
                        }
                    ]
                )
            )
            yield (
                gen.new_id(),
                e.id,
                kind,
                due,
                held,
                "Progress discussed; on track with actions agreed.",
                actions,
                signed,
                lead,
                signed,
                None if incomplete else officer,
                None if incomplete else signed,
                officer,
                signed,
            )


# ---- the database ----------------------------------------------------------------------


def prepare_database(url: str, force: bool) -> None:
    """Create the database, or drop and recreate one made by an earlier run."""
    name = common.database_name(url)
    if common.database_exists(url):
        with psycopg.connect(common.libpq_url(url)) as conn:
            meta = common.read_meta(conn)
            tables = conn.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            ).fetchone()[0]
        if meta is None and tables and not force:
            raise SystemExit(
                f"Database {name!r} has tables but was not made by bench/generate.py; "
                "pass --force to replace it."
            )
        with psycopg.connect(common.maintenance_url(url), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )
    with psycopg.connect(common.maintenance_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # Marked as ours at once, so a run that fails half-way can be replaced later.
    with psycopg.connect(common.libpq_url(url), autocommit=True) as conn:
        common.write_meta(conn, {"complete": False})


def run_flask(url: str, *args: str) -> None:
    env = common.flask_env(url)
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=common.REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"flask {' '.join(args)} failed")


def generate(url: str, scale: float, seed: int, today: date, started: float) -> dict:
    with psycopg.connect(common.libpq_url(url)) as conn:
        check_columns(conn)
        curricula = read_curricula(conn)
        gen = Generator(scale, seed, today)
        orgs = gen.organisations()
        lead, queue, dashboard, small = gen.allocate_trainees(orgs)
        gen.staff(orgs, small)
        gen.enrol_everyone(orgs, curricula, lead, queue, dashboard, small)
        gen.special_staff(lead, queue, small)
        gen.evidence_counts()
        leads = {o.id: o.leads[0] for o in orgs if o.leads}
        log(
            f"planned {len(orgs)} organisations, {gen.trainees_total} trainees, "
            f"{len(gen.users)} users, {len(gen.enrolments)} enrolments, "
            f"{sum(e.items for e in gen.enrolments)} evidence items",
            started,
        )

        cur = conn.cursor()
        freeze = True
        try:
            conn.execute("SET session_replication_role = replica")  # no FK triggers
        except psycopg.Error:
            conn.rollback()
        # Emptying the tables in this transaction lets COPY write frozen rows, so
        # the VACUUM afterwards has almost nothing to do.
        conn.execute(
            sql.SQL("TRUNCATE {} CASCADE").format(
                sql.SQL(", ").join(sql.Identifier(t) for t in TABLES)
            )
        )
        counts = gen.counts
        counts["organisation"] = copy_rows(
            cur,
            "organisation",
            ((o.id, o.code, o.name, o.kind, o.nation, o.region) for o in orgs),
            freeze,
        )
        counts["user_account"] = copy_rows(cur, "user_account", gen.users, freeze)
        counts["role_assignment"] = copy_rows(cur, "role_assignment", gen.roles, freeze)
        counts["enrolment"] = copy_rows(
            cur, "enrolment", enrolment_rows(gen, leads), freeze
        )
        counts["supervision_assignment"] = copy_rows(
            cur, "supervision_assignment", assignment_rows(gen), freeze
        )
        counts["learning_break"] = copy_rows(
            cur, "learning_break", break_rows(gen), freeze
        )
        counts["progress_review"] = copy_rows(
            cur, "progress_review", review_rows(gen, leads), freeze
        )
        log("people, enrolments, assignments and reviews copied", started)

        evidence = TextCopy(cur, "evidence", freeze)
        writer = EvidenceWriter(gen, evidence)
        queued = {}
        for key in ("supervisor", "supervisor_small"):
            for trainee in gen.special[key]["trainees"]:
                queued[trainee] = key
        held: dict[str, list] = {"supervisor": [], "supervisor_small": []}
        mains = [e for e in gen.enrolments if e.items]
        for n, enrolment in enumerate(mains, start=1):
            plans = writer.plan(enrolment, enrolment.items)
            key = queued.get(enrolment.trainee_id)
            if key:
                held[key].append((enrolment, plans))
            else:
                writer.write(enrolment, plans)
            if n % 2000 == 0:
                log(f"evidence for {n}/{len(mains)} enrolments", started)
        for key, group in held.items():
            person = gen.special[key]
            everything = [p for _, plans in group for p in plans]
            writer.force_queue(everything, person["user_id"], person["queue"])
            for enrolment, plans in group:
                writer.write(enrolment, plans)
        counts["evidence"] = evidence.close()
        log(f"{counts['evidence']} evidence items copied", started)
        counts["outcome_claim"] = writer.claims.copy_into(cur, "outcome_claim", freeze)
        log(f"{counts['outcome_claim']} outcome claims copied", started)
        counts["signoff"] = writer.signoffs.copy_into(cur, "signoff", freeze)
        log(f"{counts['signoff']} sign-offs copied", started)
        conn.commit()
        log("committed", started)
        return {
            "counts": counts,
            "evidence_status": writer.status_counts,
            "special": gen.special,
            "freeze": freeze,
        }


def analyse(url: str) -> None:
    with psycopg.connect(common.libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = national scale")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=date.today(),
        help="the day the data ends (default: today)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database when it already holds this dataset (same scale/seed)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the database even if it was not made by this script",
    )
    args = parser.parse_args(argv)
    url = args.database_url
    started = time.monotonic()
    if not 0.01 <= args.scale <= 10:
        parser.error("--scale must be between 0.01 and 10")

    if args.reuse:
        meta = common.read_meta_url(url)
        if (
            meta
            and meta.get("complete")
            and meta.get("generator") == common.GENERATOR_VERSION
            and meta.get("scale") == args.scale
            and meta.get("seed") == args.seed
        ):
            run_flask(url, "db", "upgrade")
            log(
                f"reusing {common.database_name(url)}: scale {meta['scale']}, "
                f"made {meta['generated_at']} in {meta['seconds']:.0f}s "
                f"({meta['counts']['evidence']} evidence items)",
                started,
            )
            if not common.read_tokens(url):  # none yet, or another database's
                common.write_tokens(url, meta["special"])
            return 0
        log("no matching dataset to reuse: generating", started)

    prepare_database(url, args.force)
    log(f"database {common.database_name(url)} created", started)
    run_flask(url, "db", "upgrade")
    run_flask(url, "curricula", "load")
    load_bench_curriculum(url)
    log("migrations run, curricula loaded (with the 300-outcome bench one)", started)
    result = generate(url, args.scale, args.seed, args.today, started)
    analyse(url)
    log("vacuumed and analysed", started)
    common.write_tokens(url, result["special"])
    seconds = time.monotonic() - started
    with psycopg.connect(common.libpq_url(url), autocommit=True) as conn:
        size = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()[0]
        common.write_meta(
            conn,
            {
                "complete": True,
                "generator": common.GENERATOR_VERSION,
                "scale": args.scale,
                "seed": args.seed,
                "today": args.today.isoformat(),
                "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds": round(seconds, 1),
                "size": size,
                **result,
            },
        )
    print()
    print(f"Dataset ready in {common.database_name(url)} ({size}):")
    for table, n in result["counts"].items():
        print(f"  {table:24} {n:>10,}")
    print(f"  evidence by status       {result['evidence_status']}")
    print(f"Total time {seconds:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
