"""Key rotation: new values use the current key, values under a previous key still verify."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.security.dev_secret import persisted_secret
from app.security.keyed import Keyring, key_id

OLD, NEW, OTHER = b"o" * 32, b"n" * 32, b"x" * 32


def test_new_values_use_the_current_key_and_name_it() -> None:
    old, rotated = Keyring(OLD), Keyring(NEW, [OLD])
    made = rotated.keyed("document", "RESIDENT_ID:11010519491231002X")
    assert made.key_id == key_id(NEW) == rotated.key_id != key_id(OLD)
    assert made.digest == rotated.fingerprint("document", "RESIDENT_ID:11010519491231002X")
    assert made.digest != old.fingerprint("document", "RESIDENT_ID:11010519491231002X")
    assert rotated.seal("hello").startswith(key_id(NEW) + ":")


def test_values_under_a_previous_key_still_verify_and_are_found() -> None:
    before = Keyring(OLD).keyed("card", "4242424242424242")
    rotated = Keyring(NEW, [OLD])
    assert rotated.matches("card", "4242424242424242", before.digest, before.key_id)
    assert rotated.matches("card", "4242424242424242", before.digest)  # no id stored: any key
    assert not rotated.matches("card", "4000000000000002", before.digest, before.key_id)
    assert not rotated.matches("card", "4242424242424242", before.digest, key_id(NEW))  # the wrong key named
    assert rotated.candidates("card", "4242424242424242") == [
        rotated.fingerprint("card", "4242424242424242"), before.digest]
    # A retired key that is no longer listed verifies nothing.
    assert not Keyring(NEW).matches("card", "4242424242424242", before.digest, before.key_id)
    assert rotated.secret(before.key_id) == OLD
    assert Keyring(NEW).secret(before.key_id) is None


def test_boxes_sealed_under_a_previous_key_open_after_a_rotation() -> None:
    sealed, rotated = Keyring(OLD).seal("Your code is 123456"), Keyring(NEW, [OLD])
    assert rotated.unseal(sealed) == "Your code is 123456"
    assert rotated.unseal(rotated.seal("new")) == "new"
    legacy = sealed.split(":", 1)[1]  # sealed before key ids existed
    assert rotated.unseal(legacy) == "Your code is 123456"
    with pytest.raises(ValueError, match="no key"):
        Keyring(NEW, [OTHER]).unseal(sealed)


def test_the_development_secret_is_made_once_private_and_kept(tmp_path: Path) -> None:
    first = persisted_secret(tmp_path / ".imwallet")
    path = tmp_path / ".imwallet" / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert (tmp_path / ".imwallet" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert len(first) >= 32
    assert persisted_secret(tmp_path / ".imwallet") == first
    assert sorted(p.name for p in path.parent.iterdir()) == [".gitignore", "secret_key"]  # no temp files left
    path.unlink()
    assert persisted_secret(tmp_path / ".imwallet") != first
