"""The secret and personal-data detector (``server/privacy.py``): what it masks, what it keeps."""

from __future__ import annotations

import pytest

from querywright.server.privacy import is_secret_file, luhn_ok, mask_free_text, mask_sql_literals, sensitive_kind

SENSITIVE = [
    ("jane.doe@example.com", "email"),
    ("Contact: ops+alerts@mail.shop.co.uk", "email"),
    ("4111 1111 1111 1111", "card"),
    ("5500-0000-0000-0004", "card"),
    ("378282246310005", "card"),  # 15-digit Amex test number
    ("+1 415-555-0134", "phone"),
    ("(415) 555-0134", "phone"),
    ("+44 20 7946 0958", "phone"),
    ("sk-proj-abcdefghijklmnop1234567890", "secret"),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123", "secret"),
    ("AKIAIOSFODNN7EXAMPLE", "secret"),
    ("postgresql://app:hunter2@db.internal/app", "secret"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "secret"),
    ("aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW", "secret"),
    ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "secret"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", "secret"),
]
ORDINARY = ["shipped", "pending", "2024-01-15", "2024-01-15 10:00:00", "12345", "1234567890", "4111111111111112",
            "0000000000000000", "Paris", "SKU-0001", "123e4567-e89b-12d3-a456-426614174000",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "The quick brown fox jumps over", "%@example.com%"]


@pytest.mark.parametrize(("value", "kind"), SENSITIVE)
def test_sensitive_values_are_recognised(value: str, kind: str) -> None:
    assert sensitive_kind(value) == kind


@pytest.mark.parametrize("value", ORDINARY)
def test_ordinary_values_are_kept(value: str) -> None:
    assert sensitive_kind(value) is None


def test_luhn() -> None:
    assert luhn_ok("4111111111111111") and luhn_ok("79927398713")
    assert not luhn_ok("4111111111111112") and not luhn_ok("79927398710")


def test_sql_literals_are_masked_and_the_statement_still_parses() -> None:
    import sqlglot

    sql = ("SELECT id FROM users WHERE email = 'jane@example.com' AND status = 'active' "
           "AND card = '4111-1111-1111-1111' AND note = 'it''s sk-abcdefghijklmnop1234567890'")
    masked, count = mask_sql_literals(sql)
    assert count == 3
    assert masked == ("SELECT id FROM users WHERE email = '<email>' AND status = 'active' "
                      "AND card = '<card-number>' AND note = '<secret>'")
    sqlglot.parse_one(masked, read="postgres")
    assert mask_sql_literals("SELECT 'shipped', '2024-01-01'") == ("SELECT 'shipped', '2024-01-01'", 0)


def test_free_text_keeps_numbers_and_dates_that_are_not_personal() -> None:
    text, count = mask_free_text("orders of jane@corp.com or +44 20 7946 0958, top 10 since 2024-01-01 (card 4111 1111 1111 1111)")
    assert text == "orders of <email> or <phone>, top 10 since 2024-01-01 (card <card-number>)"
    assert count == 3
    assert mask_free_text("How many users signed up in 2023?") == ("How many users signed up in 2023?", 0)


@pytest.mark.parametrize("name", [".env", ".env.local", "prod.env", "server.pem", "tls.key", "id_rsa", "id_rsa.pub",
                                  "id_ed25519", "credentials.json", "aws_credentials", ".npmrc", ".pgpass", ".netrc",
                                  ".pypirc", ".git-credentials", "secrets.yaml", "keystore.p12", "terraform.tfvars"])
def test_secrets_files(name: str) -> None:
    assert is_secret_file(name)


@pytest.mark.parametrize("name", ["schema.sql", "users.py", "environment.ts", "keys.sql", "README.md", "envelope.sql"])
def test_ordinary_files(name: str) -> None:
    assert not is_secret_file(name)
