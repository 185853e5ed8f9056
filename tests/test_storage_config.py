"""`storage.url` in feeds.yaml: absent is the SQLite file under storage.path, a postgresql:// URL is a
PostgreSQL database whose password comes from the environment, anything else is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from veille.config import load
from veille.errors import ConfigError

FEEDS = "feeds:\n  - url: https://example.org/feed.xml\n"


def write(tmp_path: Path, storage: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(FEEDS + storage, encoding="utf-8")
    return path


def test_no_url_keeps_the_sqlite_file_under_the_data_folder(tmp_path: Path) -> None:
    settings = load(write(tmp_path, "storage:\n  path: data\n"), environ={})
    assert settings.storage.url is None
    assert settings.database == tmp_path / "data" / "veille.db"
    assert settings.storage.timeout == 30.0


def test_a_postgresql_url_takes_its_password_from_the_named_variable(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "storage:\n  url: postgresql://veille@db.example.org:5433/watch\n  password_env: VEILLE_DB_PASSWORD\n"
        "  timeout: 5\n",
    )
    settings = load(path, environ={"VEILLE_DB_PASSWORD": "s3cret"})
    assert settings.storage.url == "postgresql://veille@db.example.org:5433/watch"
    assert settings.storage.password == "s3cret"
    assert settings.storage.timeout == 5.0
    assert "s3cret" not in repr(settings)
    assert load(path, environ={}).storage.password is None  # unset: loading works, connecting says why


BAD = {
    "another engine": ("mysql://veille@db/watch", "is not a PostgreSQL URL: write postgresql://"),
    "not a url": ("veille.db", "is not a PostgreSQL URL"),
    "password in the file": ("postgresql://veille:hunter2@db/watch", "never write the password in this file"),
    "no server": ("postgresql:///watch", "names no server"),
    "no database": ("postgresql://veille@db.example.org", "names no database"),
    "bad port": ("postgresql://veille@db.example.org:99999/watch", "is not a valid URL"),
}


@pytest.mark.parametrize("url, expected", BAD.values(), ids=BAD.keys())
def test_a_bad_storage_url_is_one_line_naming_the_field(tmp_path: Path, url: str, expected: str) -> None:
    path = write(tmp_path, f"storage:\n  url: {url}\n")
    with pytest.raises(ConfigError) as caught:
        load(path, environ={})
    message = str(caught.value)
    assert message.startswith(f"{path}:4: storage.url: ")
    assert expected in message
    assert "hunter2" not in message


def test_a_bad_password_variable_name_or_timeout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"storage.password_env: 'my password' is not an environment variable"):
        load(write(tmp_path, "storage:\n  url: postgresql://v@db/w\n  password_env: my password\n"), environ={})
    with pytest.raises(ConfigError, match=r"storage.timeout: 0 must be greater than 0"):
        load(write(tmp_path, "storage:\n  timeout: 0\n"), environ={})
