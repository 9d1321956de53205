"""Where to read an op: its declaration, its gradient rule and its kernel on every backend.

    python -m minimx.ops.locate Pooling          # or: minimx.ops.locate.locate("Pooling")

An op is declared once (``minimx/ops/<family>.py``: shape and dtype rules, gradient rule), and
its kernels live in one file per backend and family: ``_kernels/reference`` (numpy),
``_kernels/cpu`` (Cython ``.pyx``) and ``_kernels/opencl``. This prints the file and line of each,
so a student goes from ``mx.nd.Pooling`` to every piece of it in one step.
"""
import inspect
import os
import sys

from .opdef import get_op

__all__ = ["locate"]


def _where(fn):
    """``path:line`` of a Python or Cython function (a Cython one: its ``.pyx`` source)."""
    fn = getattr(fn, "native", fn)         # an OpenCL kernel wrapped with its host fallback
    if not inspect.isroutine(fn):          # a kernel object (a Cython class instance)
        fn = type(fn)
    try:
        path = inspect.getsourcefile(fn)
        line = inspect.getsourcelines(fn)[1]
        return f"{os.path.relpath(path)}:{line}"
    except (TypeError, OSError):
        pass
    module = sys.modules.get(getattr(fn, "__module__", ""), None)
    path = getattr(module, "__file__", None)
    if path is None:
        return "?"
    pyx = path.split(".", 1)[0] + ".pyx"
    if os.path.exists(pyx):
        path = pyx
        with open(pyx) as f:
            for n, text in enumerate(f, 1):
                if text.startswith((f"def {fn.__name__}(", f"cpdef {fn.__name__}(",
                                    f"class {fn.__name__}", f"cdef class {fn.__name__}")):
                    return f"{os.path.relpath(path)}:{n}"
    return os.path.relpath(path)


def _declaration(op):
    """``minimx/ops/<file>.py:<line>``: the line that names the op, in its family file first,
    then in the other op files (a family may span files: ``optim.py``, ``optim_multi.py``); just
    the family file when a loop or a helper makes the op from a shorter name."""
    here = os.path.dirname(__file__)
    family = os.path.join(here, f"{op.family}.py")
    others = sorted(os.path.join(here, f) for f in os.listdir(here) if f.endswith(".py"))
    for path in [family] + [p for p in others if p != family]:
        try:
            with open(path) as f:
                for n, text in enumerate(f, 1):
                    if f'"{op.name}"' in text or text.startswith(f"{op.name} = "):
                        return f"{os.path.relpath(path)}:{n}"
        except OSError:
            continue
    return os.path.relpath(family)


def locate(name):
    """``{'declaration': ..., 'gradient': ..., 'kernel/<backend>': ...}`` for op ``name``."""
    from .._kernels import BACKENDS
    op = get_op(name)
    found = {"declaration": _declaration(op)}
    found["gradient"] = _where(op.grad) if callable(op.grad) else str(op.grad)
    if op.compute is not None:
        found["composite body"] = _where(op.compute)
    for backend, table in sorted(BACKENDS.items()):
        kernel = table.kernels.get(op.kernel) if op.kernel else None
        found[f"kernel/{backend}"] = _where(kernel) if kernel is not None else "none"
    try:
        from .._kernels import opencl
        kernel = opencl.kernel_table().get(op.kernel) if op.kernel else None
        if kernel is None:
            found["kernel/opencl"] = "none"
        elif getattr(kernel, "host_fallback", False):
            found["kernel/opencl"] = "host fallback (copy, cpu kernel, copy back)"
        else:
            found["kernel/opencl"] = _where(kernel)
    except Exception as e:   # noqa: BLE001 - no pyopencl: say so rather than fail
        found["kernel/opencl"] = f"unavailable ({e})"
    return found


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(__doc__.split("\n\n")[0])
        return 2
    for name in argv:
        print(name)
        for key, value in locate(name).items():
            print(f"  {key:16s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
