"""Voucher codes stay derivable release after release, and typed codes are read or refused."""

import pytest

from points import codes

# Issued vouchers keep only a salt and a keyed hash: a replay derives the code again and a shop's
# typed code is looked up by its hash. A change to either derivation would strand every voucher
# already issued, so these values are fixed.
KNOWN = [
    ("secret", b"\x00" * 16, "volunteer:1", "F5WA-57TG-ANWZ-2CY4"),
    (b"secret", bytes(range(16)), "volunteer:42", "5RJD-FEJP-MM3X-GZK3"),
]
KNOWN_HASH = "b6153cb06f15b73a60039214dc6b5702d1a13c1b0f7816f86b80c3bf89fedefd"


@pytest.mark.parametrize(("secret", "salt", "context", "code"), KNOWN)
def test_a_salt_gives_the_same_code_release_after_release(secret, salt, context, code):
    assert codes.derive_code(secret, salt, context) == code


def test_the_lookup_hash_of_a_code_stays_the_same_however_it_is_typed():
    assert codes.lookup_hash("secret", "F5WA-57TG-ANWZ-2CY4") == KNOWN_HASH
    assert codes.lookup_hash(b"secret", "f5wa 57tg anwz 2cy4\n") == KNOWN_HASH


def test_a_draw_whose_check_symbol_would_be_a_sign_is_skipped():
    # the first draw of this salt has a check value of 32 ("*"): the next draw is taken
    salt = (38).to_bytes(16, "big")
    code = codes.derive_code("secret", salt, "volunteer:1")
    assert code == "X0H3-XYYM-8WRJ-248F"
    assert code[-1] in codes.ALPHABET


def test_codes_with_x_are_read_back():
    code = "X0H3-XYYM-8WRJ-248F"
    assert codes.normalise(code) == "X0H3XYYM8WRJ248F"
    assert codes.tail(code.lower()) == "248F"


@pytest.mark.parametrize(
    ("check", "full_width"),
    [("*", "＊"), ("~", "～"), ("$", "＄"), ("=", "＝"), ("U", "Ｕ")],
)
def test_every_check_symbol_is_read_typed_in_full_width(check, full_width):
    value = codes.CHECK_ALPHABET.index(check)
    data = codes.ALPHABET[0] * 13 + codes.ALPHABET[value // 32] + codes.ALPHABET[value % 32]
    assert codes.check_symbol(data) == check
    typed = "".join(chr(ord(c) + 0xFEE0) for c in data) + full_width
    assert codes.normalise(typed) == data + check


def test_codes_are_grouped_in_fours():
    assert codes.group("ABCDEFGHJKMNPQRS") == "ABCD-EFGH-JKMN-PQRS"


def test_a_pasted_code_with_a_line_break_is_read():
    assert codes.normalise("\tF5WA-57TG-ANWZ-2CY4\r\n") == "F5WA57TGANWZ2CY4"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("F5WA-57TG-ANWZ", "A voucher code has 16 symbols, like XXXX-XXXX-XXXX-XXXX."),
        ("#5WA-57TG-ANW!-2CY4", "Not a voucher code: !, # never appears in one."),
        ("F5WA-57TG-ANWZ-2CY#", "Not a voucher code: # never appears in one."),
        ("F5WA-57TG-ANWZ-2CY！", "Not a voucher code: ! never appears in one."),  # full width
        ("F5WA-57TG-ANWZ-2CY5", "The code's check symbol does not match: please read it again."),
    ],
)
def test_a_refused_code_says_what_is_wrong(typed, message):
    with pytest.raises(codes.InvalidCode) as refused:
        codes.normalise(typed)
    assert str(refused.value) == message


def test_each_voucher_gets_sixteen_fresh_random_bytes_of_salt():
    salts = {codes.new_salt() for _ in range(20)}
    assert len(salts) == 20
    assert {len(s) for s in salts} == {16}
