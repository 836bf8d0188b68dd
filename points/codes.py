"""Voucher codes: Crockford Base32, grouped for reading aloud, with a mod-37 check symbol (pure).

A code is 15 data symbols (75 bits) and one check symbol, shown as ``XXXX-XXXX-XXXX-XXXX``.
Crockford's alphabet has no I, L, O or U, so a code read over the phone or typed at a shop
counter survives the usual confusions: ``normalise`` maps O to 0 and I, L to 1, ignores case,
hyphens and spaces, and refuses a wrong check symbol before anything touches the database.

The database keeps only ``lookup_hash(secret, code)``, an HMAC-SHA256 keyed with the app's
SECRET_KEY. A voucher's code is derived from the same secret and a random salt from
``secrets`` stored with the voucher, so an idempotent replay can show the same code again
without the code being stored anywhere: a database dump alone (no secret) or the secret alone
(no salts) reveals no code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: Crockford's Base32 symbols, value 0 to 31.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Check symbols, value 0 to 36: the 32 above and five more (only ever in the last place).
CHECK_ALPHABET = ALPHABET + "*~$=U"
DATA_SYMBOLS = 15
CODE_LENGTH = DATA_SYMBOLS + 1
GROUP = 4
_DATA_BITS = 5 * DATA_SYMBOLS
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", "- \t\u3000\u2010\u2011\u2012\u2013\u2014\u2212\u30fc")


class InvalidCode(ValueError):
    """The text cannot be a voucher code (wrong length, symbol or check symbol)."""


def _as_bytes(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def _value(symbols: str) -> int:
    value = 0
    for symbol in symbols:
        value = value * 32 + ALPHABET.index(symbol)
    return value


def _symbols(value: int) -> str:
    out = []
    for _ in range(DATA_SYMBOLS):
        value, digit = divmod(value, 32)
        out.append(ALPHABET[digit])
    return "".join(reversed(out))


def check_symbol(data: str) -> str:
    """Return Crockford's mod-37 check symbol of the data symbols."""
    return CHECK_ALPHABET[_value(data) % 37]


def group(code: str) -> str:
    """Write a normalised code in groups of four: ``XXXX-XXXX-XXXX-XXXX``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(text: str) -> str:
    """Return the canonical form of a typed code (16 symbols, no hyphens), or raise InvalidCode."""
    compact = text.strip().upper().translate(_IGNORED)
    # full-width letters and digits, as a Japanese IME may type them
    compact = "".join(
        chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in compact
    ).translate(_TYPO)
    if len(compact) != CODE_LENGTH:
        raise InvalidCode(f"A voucher code has {CODE_LENGTH} symbols, like XXXX-XXXX-XXXX-XXXX.")
    data, check = compact[:DATA_SYMBOLS], compact[DATA_SYMBOLS]
    bad = sorted({c for c in data if c not in ALPHABET})
    if bad or check not in CHECK_ALPHABET:
        shown = ", ".join(bad or [check])
        raise InvalidCode(f"Not a voucher code: {shown} never appears in one.")
    if check_symbol(data) != check:
        raise InvalidCode("The code's check symbol does not match: please read it again.")
    return compact


def derive_code(secret: str | bytes, salt: bytes, context: str) -> str:
    """Return the voucher code (grouped) for a salt: HMAC-SHA256 of the secret, nothing stored.

    Codes whose check symbol would be one of ``*~$=U`` are skipped (the next counter is
    taken), so every issued code is read with digits and letters only.
    """
    key = _as_bytes(secret)
    for counter in range(1000):
        message = b"sasaeai-voucher-code\x00%s\x00%s\x00%d" % (
            context.encode("utf-8"),
            salt,
            counter,
        )
        digest = hmac.new(key, message, hashlib.sha256).digest()
        value = int.from_bytes(digest, "big") >> (256 - _DATA_BITS)
        if value % 37 < 32:
            data = _symbols(value)
            return group(data + check_symbol(data))
    raise AssertionError("unreachable: 1000 draws all had an awkward check symbol")


def new_salt() -> bytes:
    """Return a fresh random salt for one voucher (from ``secrets``)."""
    return secrets.token_bytes(16)


def lookup_hash(secret: str | bytes, code: str) -> str:
    """Return the keyed hash the database keeps for a (normalised or typed) code."""
    canonical = normalise(code)
    return hmac.new(
        _as_bytes(secret), b"sasaeai-voucher-lookup\x00" + canonical.encode("ascii"), hashlib.sha256
    ).hexdigest()


def tail(code: str) -> str:
    """Return the last group of a code, safe to show in histories and settlements."""
    return normalise(code)[-GROUP:]
