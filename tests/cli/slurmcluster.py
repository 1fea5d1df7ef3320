# SPDX-License-Identifier: LGPL-2.1-or-later
"""A single-node Slurm cluster for a test: munge and Slurm's daemons in a
temporary folder, bound to 127.0.0.1, on their own ports, stopped by PID
when the test ends, even when it fails."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol",
           "scancel", "sinfo")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlurmCluster:
    """`with SlurmCluster() as c:`; raises Unavailable saying why when the
    daemons cannot start."""

    class Unavailable(Exception):
        pass

    def __init__(self):
        self.dir = None
        self.pids = []
        self.env = None

    def __enter__(self):
        missing = [d for d in DAEMONS if not shutil.which(d) and not
                   os.path.exists(f"/usr/sbin/{d}")]
        if missing:
            raise self.Unavailable("not installed: " + ", ".join(missing) +
                                   " (apt-get install slurm-wlm munge)")
        if os.geteuid() != 0:
            raise self.Unavailable("slurmd runs jobs as their users: it "
                                   "needs root")
        self.dir = tempfile.mkdtemp(prefix="stillframe-slurm-")
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def path(self, name):
        return os.path.join(self.dir, name)

    def _daemon(self, *command, pid_file):
        subprocess.run(command, env=self.env, check=False, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(pid_file):
                with open(pid_file) as f:
                    text = f.read().strip()
                if text:
                    self.pids.append(int(text))
                    return
            time.sleep(0.05)
        raise self.Unavailable(f"{command[0]} did not start")

    def _start(self):
        host = socket.gethostname().split(".")[0]
        # munged wants its key private and its socket's folders open.
        os.chmod(self.dir, 0o755)
        munge = self.path("munge")
        os.makedirs(munge, mode=0o755)
        os.makedirs(self.path("key"), mode=0o700)
        key = self.path("key/munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        self.socket = os.path.join(munge, "munge.socket")
        sbin = "/usr/sbin"
        self.env = dict(os.environ, SLURM_CONF=self.path("slurm.conf"))
        self._daemon(f"{sbin}/munged", f"--key-file={key}",
                     f"--socket={self.socket}",
                     f"--pid-file={munge}/munged.pid",
                     f"--log-file={munge}/munged.log",
                     f"--seed-file={munge}/munge.seed",
                     pid_file=f"{munge}/munged.pid")
        for folder in ("state", "spool"):
            os.makedirs(self.path(folder))
        ctld_port, slurmd_port = free_port(), free_port()
        with open(self.path("slurm.conf"), "w") as f:
            f.write(f"""ClusterName=stillframe-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
AuthInfo=socket={self.socket}
CryptoType=crypto/munge
StateSaveLocation={self.path("state")}
SlurmdSpoolDir={self.path("spool")}
SlurmctldPidFile={self.path("slurmctld.pid")}
SlurmdPidFile={self.path("slurmd.pid")}
SlurmctldLogFile={self.path("slurmctld.log")}
SlurmdLogFile={self.path("slurmd.log")}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
SlurmUser=root
ReturnToService=2
MpiDefault=none
NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
        self._daemon(f"{sbin}/slurmctld", "-c", "-i",
                     pid_file=self.path("slurmctld.pid"))
        self._daemon(f"{sbin}/slurmd", pid_file=self.path("slurmd.pid"))
        for _ in range(150):
            r = subprocess.run(["sinfo", "-h", "-o", "%t"], env=self.env,
                               capture_output=True, text=True, timeout=10)
            if r.returncode == 0 and r.stdout.strip() in ("idle", "mix"):
                return
            time.sleep(0.1)
        raise self.Unavailable("the node did not come up: " + self.log())

    def log(self):
        parts = []
        for name in ("slurmctld.log", "slurmd.log"):
            try:
                with open(self.path(name)) as f:
                    parts.append(name + ": " + f.read()[-1500:])
            except OSError:
                pass
        return "\n".join(parts)

    def run(self, *command, timeout=60, **kwargs):
        return subprocess.run(list(command), env=kwargs.pop("env", self.env),
                              capture_output=True, text=True,
                              timeout=timeout, **kwargs)

    def __exit__(self, *exc):
        for pid in reversed(self.pids):
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass
        for pid in reversed(self.pids):
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
        self.pids = []
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False
