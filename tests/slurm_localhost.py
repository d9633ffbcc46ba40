"""A single-node SLURM cluster on localhost, for tests: Debian's slurmctld, slurmd and munge, run as root.

    with LocalSlurm(state_dir) as cluster:      # installs the packages if missing, starts munged/slurmctld/slurmd
        ... sbatch / snakemake --executor slurm ...
    # every daemon stopped, /etc/slurm/slurm.conf removed again

Accounting is off (no slurmdbd): jobs stay visible to ``squeue``/``scontrol`` for ``MinJobAge`` (1 h), so
Snakemake's SLURM executor reads job states with ``--slurm-status-command squeue``. Memory is not a consumable
resource here (``CR_Core``) and the node's RealMemory is taken from its configuration, so the paper-scale
memory requests of the SLURM profile are submitted unchanged on a small CI machine; CPUs are real.

:class:`SlurmUnavailable` says why a cluster could not start (not root, no apt-get, a daemon that died: its
log's tail is in the message).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
SLURM_CONF = Path("/etc/slurm/slurm.conf")   # where srun inside a job looks (the executor clears SLURM_CONF)
MARKER = "# written by tests/slurm_localhost.py"
PARTITION = "ci"
NODE_MEMORY_MB = 256000  # configured, not real: memory is not scheduled (CR_Core); large paper requests pass


class SlurmUnavailable(RuntimeError):
    pass


def _run(cmd: list[str], timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def ensure_installed() -> None:
    """Install Debian's SLURM and munge packages when their commands are missing (root and apt-get needed)."""
    if all(shutil.which(c) for c in ("slurmctld", "slurmd", "sbatch", "squeue", "munged")):
        return
    if os.geteuid() != 0:
        raise SlurmUnavailable("SLURM is not installed and installing it needs root (apt-get install "
                               + " ".join(PACKAGES) + ")")
    if not shutil.which("apt-get"):
        raise SlurmUnavailable("SLURM is not installed and this machine has no apt-get (Debian/Ubuntu needed)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    proc = _run(install, timeout=600, env=env)
    if proc.returncode != 0:  # a fresh machine may need the package lists first
        _run(["apt-get", "update"], timeout=600, env=env)
        proc = _run(install, timeout=600, env=env)
    if proc.returncode != 0:
        raise SlurmUnavailable(f"apt-get install {' '.join(PACKAGES)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


class LocalSlurm:
    def __init__(self, state_dir: Path, cpus: int | None = None) -> None:
        self.dir = Path(state_dir)
        self.cpus = cpus or os.cpu_count() or 1
        self.host = socket.gethostname().split(".")[0]
        self._started: list[tuple[str, Path]] = []   # (name, pid file) of the daemons this object started
        self._wrote_conf = False

    # -- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> "LocalSlurm":
        if os.geteuid() != 0:
            raise SlurmUnavailable("a localhost SLURM cluster needs root (slurmd runs jobs as their submitter)")
        ensure_installed()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self) -> None:
        for sub in ("spool", "state", "log", "run"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        if SLURM_CONF.exists() and MARKER not in SLURM_CONF.read_text():
            raise SlurmUnavailable(f"{SLURM_CONF} exists and was not written by this test; refusing to replace it")
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(self.config_text())
        self._wrote_conf = True
        self._start_munge()
        for daemon in ("slurmctld", "slurmd"):
            proc = _run([daemon, "-f", str(SLURM_CONF)])
            if proc.returncode != 0:
                raise SlurmUnavailable(f"{daemon} did not start ({proc.returncode}): {proc.stderr.strip()}\n"
                                       + self.log_tail(daemon))
            self._started.append((daemon, self.dir / "run" / f"{daemon}.pid"))
        self._wait_idle()

    def _start_munge(self) -> None:
        if _run(["munge", "-n"]).returncode == 0:
            return  # a munged already runs (e.g. the machine's own)
        key = Path("/etc/munge/munge.key")
        if not key.exists():
            _run(["mungekey", "--create"]) if shutil.which("mungekey") else None
        sock_dir = Path("/run/munge")
        sock_dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(sock_dir, "munge", "munge")
        proc = _run(["su", "-s", "/bin/sh", "munge", "-c", "/usr/sbin/munged"])
        if proc.returncode != 0:
            proc = _run(["/usr/sbin/munged", "--force"])  # as root, when the munge user cannot run it
        check = _run(["munge", "-n"])
        if proc.returncode != 0 or check.returncode != 0:
            raise SlurmUnavailable(f"munged did not start: {proc.stderr.strip()} {check.stderr.strip()}")
        self._started.append(("munged", Path("/run/munge/munged.pid")))

    def _wait_idle(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        state = ""
        while time.time() < deadline:
            proc = _run(["sinfo", "-h", "-N", "-o", "%t"], timeout=10)
            state = proc.stdout.strip()
            if proc.returncode == 0 and state == "idle":
                return
            time.sleep(0.5)
        raise SlurmUnavailable(f"the node did not become idle within {timeout:.0f} s (state {state!r})\n"
                               + self.log_tail("slurmctld") + self.log_tail("slurmd"))

    def stop(self) -> None:
        if shutil.which("scancel") and self._started:
            _run(["scancel", "--full", "--user", "root"], timeout=30)
        for name, pid_file in reversed(self._started):
            try:
                pid = int(pid_file.read_text().split()[0])
                os.kill(pid, 15)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.1)
            except (OSError, ValueError, IndexError):
                pass
        self._started.clear()
        if self._wrote_conf:
            SLURM_CONF.unlink(missing_ok=True)
            self._wrote_conf = False

    # -- configuration and inspection -----------------------------------------------------------------------
    def config_text(self) -> str:
        d = self.dir
        return "\n".join([
            MARKER,
            "ClusterName=bioplausible-ci",
            f"SlurmctldHost={self.host}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "ProctrackType=proctrack/linuxproc",   # no cgroups needed (containers, gVisor)
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",          # CPUs are scheduled, memory is not
            "SlurmdParameters=config_overrides",     # trust this file's RealMemory over the machine's
            "SchedulerType=sched/builtin",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "MpiDefault=none",
            "ReturnToService=2",
            "MinJobAge=3600",                        # finished jobs stay visible to squeue/scontrol for an hour
            f"SlurmctldPidFile={d}/run/slurmctld.pid",
            f"SlurmdPidFile={d}/run/slurmd.pid",
            f"SlurmdSpoolDir={d}/spool",
            f"StateSaveLocation={d}/state",
            f"SlurmctldLogFile={d}/log/slurmctld.log",
            f"SlurmdLogFile={d}/log/slurmd.log",
            f"NodeName={self.host} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={NODE_MEMORY_MB} State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            "",
        ])

    def log_tail(self, daemon: str, lines: int = 15) -> str:
        path = self.dir / "log" / f"{daemon}.log"
        if not path.exists():
            return f"({path} does not exist)\n"
        return f"--- last lines of {path}:\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"

    def submitted_job_ids(self) -> list[int]:
        """Every batch job slurmctld accepted since it started (from its log)."""
        text = (self.dir / "log" / "slurmctld.log").read_text(errors="replace")
        return sorted({int(m) for m in re.findall(r"_slurm_rpc_submit_batch_job: JobId=(\d+)", text)})

    def job_info(self, job_id: int) -> dict[str, str]:
        """``scontrol show job`` as a dict (finished jobs stay for MinJobAge)."""
        out = _run(["scontrol", "show", "job", "-o", str(job_id)], timeout=10).stdout
        info = {}
        for token in out.split():
            if "=" in token:
                key, _, value = token.partition("=")
                info[key] = value
        return info
