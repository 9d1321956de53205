"""``python -m minimx.launch -n N [--hostfile F] train.py [args]``: run a script as N MPI workers.

A thin wrapper around ``mpiexec`` for those who have not used it: it finds the ``mpiexec`` of this
Python's environment (pip's ``mpich`` puts one next to ``python``), adds the flags Open MPI needs
when running as root or with more workers than cores, and runs::

    mpiexec -n N [-f F | --hostfile F] python train.py [args]

In the script, ``mx.kv.create('dist_sync')`` (or ``gluon.Trainer(..., kvstore='dist_sync')``) then
sums gradients over the N workers; ``kv.rank`` and ``kv.num_workers`` say which one this is.

Without the wrapper, the same thing by hand:

* MPICH (``pip install mpi4py mpich``): ``mpiexec -n 2 python train.py``; several machines:
  ``mpiexec -f hosts -n 8 python train.py`` (``hosts`` lists one machine per line, ``host:slots``).
* Open MPI: ``mpirun -n 2 python train.py``; as root add ``--allow-run-as-root`` (or set
  ``OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1``); more workers than cores:
  ``--oversubscribe``; several machines: ``--hostfile hosts``.
"""
import argparse
import os
import shutil
import subprocess
import sys

__all__ = ["main", "mpiexec_command"]


def _find_mpiexec():
    here = os.path.dirname(sys.executable)
    for name in ("mpiexec", "mpirun"):
        local = os.path.join(here, name)
        if os.access(local, os.X_OK):
            return local
    for name in ("mpiexec", "mpirun"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _is_open_mpi(mpiexec):
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Open MPI" in out.stdout + out.stderr or "OpenRTE" in out.stdout + out.stderr


def mpiexec_command(n, script_args, hostfile=None, mpiexec=None):
    """The command line that runs ``python script_args...`` as `n` MPI processes."""
    mpiexec = mpiexec or _find_mpiexec()
    if mpiexec is None:
        raise SystemExit("minimx.launch: no mpiexec found. Install an MPI: pip install mpi4py "
                         "mpich (or pip install 'minimx[dist]', or apt-get install mpich)")
    cmd = [mpiexec, "-n", str(n)]
    if _is_open_mpi(mpiexec):
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
        if n > (os.cpu_count() or 1):
            cmd.append("--oversubscribe")
        if hostfile:
            cmd += ["--hostfile", hostfile]
    elif hostfile:
        cmd += ["-f", hostfile]
    return cmd + [sys.executable] + list(script_args)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m minimx.launch",
        description="Run a minimx training script as N MPI workers (a wrapper around mpiexec).")
    parser.add_argument("-n", "--num-workers", type=int, required=True,
                        help="number of worker processes")
    parser.add_argument("--hostfile", default=None,
                        help="file listing the machines (one per line); default: this machine")
    parser.add_argument("--dry-run", action="store_true", help="print the command, do not run it")
    parser.add_argument("script", help="the Python script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the script")
    opts = parser.parse_args(argv)
    if opts.num_workers < 1:
        parser.error("-n must be at least 1")
    cmd = mpiexec_command(opts.num_workers, [opts.script] + opts.args, opts.hostfile)
    if opts.dry_run:
        print(" ".join(cmd))
        return 0
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
