"""Reading a bundle safely: bounded zip members, a verified signature, checked JSON.

Nothing here touches the database. The zip's own directory is checked before any
member is read: how many files, their names, each file's size and compression ratio
and the total (``BUNDLE_MAX_MEMBER_MB``, ``BUNDLE_MAX_TOTAL_MB``,
``BUNDLE_MAX_RATIO``); reads then stop at the size each file declares, so a header
that lies cannot make a read run on. JSON documents are parsed strictly (no NaN, no
NUL characters or unpaired surrogates, at most 64 levels deep) and checked against
the schemas beside this file. Every problem is a BundleError naming the file in the
bundle and, for JSON, the path inside it.
"""

import hashlib
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from functools import cache
from pathlib import Path

import jsonschema
from flask import current_app

from portfolio.exports import signing
from portfolio.exports.bundle import FORMAT
from portfolio.exports.bundle import BundleError

CHUNK = 1 << 16
MB = 1024 * 1024
MAX_MEMBERS = 25_000
MAX_DIRECTORY_BYTES = 16 * MB
MAX_JSON_DEPTH = 64
# JSON is parsed in memory, where it takes several times its size: a tighter limit.
MAX_JSON_BYTES = 64 * MB
MAX_PROBLEMS = 20
# The ratio limit applies to files larger than this: small text compresses very well.
RATIO_FLOOR = MB
MANIFEST = "manifest.json"
PORTFOLIO = "portfolio.json"
SCHEMA_DIR = Path(__file__).parent
# What reading a hostile zip can raise (zipfile raises NotImplementedError for a
# compression method it does not support, RuntimeError for an encrypted member).
READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)

FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _is_date(value) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


@FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value) -> bool:
    if isinstance(value, str) and datetime.fromisoformat(value).tzinfo is None:
        raise ValueError("a time zone is needed, such as +00:00")
    return True


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    """The validator for ``bundle-<name>.schema.json`` (manifest, portfolio, case)."""
    schema = json.loads((SCHEMA_DIR / f"bundle-{name}.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=FORMATS)


@dataclass(frozen=True)
class Limits:
    member: int
    total: int
    ratio: float

    @classmethod
    def from_config(cls) -> "Limits":
        config = current_app.config
        return cls(
            member=int(float(config["BUNDLE_MAX_MEMBER_MB"]) * MB),
            total=int(float(config["BUNDLE_MAX_TOTAL_MB"]) * MB),
            ratio=float(config["BUNDLE_MAX_RATIO"]),
        )


@dataclass
class OpenedBundle:
    """A bundle whose files, signature and JSON have all been checked."""

    path: Path
    sha256: str
    manifest: dict
    installation: str
    public_key: str
    trusted: bool
    document: dict
    case_packages: dict[str, dict] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def key_fingerprint(self) -> str:
        return signing.fingerprint(self.public_key)

    def copy_member(self, name: str, target: Path) -> None:
        """Write one listed file to ``target``, bounded and checked against its hash."""
        digest = hashlib.sha256()
        with _open_zip(self.path) as archive, target.open("wb") as out:
            info = archive.getinfo(name)
            for chunk in _chunks(archive, info, info.file_size):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != self.manifest["files"][name]:
            raise BundleError(f"{name} changed while it was being imported")


def _megabytes(size: float) -> str:
    return f"{size / MB:.1f}"


def _sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _directory_size(path: Path) -> tuple[int, int]:
    """Entries and size of the zip's central directory, from its end record.

    Read before zipfile parses the directory, so a zip claiming millions of entries
    is refused without building them (APPNOTE 4.3.16,
    https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT).
    """
    with path.open("rb") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        handle.seek(max(0, end - (22 + 65535)))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise BundleError("not a zip file (it has no end of central directory record)")
    return struct.unpack("<HI", tail[at + 10 : at + 16])


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except READ_ERRORS as error:
        raise BundleError(f"not a zip file ({error})") from error


def _safe_name(name: str) -> bool:
    return (
        bool(name)
        and not name.startswith("/")
        and "\\" not in name
        and ".." not in Path(name).parts
        and all(ch.isprintable() for ch in name)
    )


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int):
    """Yield a member's bytes, refusing to go past ``cap`` whatever the data holds."""
    read = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                read += len(chunk)
                if read > cap:
                    raise BundleError(
                        f"{info.filename}: holds more than the {info.file_size} bytes "
                        "its header declares"
                    )
                yield chunk
    except BundleError:
        raise
    except READ_ERRORS as error:
        raise BundleError(
            f"{info.filename}: cannot be read from the zip ({error})"
        ) from error


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    return b"".join(_chunks(archive, info, info.file_size))


def _read_json_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_JSON_BYTES:
        raise BundleError(
            f"{info.filename}: {_megabytes(info.file_size)} MB of JSON, over the "
            f"limit of {_megabytes(MAX_JSON_BYTES)} MB for a JSON file"
        )
    return _read(archive, info)


def _check_directory(archive: zipfile.ZipFile, limits: Limits) -> dict:
    """Names, sizes and ratios of every member, before any is read."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BundleError(f"the zip holds {len(infos)} files; at most {MAX_MEMBERS}")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if not _safe_name(name):
            raise BundleError(f"unsafe path in bundle: {name!r}")
        if name in members:
            raise BundleError(f"{name}: appears twice in the zip")
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise BundleError(f"{name}: encrypted files are not accepted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BundleError(
                f"{name}: compression method {info.compress_type} is not accepted "
                "(only stored or deflated)"
            )
        if info.file_size > limits.member:
            raise BundleError(
                f"{name}: {_megabytes(info.file_size)} MB uncompressed, over the "
                f"limit of {_megabytes(limits.member)} MB per file (BUNDLE_MAX_MEMBER_MB)"
            )
        if info.file_size > RATIO_FLOOR and info.file_size > limits.ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise BundleError(
                f"{name}: compressed {ratio:.0f} to 1, over the limit of "
                f"{limits.ratio:g} to 1 (BUNDLE_MAX_RATIO): refused as a likely zip bomb"
            )
        total += info.file_size
        if total > limits.total:
            raise BundleError(
                f"the bundle's files add up to more than the limit of "
                f"{_megabytes(limits.total)} MB uncompressed (BUNDLE_MAX_TOTAL_MB)"
            )
        members[name] = info
    return members


# ---- JSON -----------------------------------------------------------------------------


def _where(path) -> str:
    text = "$"
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = str(part)
            text += f".{key[:40]}{'…' if len(key) > 40 else ''}"
    return text


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not valid Unicode)"
    return None


def _shape_problems(name: str, value) -> list[str]:
    """Depth, NUL characters and unpaired surrogates, without recursion."""
    problems: list[str] = []
    stack: list[tuple[object, tuple, int]] = [(value, (), 1)]
    while stack and len(problems) < MAX_PROBLEMS:
        item, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            problems.append(
                f"{name}: {_where(path)}: nested more than {MAX_JSON_DEPTH} levels deep"
            )
            break
        if isinstance(item, dict):
            for key, child in item.items():
                bad = _bad_text(key)
                if bad:
                    problems.append(f"{name}: {_where(path)}: a key {bad}")
                stack.append((child, (*path, key), depth + 1))
        elif isinstance(item, list):
            stack.extend(
                (child, (*path, index), depth + 1) for index, child in enumerate(item)
            )
        elif isinstance(item, str):
            bad = _bad_text(item)
            if bad:
                problems.append(f"{name}: {_where(path)}: the text {bad}")
    return problems


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "format":
        cause = f" ({error.cause})" if error.cause else ""
        return f"{error.instance!r:.60} is not a valid {error.validator_value}{cause}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties", "unknown field(s)")
    if error.validator in ("maxLength", "maxItems", "maxProperties"):
        return f"longer than {error.validator_value} ({error.validator})"
    message = error.message
    return message if len(message) <= 200 else message[:200] + "…"


def schema_problems(name: str, value, schema: str) -> list[str]:
    errors = sorted(
        validator(schema).iter_errors(value), key=lambda e: list(map(str, e.path))
    )
    return [
        f"{name}: {_where(error.absolute_path)}: {_message(error)}"
        for error in errors[:MAX_PROBLEMS]
    ]


def parse_json(name: str, data: bytes, schema: str):
    """Parse one member strictly and check it against ``bundle-<schema>.schema.json``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BundleError(
            f"{name}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from error
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise BundleError(
            f"{name}: not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from error
    except RecursionError as error:
        raise BundleError(f"{name}: nested too deeply to read") from error
    except ValueError as error:
        raise BundleError(f"{name}: not usable JSON: {error}") from error
    problems = _shape_problems(name, value) or schema_problems(name, value, schema)
    if problems:
        raise BundleError(
            f"{name} does not match the bundle format ({len(problems)} problem(s))",
            problems,
        )
    return value


# ---- the bundle -----------------------------------------------------------------------


def open_bundle(path: Path, allow_untrusted: bool = False) -> OpenedBundle:
    """Check everything that can be checked without the database, in this order:
    sizes, the manifest, its signature, whether its key is trusted, every file's
    SHA-256, then the JSON documents. Raises BundleError at the first problem."""
    limits = Limits.from_config()
    size = path.stat().st_size
    if size > limits.total:
        raise BundleError(
            f"the bundle is {_megabytes(size)} MB, over the limit of "
            f"{_megabytes(limits.total)} MB (BUNDLE_MAX_TOTAL_MB)"
        )
    entries, directory = _directory_size(path)
    if entries > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
        raise BundleError(
            f"the zip's directory lists {entries} files in {directory} bytes; "
            f"at most {MAX_MEMBERS} files"
        )
    bundle_sha = _sha256_of_file(path)
    with _open_zip(path) as archive:
        members = _check_directory(archive, limits)
        if MANIFEST not in members:
            raise BundleError(f"{MANIFEST} is missing")
        manifest_bytes = _read_json_member(archive, members[MANIFEST])
        manifest = _manifest(manifest_bytes)
        installation = manifest["installation"]
        public_key = installation["public_key"]
        if signing.SIGNATURE_MEMBER not in members:
            raise BundleError(
                f"the bundle is not signed ({signing.SIGNATURE_MEMBER} is missing)"
            )
        signature = _read(archive, members[signing.SIGNATURE_MEMBER])
        if not signing.verifies(
            public_key, signature.decode("ascii", "replace"), manifest_bytes
        ):
            raise BundleError(
                f"the signature in {signing.SIGNATURE_MEMBER} does not verify with the "
                f"key {MANIFEST} names: the bundle was changed after it was signed, "
                "or was not made by the installation it names"
            )
        trusted = _trusted(public_key)
        if not trusted and not allow_untrusted:
            raise BundleError(
                f"the bundle is signed by {installation['name']!r} with key "
                f"{signing.fingerprint(public_key)} ({public_key}), which this "
                "installation does not trust. Add the key to BUNDLE_TRUSTED_KEYS or "
                f"instance/{signing.TRUSTED_DIR}/, or import with --allow-untrusted to "
                "keep its history marked as from an unverified source"
            )
        listed = manifest["files"]
        unlisted = sorted(
            set(members) - set(listed) - {MANIFEST, signing.SIGNATURE_MEMBER}
        )
        if unlisted:
            raise BundleError(
                f"{unlisted[0]} is in the zip but not in the signed manifest"
            )
        kept: dict[str, bytes] = {}
        for name, digest in sorted(listed.items()):
            if name not in members:
                raise BundleError(f"{name} is listed in the manifest but missing")
            info = members[name]
            if name == PORTFOLIO or name.startswith("curricula/"):
                # Parsed later, so kept in memory (within the JSON limit).
                data = _read_json_member(archive, info)
                found = hashlib.sha256(data).hexdigest()
                kept[name] = data
            else:
                # Only hashed now; attachments are copied from the zip when stored.
                hasher = hashlib.sha256()
                for chunk in _chunks(archive, info, info.file_size):
                    hasher.update(chunk)
                found = hasher.hexdigest()
            if found != digest:
                raise BundleError(f"{name} does not match its SHA-256 in the manifest")
    document = parse_json(PORTFOLIO, kept.pop(PORTFOLIO), "portfolio")
    packages = {name: parse_json(name, data, "case") for name, data in kept.items()}
    return OpenedBundle(
        path=path,
        sha256=bundle_sha,
        manifest=manifest,
        installation=installation["name"],
        public_key=public_key,
        trusted=trusted,
        document=document,
        case_packages=packages,
        sizes={name: info.file_size for name, info in members.items()},
    )


def _manifest(data: bytes) -> dict:
    try:
        found = json.loads(data.decode("utf-8")).get("format")
    except (UnicodeDecodeError, ValueError, RecursionError, AttributeError):
        found = None
    if found == "mpce-portfolio-bundle/1":
        raise BundleError(
            "this bundle was made before bundles were signed (mpce-portfolio-bundle/1); "
            "export it again from an up-to-date installation"
        )
    if isinstance(found, str) and found != FORMAT:
        raise BundleError(f"unknown bundle format {found[:60]!r}; expected {FORMAT}")
    return parse_json(MANIFEST, data, "manifest")


def _trusted(public_key: str) -> bool:
    try:
        return public_key in signing.trusted_keys()
    except signing.SigningKeyError as error:
        raise BundleError(f"a trusted key is misconfigured: {error}") from error
