"""Import every model so that one metadata holds the whole schema (for Alembic)."""

from portfolio.accounts.models import ApiToken
from portfolio.accounts.models import Invitation
from portfolio.accounts.models import RecoveryCode
from portfolio.accounts.models import RoleAssignment
from portfolio.accounts.models import User
from portfolio.accounts.sso_models import UserIdentity
from portfolio.audit.models import AuditCheckpoint
from portfolio.audit.models import AuditEvent
from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.curriculum.mapping_models import OutcomeCodeMapping
from portfolio.curriculum.models import CrosswalkFile
from portfolio.curriculum.models import CrosswalkLink
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import LearningBreak
from portfolio.enrolments.models import ProgressReview
from portfolio.enrolments.models import ProgressSummary
from portfolio.enrolments.models import ScheduledReview
from portfolio.enrolments.models import SupervisionAssignment
from portfolio.enrolments.stp_models import FyaSitting
from portfolio.enrolments.stp_models import ProgressionRecord
from portfolio.enrolments.stp_models import StpCompletion
from portfolio.enrolments.stp_models import TrainingExtension
from portfolio.evidence.models import Attachment
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.exports.models import BundleImport
from portfolio.exports.models import Export
from portfolio.exports.models import ImportedHistory
from portfolio.exports.models import ShareLink
from portfolio.msf.models import MsfRater
from portfolio.msf.models import MsfResponse
from portfolio.msf.models import MsfRound
from portfolio.notifications.models import Notification
from portfolio.notifications.models import OutboxEmail
from portfolio.organisations.models import Organisation
from portfolio.progress.models import ProgressOutcome
from portfolio.registration.models import CpdActivity
from portfolio.registration.models import CpdProfile
from portfolio.registration.models import Nominee
from portfolio.registration.models import RegisterEntry
from portfolio.registration.models import RegistrationApplication
from portfolio.signoff.models import ImportedSignOff
from portfolio.signoff.models import SignOff
from portfolio.tickets.models import Ticket

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditCheckpoint",
    "AuditEvent",
    "BundleImport",
    "Enrolment",
    "Evidence",
    "Export",
    "FyaSitting",
    "ImportedHistory",
    "ImportedSignOff",
    "Invitation",
    "LearningBreak",
    "MsfRater",
    "MsfResponse",
    "MsfRound",
    "Notification",
    "OutcomeClaim",
    "ProgressionRecord",
    "ProgressOutcome",
    "ProgressReview",
    "ProgressSummary",
    "ScheduledReview",
    "ShareLink",
    "SignOff",
    "StpCompletion",
    "SupervisionAssignment",
    "Ticket",
    "TrainingExtension",
    "TrainingPlace",
    "WorkforceRecord",
    "CpdActivity",
    "CpdProfile",
    "Nominee",
    "RegisterEntry",
    "RegistrationApplication",
    "CrosswalkFile",
    "CrosswalkLink",
    "Curriculum",
    "Organisation",
    "Outcome",
    "OutcomeCodeMapping",
    "OutboxEmail",
    "RecoveryCode",
    "RoleAssignment",
    "User",
    "UserIdentity",
]
