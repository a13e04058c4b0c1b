"""Validators against published examples and check digits computed by hand."""

from __future__ import annotations

import pytest

from assay.evaluate.pii import _validators as v


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("4111111111111111", True),  # Visa test number
        ("5555555555554444", True),  # Mastercard test number
        ("378282246310005", True),  # Amex test number
        ("4111111111111112", False),  # last digit changed
        ("1234567812345678", False),  # not an issuer range
        ("0000000000000000", False),
    ],
)
def test_credit_card(number: str, ok: bool) -> None:
    assert (v.credit_card(number) is not None) is ok


def test_luhn_by_hand() -> None:
    # 79927398713: doubled digits from the right 1*2=2, 8*2=16→7, 3*2=6, 2*2=4, 9*2=18→9;
    # 3+2+7+7+6+9+4+7+9+7+... = 70, a multiple of ten.
    assert v.luhn_ok("79927398713")
    assert not v.luhn_ok("79927398710")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GB82WEST12345698765432", "GB82WEST12345698765432"),  # ISO 13616 example
        ("DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00"),
        # The pattern runs on into the next word; the value is cut at Germany's 22 characters.
        ("DE89 3704 0044 0532 0130 00 THANKS", "DE89 3704 0044 0532 0130 00"),
        ("GB83WEST12345698765432", None),  # check digits changed
        ("XX82WEST12345698765432", None),  # no such country
    ],
)
def test_iban(text: str, expected: str | None) -> None:
    assert v.iban(text) == expected


def test_iban_cut_at_country_length() -> None:
    assert v.iban("DE89370400440532013000123") is None  # 25 characters: not a German IBAN
    assert v.iban("DE89 3704 0044 0532 0130 00 now") == "DE89 3704 0044 0532 0130 00"


@pytest.mark.parametrize(
    ("ssn", "ok"),
    [
        ("123-45-6780", True),
        ("000-12-3456", False),
        ("666-12-3456", False),
        ("900-12-3456", False),
        ("123-00-4567", False),
        ("123-45-0000", False),
        ("078-05-1120", False),  # the Woolworth wallet number, never valid
    ],
)
def test_us_ssn_ranges(ssn: str, ok: bool) -> None:
    assert (v.us_ssn(ssn) is not None) is ok


def test_uk_nhs_mod11() -> None:
    # 943 476 591: 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11-2 = 9.
    assert v.uk_nhs("943 476 5919") == "943 476 5919"
    assert v.uk_nhs("943 476 5918") is None


def test_nl_bsn_eleven_proof() -> None:
    # 111222333: 9+8+7+12+10+8+9+6 - 3 = 66 = 6*11.
    assert v.nl_bsn("111222333") == "111222333"
    assert v.nl_bsn("111222334") is None


def test_es_nif_letter() -> None:
    # 12345678 mod 23 = 14 → 'Z'; NIE X1234567 → 01234567 mod 23 = 19 → 'L'.
    assert v.es_nif("12345678Z") == "12345678Z"
    assert v.es_nif("12345678A") is None
    assert v.es_nif("X1234567L") == "X1234567L"


def test_it_fiscal_code() -> None:
    assert v.it_fiscal_code("RSSMRA85T10A562S") == "RSSMRA85T10A562S"
    assert v.it_fiscal_code("RSSMRA85T10A562T") is None


def test_fr_nir_key() -> None:
    body = "1850578006084"
    key = 97 - int(body) % 97
    assert v.fr_nir(f"{body}{key:02d}") is not None
    assert v.fr_nir(f"{body}{(key + 1) % 100:02d}") is None


def test_passport_mrz_icao_specimen() -> None:
    # ICAO Doc 9303 specimen passport, line 2.
    line = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    assert v.passport_mrz(line) == line
    assert v.passport_mrz(line[:-1] + "9") is None


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("jane.doe@example.com", True),
        ("a@b.co", True),
        ("logo@2x.png", False),
        ("a..b@example.com", False),
        ("https://bob:pw@db.example.com", False),
    ],
)
def test_email(text: str, ok: bool) -> None:
    assert (v.email(text) is not None) is ok


def test_phones() -> None:
    assert v.phone_nanp("(415) 555-0132")
    assert v.phone_nanp("(115) 555-0132") is None  # area codes start with 2-9
    assert v.phone_nanp("(411) 555-0132") is None  # N11 codes are services
    assert v.phone_international("+44 20 7946 0958")
    assert v.phone_international("+44 (0)20 7946 0958")
    assert v.phone_international("+999 1234 5678") is None  # no such country code
    assert v.phone_national_eu("020 7946 0958")
    assert v.phone_national_eu("01.02.2023 10") is None  # a timestamp


def test_network() -> None:
    assert v.ipv4("192.168.1.20")
    assert v.ipv4("256.1.1.1") is None
    assert v.ipv4("01.2.3.4") is None
    assert v.ipv6("2001:db8::8a2e:370:7334")
    assert v.ipv6("10:15:00") is None
    assert v.ipv6("::1") is None
    assert v.mac("00:1A:2B:3C:4D:5E")
    assert v.mac("00:1A-2B:3C:4D:5E") is None


def test_dates_of_birth() -> None:
    assert v.date_of_birth("born on 12 March 1985") == "12 March 1985"
    assert v.date_of_birth("DOB: 1985-03-12") == "1985-03-12"
    assert v.date_of_birth("DOB: 3000-03-12") is None  # the future
    assert v.date_of_birth("DOB: 1985-02-30") is None


def test_secrets() -> None:
    assert v.high_entropy_secret("token=Zx8kQ2pLm9Rt4Vw7Yb3N") == "Zx8kQ2pLm9Rt4Vw7Yb3N"
    assert v.high_entropy_secret("token=aaaaaaaaaaaaaaaaaaaa") is None
    assert v.password("password=hunter22") == "hunter22"
    assert v.password("password=********") is None
    assert v.url_credentials("https://bob:s3cret@") == "bob:s3cret"
