"""MCP keys: ``mcp_`` + 40 lowercase base32 characters, stored as argon2id PHC strings.

``hash`` and ``verify`` release the GIL while argon2 runs. ``verify`` answers ``False`` for a
wrong (or malformed) key and raises :class:`KeyFormatError` only for a malformed stored hash.
"""

from ._native import KeyFormatError, KeyPolicy
from ._native import generate_key as generate
from ._native import hash_key as hash
from ._native import key_index as index
from ._native import key_needs_rehash as needs_rehash
from ._native import verify_key as verify

__all__ = ["KeyFormatError", "KeyPolicy", "generate", "hash", "index", "needs_rehash", "verify"]
