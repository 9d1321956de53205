"""Byte-level mutations for the file fuzzers (``test_reliability_files.py``, ``..._readers.py``).

``strategy(interesting, formats)`` draws one mutation: flip a byte, cut the file, insert 1-16
bytes, or overwrite an integer field (each ``struct`` format in ``formats``, e.g. ``"<I"``) with
one of the ``interesting`` values; ``mutate(buf, mutations)`` applies a list of them.
"""
import struct

from hypothesis import strategies as st

__all__ = ["strategy", "mutate"]


def strategy(interesting, formats):
    values = st.sampled_from(list(interesting))
    return st.one_of(
        st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
        st.tuples(st.just("cut"), st.integers(0, 10**6), st.just(0)),
        st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=16)),
        *[st.tuples(st.just(fmt), st.integers(0, 10**6), values) for fmt in formats])


def mutate(buf, mutations):
    buf = bytearray(buf)
    for kind, at, value in mutations:
        at = at % (len(buf) + 1)
        if kind == "flip":
            if at < len(buf):
                buf[at] ^= value
        elif kind == "cut":
            del buf[at:]
        elif kind == "insert":
            buf[at:at] = value
        else:                            # a struct format: overwrite an integer field
            size = struct.calcsize(kind)
            buf[at:at + size] = struct.pack(kind, value & (2 ** (8 * size) - 1))
    return bytes(buf)
