"""The key-exchange groups a server context offers: Mozilla's list, not OpenSSL's default.

OpenSSL 3 offers X25519, P-256, X448, P-521 and P-384 by default; Mozilla's server-side TLS
guidelines (intermediate and modern, v5.7) list X25519, prime256v1 and secp384r1 only. Python 3.11
has no way to set a group list (`set_ecdh_curve` takes one curve, and not X25519; `set_groups`
arrives in 3.13), so this calls OpenSSL's `SSL_CTX_set1_groups_list` on the context's own SSL_CTX,
the library Python's `_ssl` is linked against. The SSL_CTX pointer is the first field after the
object header of CPython's `PySSLContext`; it is checked to be the right object by reading the
context's options through OpenSSL and comparing them with Python's before anything is set.
"""

from __future__ import annotations

import _ssl
import ctypes
import ssl
import sys

MOZILLA_GROUPS = "X25519:prime256v1:secp384r1"
_SSL_CTRL_SET_GROUPS_LIST = 92  # openssl/ssl.h: SSL_CTX_set1_groups_list is SSL_CTX_ctrl with this


class GroupsError(RuntimeError):
    """The group list could not be set; start-up stops rather than offering OpenSSL's default."""


def _libssl() -> ctypes.CDLL:
    lib = ctypes.CDLL(_ssl.__file__)  # symbols of the libssl this _ssl module is linked against
    lib.SSL_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p]
    lib.SSL_CTX_ctrl.restype = ctypes.c_long
    lib.SSL_CTX_get_options.argtypes = [ctypes.c_void_p]
    lib.SSL_CTX_get_options.restype = ctypes.c_uint64
    return lib


def set_groups(ctx: ssl.SSLContext, groups: str = MOZILLA_GROUPS) -> None:
    if sys.implementation.name != "cpython":
        raise GroupsError("setting TLS groups needs CPython")
    lib = _libssl()
    pointer = ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value
    if not pointer or lib.SSL_CTX_get_options(pointer) != int(ctx.options):
        raise GroupsError("cannot reach the OpenSSL context of an ssl.SSLContext")
    if lib.SSL_CTX_ctrl(pointer, _SSL_CTRL_SET_GROUPS_LIST, 0, groups.encode("ascii")) != 1:
        raise GroupsError(f"OpenSSL refused the group list {groups}")
